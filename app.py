"""Topograph: explore a folder of images as a hierarchy of clusters.

    python app.py                                   # the built-in demo set
    python app.py --images DIR [--labels CSV]       # your own images
    python app.py --images DIR --scale-group 1-2um  # only the images in one scale group

It serves http://127.0.0.1:8050/ (this machine only); --host 0.0.0.0 opens it to the
network, on purpose. Dash debug mode (--debug) is off unless asked for, and refused on a
non-loopback address: its in-browser debugger runs Python for whoever reaches it.

    python app.py --serve --workers 4               # a lab server: gunicorn, 4 processes

The flags are defined in explorer/cli.py.
"""

from __future__ import annotations

import logging
import signal
import sys

from explorer.cli import config_from_args, parse_args

__all__ = ["config_from_args", "main", "parse_args"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = config_from_args(args)
    if args.serve:  # the master process stays light: each worker builds its own app
        from explorer.production import serve

        return serve(config, port=args.port, server=args.server, workers=args.workers,
                     threads=args.threads)
    from explorer.app import create_app
    from explorer.jobs import stop_workers

    logging.getLogger("topograph").info("starting on %s: loading the libraries...", config.images)
    app = create_app(config)
    logging.getLogger("topograph").info("ready: open http://%s:%d/ (the first analysis starts "
                                        "when the page opens)", _url_host(args.host), args.port)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        app.run(host=args.host, port=args.port, debug=args.debug)
    finally:  # a running job's worker process would outlive the server
        stopped = stop_workers()
        if stopped:
            logging.getLogger("topograph").info("stopped %d job worker(s)", stopped)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _exit_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
