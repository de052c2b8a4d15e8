"""``celery -A tests.e2e.faulty_celery worker``: the real Celery worker entry point
(explorer.celery_app) with the faults of :mod:`tests.e2e.faulty_app` in its jobs."""

import compute.pipeline as pipeline
from tests.e2e.faulty_app import faulty_step

pipeline.topography_of = faulty_step

from explorer.celery_app import app  # noqa: E402

__all__ = ["app"]
