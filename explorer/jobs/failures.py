"""What a failed job or callback tells the user.

A job body runs inside :func:`run_job`, so an exception (out of memory, damaged weights, a
folder that vanished) becomes a message in the job's alert instead of a silent stop, and
the page stays usable. :func:`show_callback_error` does the same for every other callback
(Dash's ``on_error``), in the page's alert.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from dash import no_update, set_props
from dash.exceptions import BackgroundCallbackError

from explorer import ids
from explorer.jobs.manager import WORKER_DIED
from explorer.jobs.progress import format_seconds

log = logging.getLogger(__name__)


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
    if isinstance(exc, BackgroundCallbackError) and WORKER_DIED in str(exc):
        if "SIGKILL" not in str(exc):
            return JobFailure(f"{task} stopped: {_died(exc)}.",
                              "The server log says why; try again, or report it.")
        return JobFailure(f"{task} stopped: {_died(exc)}, most likely by the system's "
                          "out-of-memory killer.",
                          "Close other programs, or choose a smaller backbone or a lower "
                          "max k, then try again.")
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


def run_timed_job(job: Callable[[], tuple], *, task: str, n_outputs: int,
                  clock: Callable[[], float] = time.monotonic) -> tuple:
    """:func:`run_job` with the job's status line before its alert: ``"done in 12 s"``, or
    ``""`` when it failed (the alert says why), so no stage of a finished job lingers."""
    start = clock()
    *outputs, alert = run_job(job, task=task, n_outputs=n_outputs)
    return (*outputs, "" if alert else f"done in {format_seconds(clock() - start)}", alert)


def show_callback_error(exc: Exception) -> None:
    """Dash's ``on_error`` for every callback: log, say why in the alert of the job that
    failed (else in the page's alert), and leave the callback's outputs as they were (so
    the page stays usable)."""
    log.error("callback failed", exc_info=exc)
    task = "A background job" if isinstance(exc, BackgroundCallbackError) else "The last action"
    text = describe_failure(exc, task=task).message
    alert = _job_alert()
    if alert is not None:
        set_props(alert, {"children": text})
    else:
        set_props(ids.APP_ERROR, {"children": f"{text} (click to dismiss)"})


def _job_alert() -> str | None:
    """The id of the failed callback's own job alert (an output whose id ends in
    "-error"), if it has one."""
    from dash import callback_context

    try:
        outputs = callback_context.outputs_list
    except Exception:  # no callback context (called outside a request)
        return None
    if isinstance(outputs, dict):  # a callback of one output: Dash gives it alone
        outputs = [outputs]
    flat = [o for group in outputs for o in (group if isinstance(group, list) else [group])]
    return next((o["id"] for o in flat if isinstance(o.get("id"), str)
                 and o["id"].endswith("-error") and o["id"] != ids.APP_ERROR), None)


def _died(exc: BaseException) -> str:
    """The worker's fate out of Dash's "An error occurred inside a background callback:
    <message>" wrapping."""
    text = str(exc)
    return text[text.index(WORKER_DIED):].splitlines()[0].rstrip(".")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__
