"""The dashboard's command line: flags -> :class:`AppConfig` and how to serve it.

``python app.py [flags]`` parses them here; so do the processes a deployment starts
without a command line of their own (gunicorn's workers under ``gunicorn
explorer.wsgi:server``, the Celery worker ``celery -A explorer.celery_app worker``),
which read the same flags from the environment variable ``TOPOGRAPH_ARGS`` (see
:func:`config_from_environment`), so every process of one deployment serves the same
folder, cache and names database.
"""

from __future__ import annotations

import argparse
import os
import shlex
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

REDIS_ENV = "TOPOGRAPH_REDIS_URL"  # the default of --redis

ARGS_ENV = "TOPOGRAPH_ARGS"  # the app.py flags of the processes without a command line
DEFAULT_WORKERS = 4  # web worker processes of --serve
DEFAULT_THREADS = 8  # request threads per web worker


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Topograph: explore a folder of images as a hierarchy of clusters.")
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
    parser.add_argument("--density-image-above", type=int, metavar="N",
                        default=AppConfig.density_image_above,
                        help="draw a 2-D map of more than N images as a density image, with "
                             "the points themselves on zoom (default "
                             f"{AppConfig.density_image_above})")
    _add_serving_flags(parser)
    return parser.parse_args(argv)


def _add_serving_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("serving many users (a lab server)")
    group.add_argument("--serve", action="store_true",
                       help="serve with a production WSGI server and several worker "
                            "processes (gunicorn; waitress where gunicorn cannot run)")
    group.add_argument("--server", choices=("gunicorn", "waitress"), default=None,
                       help="with --serve: which server (default gunicorn where it runs)")
    group.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                       help=f"with --serve: web worker processes (default {DEFAULT_WORKERS}; "
                            "waitress serves one process)")
    group.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                       help=f"with --serve: request threads per worker (default "
                            f"{DEFAULT_THREADS})")
    group.add_argument("--redis", metavar="URL", default=os.environ.get(REDIS_ENV) or None,
                       help="run jobs on Celery workers through this Redis, e.g. "
                            f"redis://localhost:6379/0 (default ${REDIS_ENV}; unset: jobs "
                            "in processes forked by the server, kept in the cache folder)")
    group.add_argument("--users", type=Path, metavar="FILE", default=None,
                       help="sign in with the passwords of this user file (scrypt hashes; "
                            "python -m explorer.users add FILE NAME)")
    group.add_argument("--user-header", metavar="HEADER", default=None,
                       help="sign in by this header of a trusted reverse proxy, e.g. "
                            "X-Remote-User (only where nothing but the proxy reaches the app)")
    group.add_argument("--trusted-network", action="store_true",
                       help="serve a non-loopback --host without sign-in (everyone who reaches "
                            "it can name clusters under any name)")


def config_from_args(args: argparse.Namespace) -> AppConfig:
    if args.images is None:
        images, labels = DEMO_IMAGES, args.labels or DEMO_LABELS
    else:
        images, labels = args.images, args.labels
    if not images.is_dir():
        raise SystemExit(f"error: image folder {images} does not exist; pass --images DIR")
    if not any(p.is_file() for p in images.rglob("*")):
        raise SystemExit(f"error: image folder {images} holds no file; pass --images DIR "
                         "with your images (.png .jpg .tif ...)")
    if labels is not None and not labels.is_file():
        raise SystemExit(f"error: labels file {labels} does not exist; fix --labels or omit it")
    if args.debug and not is_loopback(args.host):
        raise SystemExit(f"error: --debug on --host {args.host} would let anyone on the "
                         "network run code through the debugger; drop --debug or --host")
    if args.debug and args.serve:
        raise SystemExit("error: --debug is for the development server; drop --debug or --serve")
    if args.density_image_above < 0:
        raise SystemExit("error: --density-image-above must be 0 or more")
    if args.workers < 1 or args.threads < 1:
        raise SystemExit("error: --workers and --threads must be at least 1")
    _check_sign_in(args)
    return AppConfig(images=images.resolve(), labels=labels.resolve() if labels else None,
                     cache_dir=args.cache_dir.resolve(), names_db=args.names.resolve(),
                     host=args.host, train_device=_train_device(args.train_device),
                     backbone=args.backbone, redis_url=args.redis,
                     users_file=args.users.resolve() if args.users else None,
                     user_header=args.user_header,
                     density_image_above=args.density_image_above,
                     **_scale_options(args))


def _check_sign_in(args: argparse.Namespace) -> None:
    """A server others can reach needs sign-in, unless its network is declared trusted."""
    if args.users is not None and args.user_header:
        raise SystemExit("error: choose one sign-in: --users FILE or --user-header HEADER")
    if args.users is not None:
        from explorer.users import read_users

        try:
            read_users(args.users)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"error: --users: {exc}") from None
    signed_in = args.users is not None or bool(args.user_header)
    if not is_loopback(args.host) and not signed_in and not args.trusted_network:
        raise SystemExit(f"error: --host {args.host} lets others reach the dashboard, and "
                         "without sign-in anyone could save names as anyone: add --users FILE "
                         "(python -m explorer.users add FILE NAME) or --user-header "
                         "X-Remote-User behind a signing-in proxy, or --trusted-network if "
                         "everyone on this network may")


def config_from_environment() -> AppConfig:
    """The configuration of a process started without a command line: the app.py flags
    in ``$TOPOGRAPH_ARGS`` (e.g. ``"--images /data/run42 --cache-dir /srv/cache"``)."""
    return config_from_args(parse_args(shlex.split(os.environ.get(ARGS_ENV, ""))))


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
