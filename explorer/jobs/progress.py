"""What a running job says while the user waits: its stage, a count with units and the
time left, e.g. ``embedding 450/1000 images - about 40 s left``.

A job's worker builds one :class:`JobProgress` from Dash's ``set_progress`` and hands it to
the compute step as its ``progress`` callback; the steps name their stages through
:func:`compute.progress.staged`. The time left is estimated from the rate of the current
stage since it began (stages differ too much for one rate over the whole job); a stage
without a count (a projection) shows the time spent so far, refreshed every second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from compute.progress import StageListener

# What the bar's "max" is: the job's fraction in thousandths.
BAR_MAX = 1000
# Below this many seconds in a stage the rate is too noisy to predict anything.
MIN_SECONDS_FOR_ESTIMATE = 1.0
# At most this many progress messages a second go to the browser (each is a disk write).
MESSAGES_PER_SECOND = 4


def format_seconds(seconds: float) -> str:
    """``"8 s"``, ``"1 min 05 s"``, ``"2 h 03 min"``: a duration for people."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def seconds_left(done: int, total: int, *, done_at_start: int, elapsed: float) -> float | None:
    """Time to finish a stage at its rate so far: ``elapsed`` seconds took it from
    ``done_at_start`` to ``done`` of ``total``. None while there is no rate to go by."""
    progressed = done - done_at_start
    if total <= 0 or progressed <= 0 or elapsed < MIN_SECONDS_FOR_ESTIMATE:
        return None
    return max(total - done, 0) * elapsed / progressed


def progress_text(stage: str | None, done: int, total: int, unit: str | None, *,
                  left: float | None = None, elapsed: float | None = None) -> str:
    """One line: ``embedding 450/1000 images - about 40 s left``. Without a count
    (``total`` <= 1) the stage and, when given, the ``elapsed`` time."""
    words = [stage or "working"]
    if total > 1:
        words.append(f"{done}/{total}" + (f" {unit}" if unit else ""))
    text = " ".join(words)
    if left is not None:
        return f"{text} - about {format_seconds(left)} left"
    if elapsed is not None and total <= 1:
        return f"{text} - {format_seconds(elapsed)} so far"
    return text


class JobProgress(StageListener):
    """A job's ``progress`` callback that sends ``(bar value, bar max, text)`` through
    ``send`` (Dash's ``set_progress``), at most :data:`MESSAGES_PER_SECOND` a second
    except when the stage changes. Use as a context manager to refresh the elapsed time
    of stages without a count every ``tick`` seconds."""

    def __init__(self, send: Callable[[tuple], None], *, first_stage: str = "starting",
                 clock: Callable[[], float] = time.monotonic, tick: float = 1.0) -> None:
        self._send, self._clock, self._tick = send, clock, tick
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stage: tuple[str | None, str | None] = (first_stage, None)
        self._stage_start, self._done_at_start = clock(), 0
        self._last: tuple = (first_stage, None, 0, 0, 0.0)
        self._sent_at = -1e9

    def on_stage(self, name, unit, done, total, fraction) -> None:
        """A report of an unnamed step (``name`` None) moves the bar and keeps the text of
        the last named stage."""
        with self._lock:
            now = self._clock()
            if name is None:
                name, unit, done, total = self._last[:4]
            elif (name, unit) != self._stage or done < self._done_at_start:
                self._stage, self._stage_start, self._done_at_start = (name, unit), now, done
                self._sent_at = -1e9  # a new stage is always shown
            self._last = (name, unit, done, total, fraction)
            if now - self._sent_at >= 1.0 / MESSAGES_PER_SECOND or done >= total:
                self._emit(now)

    def text(self, now: float | None = None) -> str:
        """What the page shows now."""
        name, unit, done, total, _ = self._last
        elapsed = (self._clock() if now is None else now) - self._stage_start
        left = seconds_left(done, total, done_at_start=self._done_at_start, elapsed=elapsed)
        return progress_text(name, done, total, unit, left=left, elapsed=elapsed)

    def _emit(self, now: float) -> None:
        self._sent_at = now
        fraction = self._last[4]
        self._send((str(round(fraction * BAR_MAX)), str(BAR_MAX), self.text(now)))

    def __enter__(self) -> JobProgress:
        self._thread = threading.Thread(target=self._refresh, name="job-progress",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        """Stop refreshing before the job's result is written (no progress after it)."""
        self._stop.set()
        self._thread.join(timeout=5 * self._tick)

    def _refresh(self) -> None:
        while not self._stop.wait(self._tick):
            with self._lock:
                if self._clock() - self._sent_at >= self._tick:
                    self._emit(self._clock())
