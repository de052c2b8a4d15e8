"""``python -m compute embed DIR --out OUT``: embed a folder (or one shard of it) in batch.

Writes OUT/embeddings.npy (N x D float32), OUT/manifest.csv (row, id, path, label, error,
... for every file; failed and duplicate files have an empty row and say why) and
OUT/embedding.json. Vectors are also kept per image id in a feature store (default
OUT/cache), so re-running after an interruption, or after adding images, embeds only
what is missing. For a SLURM array job::

    python -m compute embed /data/sem --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT \\
        --out runs/sem/shard-$SLURM_ARRAY_TASK_ID
    python -m compute merge-shards runs/sem/shard-* --out runs/sem/all
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path

NAME = "embed"
HELP = "embed an image folder (or one shard of it) with a CNN: embeddings.npy + manifest.csv"
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from compute.embed import AUTO_BACKBONE, BACKBONE_CHOICES, FEATURES
    from compute.embed.extract import default_workers
    from compute.ingest import DEFAULT_MAX_PIXELS

    parser.add_argument("images", help="image folder (scanned recursively)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--model", default=AUTO_BACKBONE, choices=BACKBONE_CHOICES,
                        help="backbone (default auto: ResNet-50 where its ImageNet weights "
                             "are in the torch cache, else EfficientNet-Lite0)")
    parser.add_argument("--weights", default="auto",
                        help="auto (ImageNet; for a ResNet without offline ImageNet weights: "
                             "EfficientNet-Lite0), imagenet, random, or a .pth file (state "
                             "dict or Topograph checkpoint)")
    parser.add_argument("--features", default="penultimate", choices=FEATURES)
    parser.add_argument("--input-size", type=int,
                        help="side of the network input in pixels (default: what a Topograph "
                             "checkpoint was trained at, else 224; a different value wins "
                             "over the checkpoint's, with a warning)")
    parser.add_argument("--labels", help="CSV with 'path' or 'id' and 'label' columns")
    parser.add_argument("--labels-from-folders", action="store_true",
                        help="label each image by its top-level sub-folder")
    parser.add_argument("--keep-data-bar", action="store_true",
                        help="feed the SEM data bar to the network too (default: cut off)")
    parser.add_argument("--page", type=int, default=0, help="page of multi-page TIFFs")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="refuse larger images (decompression bombs); "
                             f"default {DEFAULT_MAX_PIXELS}")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help=f"decoding processes (default {default_workers()})")
    parser.add_argument("--threads", type=int,
                        help="torch threads for the forward pass (default: torch's choice, "
                             "one per core; set it to the cores a cluster job was given)")
    parser.add_argument("--shard", help="i/n: embed only files i, i+n, ... (0 <= i < n)")
    parser.add_argument("--cache-dir", help="feature store and scan cache folder (default "
                                            "OUT/cache; give each cluster node its own)")
    parser.add_argument("--scale-group", metavar="GROUP",
                        help="embed only the images in this scale group, e.g. 1-2um (read "
                             "from TIFF metadata or the SEM data bar; see 'scale --help')")
    parser.add_argument("--seed", type=int, default=0, help="seed of --weights random")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from compute.embed import open_feature_store, prepare_model
    from compute.embed.extract import extract_missing
    from compute.embed.output import write_output
    from compute.ingest import parse_shard, scan_folder
    from compute.progress import terminal_bar
    from compute.scale import canonical_group

    _check_options(args)
    group = canonical_group(args.scale_group) if args.scale_group is not None else None
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    shard = parse_shard(args.shard) if args.shard else None
    model = prepare_model(args.model, weights=args.weights, features=args.features,
                          keep_data_bar=args.keep_data_bar, input_size=args.input_size,
                          random_state=args.seed)
    out = Path(args.out)
    cache_dir = Path(args.cache_dir) if args.cache_dir else out / "cache"
    with terminal_bar("scan", enabled=not args.no_progress) as bar:
        dataset = scan_folder(args.images, labels_csv=args.labels,
                              labels_from_folders=args.labels_from_folders, page=args.page,
                              max_pixels=args.max_pixels, shard=shard, workers=args.workers,
                              cache_dir=cache_dir, progress=bar)
    if group is not None:
        dataset = _restrict_to_scale_group(dataset, group, cache_dir,
                                           progress=not args.no_progress)
    store = open_feature_store(model, cache_dir)
    try:
        with terminal_bar("embed", enabled=not args.no_progress) as bar:
            errors = extract_missing(dataset, dataset.usable, model=model.module,
                                     preprocessing=model.preprocessing, store=store,
                                     batch_size=args.batch_size, workers=args.workers,
                                     device=args.device, progress=bar)
        dataset = dataset.with_failures(errors)
        write_output(out, dataset.records, embedded=dataset.usable, dim=model.dim,
                     fill=lambda ids, rows: store.get(ids, out=rows),
                     meta=_meta(args, model, dataset, shard))
    finally:
        store.close()
    print(f"{dataset.summary()}; embeddings ({len(dataset.usable)}, {model.dim}): "
          f"{model.title}; {model.weights.describe()}; written to {out}")
    return 0


def _restrict_to_scale_group(dataset, group: str, cache_dir: Path, *, progress: bool):
    """The dataset's images in scale ``group`` (readings cached under CACHE/steps)."""
    from compute.cache import StepCache
    from compute.pipeline import read_scales
    from compute.progress import terminal_bar
    from compute.scale import restrict_to_group

    with terminal_bar("scale", enabled=progress) as bar:
        readings = read_scales(dataset, cache=StepCache(cache_dir / "steps"), progress=bar)
    dataset, selection = restrict_to_group(dataset, readings, group)
    print(selection.summary())
    return dataset


def _check_options(args: argparse.Namespace) -> None:
    if args.batch_size < 1 or args.workers < 0 or (args.threads is not None and args.threads < 1):
        raise ValueError("--batch-size and --threads must be >= 1 and --workers >= 0")
    from compute.torch_compat import check_device

    check_device(args.device, option="--device")


def _meta(args: argparse.Namespace, model, dataset, shard) -> dict:
    from compute.embed import representation_kind

    return {"backbone": model.weights.backbone, "requested_backbone": args.model,
            "representation": model.title, "kind": representation_kind(model.weights.backbone),
            "preprocessing": model.preprocessing.describe(),
            "weights": model.weights.describe(),
            "weights_fingerprint": model.weights.fingerprint, "features": model.features,
            "key": model.key, "keep_data_bar": args.keep_data_bar, "page": args.page,
            "root": str(Path(args.images).resolve()), "shard": list(shard) if shard else None,
            "summary": dataset.summary(), "created": datetime.now(UTC).isoformat()}
