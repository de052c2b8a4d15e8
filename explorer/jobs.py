"""Background jobs: the one place that chooses their manager, and what a failed job
tells the user.

Diskcache (a local folder) by default; Celery with Redis when ``REDIS_URL`` is set, for a
deployment where workers run elsewhere. A job body runs inside :func:`run_job`, so an
exception (out of memory, damaged weights, a folder that vanished) becomes a message in
the job's alert instead of a silent stop, and the page stays usable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dash import no_update, set_props
from dash.exceptions import BackgroundCallbackError

from explorer import ids

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class JobFailure:
    """Why a job stopped, in the user's words: what went wrong and what to do about it."""

    what: str
    fix: str = ""

    @property
    def message(self) -> str:
        return f"{self.what} {self.fix}".strip()


def describe_failure(exc: BaseException, *, task: str) -> JobFailure:
    """What to tell the user about ``exc`` raised by ``task`` (e.g. "The analysis")."""
    if isinstance(exc, MemoryError):
        return JobFailure(f"{task} ran out of memory.",
                          "Close other programs, or choose a smaller backbone or a lower "
                          "max k, then try again.")
    if isinstance(exc, FileNotFoundError):
        return JobFailure(f"{task} stopped: {_first_line(exc)}.",
                          "Restore the missing files (or restart the app with --images DIR), "
                          "then try again.")
    if isinstance(exc, ValueError):  # our ValueErrors say what to do
        return JobFailure(f"{task} stopped: {_first_line(exc)}")
    if isinstance(exc, OSError):
        return JobFailure(f"{task} could not read or write a file: {_first_line(exc)}.",
                          "Check the folder's permissions and the free disk space, then try "
                          "again.")
    return JobFailure(f"{task} failed ({type(exc).__name__}: {_first_line(exc)}).",
                      "The server log has the details; try other settings or report it.")


def run_job(job: Callable[[], tuple], *, task: str, n_outputs: int) -> tuple:
    """``(*job(), "")``, or on any exception ``(no_update, ..., message)``: a failed job
    leaves every output as it was and says why in the last one (the job's alert)."""
    try:
        return (*job(), "")
    except Exception as exc:  # every failure must reach the user (MemoryError included)
        log.exception("%s failed", task)
        return (*([no_update] * n_outputs), describe_failure(exc, task=task).message)


def show_callback_error(exc: Exception) -> None:
    """Dash's ``on_error`` for every callback: log, say why in the page's alert, and leave
    the callback's outputs as they were (so the page stays usable)."""
    log.error("callback failed", exc_info=exc)
    task = "A background job" if isinstance(exc, BackgroundCallbackError) else "The last action"
    text = describe_failure(exc, task=task).message
    set_props(ids.APP_ERROR, {"children": f"{text} (click to dismiss)"})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__
