"""Topograph: explore a folder of images as a hierarchy of clusters.

    python app.py                                   # the built-in demo set
    python app.py --images DIR [--labels CSV]       # your own images
    python app.py --images DIR --scale-group 1-2um  # only the images in one scale group

It serves http://127.0.0.1:8050/ (this machine only); --host 0.0.0.0 opens it to the
network, on purpose. Dash debug mode (--debug) is off unless asked for, and refused on a
non-loopback address: its in-browser debugger runs Python for whoever reaches it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from compute.embed.backbones import BACKBONE_CHOICES
from explorer.config import (
    DEFAULT_CACHE,
    DEFAULT_HOST,
    DEFAULT_NAMES,
    DEMO_IMAGES,
    DEMO_LABELS,
    AppConfig,
)
from explorer.security import is_loopback


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=None,
                        help="image folder to explore (default: the demo set)")
    parser.add_argument("--labels", type=Path, default=None,
                        help="CSV with 'path' (relative to --images) or 'id', and 'label'")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--scale-group", metavar="GROUP",
                        help="analyse only the images in this scale group, e.g. 1-2um, 200nm "
                             "(read from TIFF metadata or the SEM data bar)")
    parser.add_argument("--no-scale", action="store_true",
                        help="do not read scale bars (saves the OCR time on SEM frames)")
    parser.add_argument("--names", type=Path, default=DEFAULT_NAMES,
                        help="SQLite file of cluster names (default: data/names.sqlite)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--train-device", default="cpu", metavar="DEVICE",
                        help="torch device of the dashboard's training jobs: cpu (default), "
                             "cuda, cuda:1 or mps")
    parser.add_argument("--backbone", default=AppConfig.backbone, choices=BACKBONE_CHOICES,
                        help="the representation the page starts with (default auto: "
                             "ResNet-50 where its ImageNet weights are in the torch cache, "
                             "else EfficientNet-Lite0; pixels: the raw 28x28 baseline)")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (dev only)")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> AppConfig:
    if args.images is None:
        images, labels = DEMO_IMAGES, args.labels or DEMO_LABELS
    else:
        images, labels = args.images, args.labels
    if not images.is_dir():
        raise SystemExit(f"error: image folder {images} does not exist; pass --images DIR")
    if labels is not None and not labels.is_file():
        raise SystemExit(f"error: labels file {labels} does not exist; fix --labels or omit it")
    if args.debug and not is_loopback(args.host):
        raise SystemExit(f"error: --debug on --host {args.host} would let anyone on the "
                         "network run code through the debugger; drop --debug or --host")
    return AppConfig(images=images.resolve(), labels=labels.resolve() if labels else None,
                     cache_dir=args.cache_dir.resolve(), names_db=args.names.resolve(),
                     host=args.host, train_device=_train_device(args.train_device),
                     backbone=args.backbone,
                     **_scale_options(args))


def _train_device(device: str) -> str:
    """The name only: whether the device is usable is checked by the training job, since
    touching CUDA in the server would break the workers it forks."""
    from compute.torch_compat import check_device_name

    try:
        check_device_name(device)
    except ValueError as exc:
        raise SystemExit(f"error: --train-device: {exc}") from None
    return device


def _scale_options(args: argparse.Namespace) -> dict:
    from compute.options import scale_options

    try:
        return scale_options(args)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from explorer.app import create_app
    from explorer.jobs import stop_workers

    app = create_app(config_from_args(args))
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        app.run(host=args.host, port=args.port, debug=args.debug)
    finally:  # a running job's worker process would outlive the server
        stopped = stop_workers()
        if stopped:
            logging.getLogger("topograph").info("stopped %d job worker(s)", stopped)
    return 0


def _exit_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
