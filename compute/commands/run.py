"""``python -m compute run DIR --out OUT``: the dashboard's whole pipeline, in batch.

Writes OUT/embeddings.npy, OUT/projection.npy, OUT/manifest.csv and, unless --no-scale,
OUT/scales.csv (the scale reading of each embedded row). ``--scale-group 1-2um`` keeps
only the images in that scale group (the others are counted in the summary line).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

NAME = "run"
HELP = "scan an image folder, embed it and project it (the dashboard's pipeline)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from compute.embed import BACKBONES
    from compute.projection import METHODS

    parser.add_argument("images", help="image folder (scanned recursively)")
    parser.add_argument("--labels", help="CSV with 'path' or 'id' and 'label' columns")
    parser.add_argument("--backbone", default="pixels", choices=sorted(BACKBONES))
    parser.add_argument("--weights", default="auto",
                        help="auto, imagenet, random or a .pth file (see 'embed --help')")
    parser.add_argument("--projection", default="pca", choices=METHODS)
    parser.add_argument("--dims", type=int, default=2, choices=(2, 3))
    add_scale_arguments(parser)
    parser.add_argument("--cache-dir", default="data/cache",
                        help="step cache shared with the dashboard (default: data/cache)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    """--scale-group and --no-scale (shared by the commands that run the pipeline)."""
    parser.add_argument("--scale-group", metavar="GROUP",
                        help="analyse only the images in this scale group, e.g. 1-2um, "
                             "200nm, 10um (read from TIFF metadata or the SEM data bar; "
                             "see 'python -m compute scale')")
    parser.add_argument("--no-scale", action="store_true",
                        help="do not read scale bars (saves the OCR time on SEM frames)")


def scale_options(args: argparse.Namespace) -> dict:
    """The PipelineConfig fields of --scale-group / --no-scale (the group name checked)."""
    from compute.scale import canonical_group

    if args.scale_group is not None and args.no_scale:
        raise ValueError("--scale-group needs the scale readings: drop --no-scale")
    group = canonical_group(args.scale_group) if args.scale_group is not None else None
    return {"scales": not args.no_scale, "scale_group": group}


def run(args: argparse.Namespace) -> int:
    from compute.ingest import write_manifest
    from compute.pipeline import PipelineConfig, run_pipeline
    from compute.progress import terminal_bar
    from compute.scale.table import write_scales_csv

    config = PipelineConfig(images=args.images, labels=args.labels, backbone=args.backbone,
                            weights=args.weights, **scale_options(args),
                            projection=args.projection, n_components=args.dims)
    with terminal_bar("pipeline", enabled=not args.no_progress) as bar:
        result = run_pipeline(config, cache_dir=args.cache_dir, progress=bar)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "embeddings.npy", result.embeddings.vectors)
    np.save(out / "projection.npy", result.projection.coords)
    write_manifest(result.dataset.records, out / "manifest.csv",
                   rows={path: i for i, path in enumerate(result.embeddings.paths)})
    if result.scales is not None:
        write_scales_csv(out / "scales.csv", _scale_rows(result), keys=("row", "path", "id"))
    print(f"{result.summary()}; embeddings {result.embeddings.vectors.shape} "
          f"({result.embeddings.backbone}); written to {out}")
    return 0


def _scale_rows(result):
    """(row, path, id) and the scale reading of each embedded row."""
    emb = result.embeddings
    for row, (path, image_id, reading) in enumerate(zip(emb.paths, emb.ids, result.scales,
                                                        strict=True)):
        yield {"row": row, "path": path, "id": image_id}, reading
