"""The one place that chooses the background-callback manager.

Diskcache: a local folder, jobs in forked worker processes on the server's machine. (A
Celery + Redis manager for workers on other machines is not offered: it needs a worker
entry point and tests against a real Redis, neither of which exists yet.)

A forked worker inherits the server's memory, including the import locks of modules that
other server threads are importing at that moment; such a lock is never released in the
worker, whose own ``import torch`` then waits forever (seen: the second Compute of a
session hung in ``import torch``). So the Diskcache manager is made only after the
modules jobs need are imported, before the server answers its first request. (Importing
them in a background thread instead races with request threads importing the same
modules: a test saw torch half-imported.)
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from pathlib import Path

log = logging.getLogger(__name__)

# What jobs import lazily (compute keeps heavy imports inside functions).
JOB_MODULES = ("torch", "faiss", "scipy.special", "sklearn.decomposition", "sklearn.manifold",
               "umap")


def make_background_manager(cache_dir: Path):
    """The Dash background-callback manager: Diskcache in ``cache_dir/jobs``."""
    import diskcache
    from dash import DiskcacheManager

    jobs_dir = Path(cache_dir) / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    import_job_modules()
    log.info("job modules imported in %.1f s", time.perf_counter() - start)
    return DiskcacheManager(diskcache.Cache(str(jobs_dir)))


def import_job_modules(modules: tuple[str, ...] = JOB_MODULES) -> None:
    """Import ``modules`` (and torchvision through its guard); a missing one is skipped."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            log.info("job module %s is not installed", name)
    try:
        from compute.torch_compat import import_torchvision

        import_torchvision()
    except ImportError:
        log.info("torchvision is not installed")


def stop_workers() -> int:
    """Kill the job workers this server forked, which would otherwise outlive it (a
    worker is a process of its own); return how many there were."""
    import psutil

    workers = psutil.Process().children(recursive=True)
    for worker in workers:
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.kill()
    psutil.wait_procs(workers, timeout=5)
    return len(workers)
