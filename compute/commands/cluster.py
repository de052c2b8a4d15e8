"""``python -m compute cluster EMB.npy --out DIR``: density-peak clustering of embeddings.

The analysis flags and their defaults are those of every command and of the dashboard
(:mod:`compute.options`).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np

from compute.options import add_analysis_arguments, analysis_params, embedding_is_cnn
from compute.spreadsheet import neutralise

NAME = "cluster"
HELP = "ADP clustering of an embedding matrix (.npy): clusters.csv and topography.json"
LABELS_HELP = ("optional CSV of known labels to score against: a header with the columns "
               "'row' (0-based row of EMB.npy) and 'label'; rows not listed, or with an "
               "empty label, are unlabelled")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("embeddings", metavar="EMB.npy", help="(N, D) float array, one row "
                        "per item (e.g. embeddings.npy written by 'run')")
    add_analysis_arguments(parser)
    parser.add_argument("--labels", metavar="LABELS.csv", help=LABELS_HELP)
    parser.add_argument("--cache-dir", default=None,
                        help="step cache folder (default: no cache); e.g. data/cache")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def read_labels(path: str | Path, n_points: int) -> list[str | None]:
    """Labels per row from a CSV with columns row,label (see ``LABELS_HELP``)."""
    labels: list[str | None] = [None] * n_points
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"row", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: the labels CSV needs a header with 'row' and 'label' "
                             f"columns (got {reader.fieldnames})")
        seen: set[int] = set()
        for line, record in enumerate(reader, start=2):
            try:
                row = int(record["row"])
            except (TypeError, ValueError):
                raise ValueError(f"{path}:{line}: row {record['row']!r} is not an integer") \
                    from None
            if not 0 <= row < n_points:
                raise ValueError(f"{path}:{line}: row {row} is outside 0..{n_points - 1}, the "
                                 "rows of the embeddings")
            if row in seen:
                raise ValueError(f"{path}:{line}: row {row} is listed twice")
            seen.add(row)
            label = (record["label"] or "").strip()
            labels[row] = label or None
    return labels


def load_embeddings(path: str | Path) -> np.ndarray:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    x = np.load(path, allow_pickle=False)
    if x.ndim != 2:
        raise ValueError(f"{path} holds an array of shape {x.shape}; expected (N, D) "
                         "embeddings, one row per item")
    return x


def _finite_or_none(values: np.ndarray) -> list:
    return [[v if math.isfinite(v) else None for v in row] for row in values.tolist()]


def topography_json(topo, scores=None) -> dict:
    """The JSON document written to topography.json (see the module of this command)."""
    from compute.peaks.hierarchy import dendrogram, mds_map

    c = topo.clustering
    tree = dendrogram(c, rho_max=topo.rho_max)
    doc = {
        "n_points": topo.knn.n_points,
        "intrinsic_dimension": topo.intrinsic_dim.dimension,
        "parameters": topo.params.to_dict(),
        "neighbour_search": topo.neighbour_search,
        "cluster_space": topo.space_description(),
        "manifold_dimension": None if topo.manifold is None else topo.manifold.dimension,
        "suggested_cut": {"z": topo.suggested.z, "rule": topo.suggested.rule,
                          "n_clusters": topo.suggested.clusters},
        "n_peaks_before_merging": topo.peaks.n_peaks,
        "clusters": [{"cluster": i, "centre_row": int(row), "population": int(pop),
                      "peak_log_density": float(rho), "peak_error": float(err)}
                     for i, (row, pop, rho, err) in enumerate(zip(
                         c.centers, c.populations, c.peak_log_density, c.peak_error,
                         strict=True))],
        "saddles": {"log_density": _finite_or_none(c.saddles.log_density),
                    "error": c.saddles.error.tolist(), "point_row": c.saddles.point.tolist(),
                    "note": "null / -1: the two clusters share no border"},
        "merges": [{"absorbed_centre_row": int(topo.peaks.centers[a]),
                    "survivor_centre_row": int(topo.peaks.centers[s]),
                    "saddle_log_density": float(h), "saddle_error": float(e),
                    "saddle_row": int(p), "z": float(m)}
                   for a, s, h, e, p, m in zip(c.merges.absorbed, c.merges.survivor,
                                               c.merges.saddle_log_density,
                                               c.merges.saddle_error, c.merges.saddle_point,
                                               c.merges.margin, strict=True)],
        "merges_note": "in merge order; z: the smaller margin (rho_peak - rho_saddle) / "
                       "(sigma_peak + sigma_saddle), the pair merges for every Z above it",
        "dendrogram": {"linkage": tree.linkage.tolist(),
                       "leaf_heights": tree.leaf_heights.tolist(),
                       "merge_heights": tree.merge_heights.tolist(),
                       "leaf_order": tree.leaf_order.tolist()},
        "mds": mds_map(c, rho_max=topo.rho_max).tolist(),
    }
    if scores is not None:
        doc["scores"] = {"nmi": scores.nmi, "ami": scores.ami, "ari": scores.ari,
                         "n_labelled": scores.n_labelled, "n_scored": scores.n_scored,
                         "n_halo_excluded": scores.n_halo}
    return doc


def write_clusters_csv(path: Path, topo, labels: list[str | None] | None) -> None:
    c = topo.clustering
    is_peak = np.zeros(topo.knn.n_points, dtype=bool)
    is_peak[c.centers] = True
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "cluster", "is_peak", "is_halo", "log_density",
                         "log_density_error"] + (["label"] if labels is not None else []))
        for row, (cl, peak, halo, rho, err) in enumerate(zip(
                c.assignment.tolist(), is_peak.tolist(), c.is_halo.tolist(),
                topo.density.log_density.tolist(), topo.density.error.tolist(), strict=True)):
            extra = [neutralise(labels[row] or "")] if labels is not None else []
            writer.writerow([row, cl, int(peak), int(halo), f"{rho:.6g}", f"{err:.6g}", *extra])


def run(args: argparse.Namespace) -> int:
    from compute.cache import StepCache
    from compute.evaluation.scores import score_clustering
    from compute.peaks.topography import analyse, describe_search
    from compute.progress import terminal_bar

    x = load_embeddings(args.embeddings)
    labels = read_labels(args.labels, x.shape[0]) if args.labels else None
    with terminal_bar("topography", enabled=not args.no_progress) as bar:
        params = analysis_params(args).resolved(cnn_features=embedding_is_cnn(args.embeddings))
        topo = analyse(x, params, cache=StepCache(args.cache_dir), progress=bar)
    c = topo.clustering
    scores = (score_clustering(c.labels, labels, is_halo=c.is_halo)
              if labels is not None else None)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_clusters_csv(out / "clusters.csv", topo, labels)
    (out / "topography.json").write_text(json.dumps(topography_json(topo, scores), indent=1),
                                         encoding="utf-8")
    print(f"intrinsic dimension {topo.intrinsic_dim.dimension:.2f}; "
          f"{topo.space_description()}; {topo.suggested.describe()}; "
          f"{c.n_clusters} clusters at Z={c.z:g} ({topo.peaks.n_peaks} peaks before merging)"
          + (f"; {int(c.is_halo.sum())} halo points" if c.halo else "")
          + f"; {describe_search(topo.knn)}")
    if scores is not None:
        print(f"scores on {scores.n_scored} labelled points: NMI {scores.nmi:.3f}, "
              f"AMI {scores.ami:.3f}, ARI {scores.ari:.3f}"
              + (f" ({scores.n_halo} halo points excluded)" if scores.n_halo else ""))
    print(f"written to {out}")
    return 0
