"""``python app.py --serve``: the dashboard under a production WSGI server.

gunicorn (the server Dash's deployment guide uses) with ``--workers`` processes of
``--threads`` request threads each (gthread). Every worker builds the app itself after
the fork (no preload), so no worker inherits another's threads, OpenMP pools or locks;
what a request needs is rebuilt from the on-disk step cache (``explorer.state``) and the
jobs' folder (``explorer.jobs``), so any worker answers any request. waitress (one
process, ``--threads`` threads) serves where gunicorn cannot run (Windows).
"""

from __future__ import annotations

import logging

from explorer.config import AppConfig

log = logging.getLogger(__name__)
GUNICORN_TIMEOUT = 120  # s: a worker silent that long is restarted (boot imports torch)


def default_server() -> str:
    """gunicorn where it runs (POSIX: it needs ``fcntl``), else waitress."""
    try:
        import fcntl  # noqa: F401

        import gunicorn  # noqa: F401
    except ImportError:
        return "waitress"
    return "gunicorn"


def serve(config: AppConfig, *, port: int, server: str | None = None,
          workers: int, threads: int) -> int:
    """Serve ``config`` on ``config.host:port`` until stopped (SIGTERM / Ctrl-C)."""
    server = server or default_server()
    log.info("serving on http://%s:%d with %s (%s)", config.host, port, server,
             f"{workers} workers x {threads} threads" if server == "gunicorn"
             else f"{threads} threads")
    if server == "gunicorn":
        return _serve_gunicorn(config, port=port, workers=workers, threads=threads)
    return _serve_waitress(config, port=port, threads=threads)


def bind_address(host: str, port: int) -> str:
    """gunicorn's ``bind``: ``host:port``, an IPv6 address in brackets."""
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(config: AppConfig, *, port: int, workers: int, threads: int) -> dict:
    return {"bind": bind_address(config.host, port), "workers": workers, "threads": threads,
            "worker_class": "gthread", "timeout": GUNICORN_TIMEOUT, "graceful_timeout": 30,
            "preload_app": False, "proc_name": "topograph", "worker_exit": _worker_exit,
            "post_worker_init": _post_worker_init}


GIL_SWITCH_SECONDS = 0.001  # gthread's main thread hands every keep-alive request to a
# pool thread; with Python's default 5 ms switch interval it waits behind busy request
# threads for the GIL, which showed in the recolour's p95 (benchmarks/RESULTS.md)


def _post_worker_init(_worker) -> None:
    import sys

    sys.setswitchinterval(GIL_SWITCH_SECONDS)


def _serve_gunicorn(config: AppConfig, *, port: int, workers: int, threads: int) -> int:
    from gunicorn.app.base import BaseApplication

    class Topograph(BaseApplication):
        def load_config(self) -> None:
            options = gunicorn_options(config, port=port, workers=workers, threads=threads)
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from explorer.app import create_app

            return create_app(config).server

    Topograph().run()
    return 0


def _worker_exit(_server, _worker) -> None:
    """A web worker that stops kills the job workers it forked (they would outlive it)."""
    from explorer.jobs import stop_workers

    stopped = stop_workers()
    if stopped:
        log.info("stopped %d job worker(s)", stopped)


def _serve_waitress(config: AppConfig, *, port: int, threads: int) -> int:
    import waitress

    from explorer.app import create_app
    from explorer.jobs import stop_workers

    try:
        waitress.serve(create_app(config).server, host=config.host.strip("[]"), port=port,
                       threads=threads, ident="topograph")
    finally:
        stop_workers()
    return 0
