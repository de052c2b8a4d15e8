"""``python -m compute run DIR --out OUT``: the dashboard's whole pipeline, in batch."""

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
    parser.add_argument("--cache-dir", default="data/cache",
                        help="step cache shared with the dashboard (default: data/cache)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from compute.ingest import write_manifest
    from compute.pipeline import PipelineConfig, run_pipeline
    from compute.progress import terminal_bar

    config = PipelineConfig(images=args.images, labels=args.labels, backbone=args.backbone,
                            weights=args.weights,
                            projection=args.projection, n_components=args.dims)
    with terminal_bar("pipeline", enabled=not args.no_progress) as bar:
        result = run_pipeline(config, cache_dir=args.cache_dir, progress=bar)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "embeddings.npy", result.embeddings.vectors)
    np.save(out / "projection.npy", result.projection.coords)
    write_manifest(result.dataset.records, out / "manifest.csv",
                   rows={path: i for i, path in enumerate(result.embeddings.paths)})
    print(f"{result.dataset.summary()}; embeddings {result.embeddings.vectors.shape} "
          f"({result.embeddings.backbone}); written to {out}")
    return 0
