"""Jobs on Celery + Redis (``--redis URL``): Dash's CeleryManager, watched for dead workers.

The web processes put each background callback on a Redis queue; Celery workers started
beside them (``celery -A explorer.celery_app worker``, configured by the same app.py
flags in ``$TOPOGRAPH_ARGS``) run it and write progress and result back to Redis, where
any web process reads them. Cancel revokes the task on every worker.

Dash's CeleryManager waits for a result forever when the worker running the job dies
(``kill -9``, the out-of-memory killer, a node lost). Here such a job ends with a message
instead, found in two ways: Celery marks the task FAILED with ``WorkerLostError`` when a
pool process dies under a living worker, and every running job keeps a heartbeat key in
Redis (refreshed every :data:`HEARTBEAT_SECONDS`), whose expiry after the job had started
means that its whole worker died. A restarted worker picks up the next jobs.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator

from explorer.jobs.manager import WORKER_DIED, result_or_death

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0  # how often a running job says that it is alive
HEARTBEAT_TTL = 10  # s without a heartbeat after which a started job's worker is dead
NOTE_SECONDS = 7 * 86400  # how long Redis keeps a job's notes
TASK_NAME = "topograph"  # the Celery app's main name (task names start with it)


def make_celery(redis_url: str):
    """The Celery app of one deployment: Redis as broker and result backend."""
    from celery import Celery

    app = Celery(TASK_NAME, broker=redis_url, backend=redis_url)
    app.conf.update(
        worker_prefetch_multiplier=1,  # a worker takes one job at a time from the queue
        task_acks_late=False,  # a job that killed its worker is not run again on its own
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 600},  # an unstarted job reserved
        # by a worker that died goes back to the queue after this many seconds
        result_expires=NOTE_SECONDS,
    )
    return app


def watched_celery_manager(celery_app):
    """Dash's CeleryManager on ``celery_app``, whose jobs end with a message when their
    worker dies (see the module's docstring)."""
    from dash import CeleryManager

    class WatchedCeleryManager(CeleryManager):
        def make_job_fn(self, fn, progress, key=None):
            return super().make_job_fn(_with_heartbeat(fn, self.handle), progress, key)

        def terminate_job(self, job) -> None:
            if job is not None:
                self._redis().set(_note(job, "cancelled"), 1, ex=NOTE_SECONDS)
            super().terminate_job(job)

        def get_result(self, key, job):
            return result_or_death(self, super().get_result, key, job, self.death)

        def death(self, job: str) -> str | None:
            """How job ``job`` ended without a result; None while it is queued or runs,
            and after a Cancel."""
            redis = self._redis()
            if redis.get(_note(job, "cancelled")):
                return None
            task = self.handle.AsyncResult(job)
            if task.state == "FAILURE":
                return worker_lost_message(str(task.info))
            if redis.get(_note(job, "started")) and not redis.get(_note(job, "alive")):
                if redis.get(_note(job, "finished")) or redis.get(_note(job, "cancelled")):
                    return None
                return (f"{WORKER_DIED} stopped without a result: its Celery worker died "
                        "or lost its connection to Redis")
            return None

        def _redis(self):
            return self.handle.backend.client

    return WatchedCeleryManager(celery_app)



def worker_lost_message(failure: str) -> str:
    """The user's words for a Celery task failure, e.g. ``Worker exited prematurely:
    signal 9 (SIGKILL) Job: 3.`` -> "the job's worker process was killed by SIGKILL"."""
    killed = re.search(r"signal \d+ \((SIG\w+)\)", failure)
    if killed:
        return f"{WORKER_DIED} was killed by {killed.group(1)}"
    code = re.search(r"exitcode (\d+)", failure)
    if code:
        return f"{WORKER_DIED} exited with code {code.group(1)} without a result"
    return f"{WORKER_DIED} failed in its Celery worker: {failure.splitlines()[0][:200]}"


def _note(job: str, what: str) -> str:
    return f"topograph-job-{what}-{job}"


def _with_heartbeat(fn: Callable, celery_app) -> Callable:
    """``fn`` that, while it runs in a Celery worker, keeps its job's heartbeat in Redis."""
    import functools

    @functools.wraps(fn)
    def job(*args, **kwargs):
        from celery import current_task

        with heartbeat(celery_app.backend.client, current_task.request.id):
            return fn(*args, **kwargs)
    return job


@contextlib.contextmanager
def heartbeat(redis, job: str) -> Iterator[None]:
    """Mark ``job`` started and alive until the block ends (then finished)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(Exception):  # Redis away for a moment: try again
                redis.set(_note(job, "alive"), 1, ex=HEARTBEAT_TTL)

    pipe = redis.pipeline()
    pipe.set(_note(job, "alive"), 1, ex=HEARTBEAT_TTL)
    pipe.set(_note(job, "started"), 1, ex=NOTE_SECONDS)
    pipe.execute()
    thread = threading.Thread(target=beat, name=f"heartbeat-{job}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        redis.set(_note(job, "finished"), 1, ex=NOTE_SECONDS)
        stop.set()
