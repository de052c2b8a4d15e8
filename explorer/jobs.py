"""The one place that chooses the background-callback manager.

Diskcache (a local folder) by default; Celery with Redis when ``REDIS_URL`` is set, for a
deployment where workers run elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def make_background_manager(cache_dir: Path):
    """A Dash background-callback manager for this environment."""
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        try:
            from celery import Celery
        except ImportError as exc:
            raise RuntimeError("REDIS_URL is set but Celery is not installed: pip install "
                               "'celery[redis]', or unset REDIS_URL to use Diskcache") from exc
        from dash import CeleryManager

        celery_app = Celery(__name__, broker=redis_url, backend=redis_url)
        return CeleryManager(celery_app)
    import diskcache
    from dash import DiskcacheManager

    jobs_dir = Path(cache_dir) / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(jobs_dir)))
