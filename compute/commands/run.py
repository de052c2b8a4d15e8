"""``python -m compute run DIR --out OUT``: the dashboard's whole pipeline, in batch.

Writes, in OUT:

- ``embeddings.npy`` (N x D float32), ``projection.npy`` (N x 2|3), ``manifest.csv`` (one
  row per file; ``row`` empty for files without an embedding, the reason in ``error``);
- ``clusters.csv``: one row per embedded image: ``id, path, cluster, is_halo, log_density,
  assigned, known_label, cluster_name, level_*, hierarchy_path`` - the same table as the
  labelled export (:mod:`compute.naming.export`), unnamed; ``clusters.tree.csv`` (the
  hierarchy, one row per node) and ``clusters.json`` (the analysis parameters, counts and
  ``neighbour_search``: the kNN method used and its recall measured on a sample);
- ``near_duplicates.csv``: the images that are shifted crops or re-saved copies of each
  other, by group (:mod:`compute.ingest.near_duplicates`); the summary line says when
  many images are in such groups;
- ``embedding.json``: the representation used (backbone "auto" resolved, its plain name,
  "cnn" or "pixels");
- unless --no-scale, ``scales.csv`` (the scale reading of each embedded row).

The analysis flags and their defaults are those of every command and of the dashboard
(:mod:`compute.options`). ``--scale-group 1-2um`` keeps only the images in that group.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from compute.options import add_analysis_arguments, add_folder_arguments, pipeline_config

NAME = "run"
HELP = "scan an image folder, embed, cluster and project it (the dashboard's pipeline)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from compute.projection import METHODS, ProjectionParams

    add_folder_arguments(parser, positional=True)
    add_analysis_arguments(parser)
    parser.add_argument("--projection", default=ProjectionParams().method, choices=METHODS)
    parser.add_argument("--dims", type=int, default=2, choices=(2, 3))
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from compute.ingest import write_manifest
    from compute.naming.export import write_export
    from compute.naming.labelling import label_analysis
    from compute.peaks.topography import describe_search
    from compute.pipeline import run_pipeline
    from compute.progress import terminal_bar
    from compute.projection import ProjectionParams
    from compute.scale.table import write_scales_csv

    config = pipeline_config(args, projection=ProjectionParams(method=args.projection,
                                                               n_components=args.dims))
    with terminal_bar("pipeline", enabled=not args.no_progress) as bar:
        result = run_pipeline(config, cache_dir=args.cache_dir, progress=bar)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "embeddings.npy", result.embeddings.vectors)
    write_embedding_info(out / "embedding.json", result.embeddings)
    np.save(out / "projection.npy", result.projection.coords)
    write_manifest(result.dataset.records, out / "manifest.csv",
                   rows={path: i for i, path in enumerate(result.embeddings.paths)})
    if result.scales is not None:
        write_scales_csv(out / "scales.csv", _scale_rows(result), keys=("row", "path", "id"))
    write_near_duplicates(out / "near_duplicates.csv", result)
    clustering = label_analysis(result).clustering
    files = write_export(out / "clusters.csv", clustering, clustering.match([]))
    record_search(files.sidecar, result.topography.neighbour_search)
    print(f"{result.summary()}; embeddings {result.embeddings.vectors.shape}; "
          f"{clustering.n_clusters} clusters "
          f"({result.params.describe()}; {describe_search(result.knn)}); "
          f"{result.topography.suggested.describe()}; written to {out}")
    print_scores(clustering)
    return 0


def write_near_duplicates(path: Path, result) -> None:
    """``near_duplicates.csv``: one row per image that has a near duplicate (a shifted crop
    or a re-saved copy; :mod:`compute.ingest.near_duplicates`): row, id, path, group,
    group_size, representative. Only the header when there is none."""
    import csv

    emb = result.embeddings
    rows = result.near_duplicates.table(emb.ids, emb.paths)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["row", "id", "path", "group", "group_size",
                                                "representative"])
        writer.writeheader()
        writer.writerows(rows)


def write_embedding_info(path: Path, embeddings) -> None:
    """``embedding.json``: which representation the run used (the resolved backbone, its
    plain name, its kind "cnn"/"pixels", the weights, features and the feature key)."""
    info = {"backbone": embeddings.backbone, "representation": embeddings.title,
            "kind": embeddings.kind, "weights": embeddings.weights,
            "features": embeddings.features, "preprocessing": embeddings.preprocessing,
            "key": embeddings.key,
            "rows": int(embeddings.vectors.shape[0]), "dim": int(embeddings.vectors.shape[1])}
    path.write_text(json.dumps(info, indent=2) + "\n")


def record_search(sidecar: Path, search: dict) -> None:
    """Add the neighbour search (method used, measured recall) to an export's sidecar JSON
    (``clusters.json`` of run, ``FILE.json`` of export)."""
    doc = json.loads(sidecar.read_text(encoding="utf-8"))
    doc["neighbour_search"] = search
    sidecar.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def print_scores(clustering) -> None:
    """NMI / AMI / ARI against the known labels, when there are any."""
    from compute.evaluation.scores import score_clustering

    if not any(clustering.known_labels):
        return
    try:
        s = score_clustering(clustering.labels, list(clustering.known_labels),
                             is_halo=clustering.is_halo)
    except ValueError as exc:
        print(f"no scores: {exc}")
        return
    print(f"scores on {s.n_scored} labelled images ({s.n_halo} halo left out): "
          f"NMI {s.nmi:.3f}, AMI {s.ami:.3f}, ARI {s.ari:.3f}")


def _scale_rows(result):
    """(row, path, id) and the scale reading of each embedded row."""
    emb = result.embeddings
    for row, (path, image_id, reading) in enumerate(zip(emb.paths, emb.ids, result.scales,
                                                        strict=True)):
        yield {"row": row, "path": path, "id": image_id}, reading
