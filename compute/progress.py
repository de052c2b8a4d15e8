"""Progress reporting shared by the command line and the dashboard.

Every long step takes ``progress: ProgressFn | None``; it is called as
``progress(done, total)`` with integer counts in the step's own unit (images, points,
levels). The CLI turns it into a tqdm bar, the dashboard into a background-callback
progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

ProgressFn = Callable[[int, int], None]


def report(progress: ProgressFn | None, done: int, total: int) -> None:
    """Call ``progress(done, total)`` if a callback was given."""
    if progress is not None:
        progress(int(done), int(total))


def scaled(progress: ProgressFn | None, start: float, stop: float) -> ProgressFn | None:
    """Map a sub-step's progress onto the fraction ``[start, stop]`` of a 0..1000 scale.

    Lets a pipeline of several steps drive one progress bar: step i reports its own
    ``(done, total)`` and the parent sees ``(start + (stop - start) * done / total) * 1000``
    out of 1000. A parent that takes stages (:class:`StageListener`) still hears the
    sub-step's own count and the name of the nearest enclosing :func:`staged` step.
    """
    return staged(progress, None, None, start, stop)


def staged(progress: ProgressFn | None, name: str | None, unit: str | None,
           start: float = 0.0, stop: float = 1.0) -> ProgressFn | None:
    """:func:`scaled`, and the step's ``name`` and count ``unit`` for a parent that takes
    stages (``staged(p, "embedding", "images", 0.45, 0.8)`` lets the page say "embedding
    450/1000 images"). A plain ``progress(done, total)`` parent sees the 0..1000 scale only.
    """
    if progress is None:
        return None
    return _Stage(progress, name, unit, float(start), float(stop))


class StageListener:
    """A :data:`ProgressFn` that also hears which stage reports (see :func:`staged`).

    Subclasses implement :meth:`on_stage`; calling the listener directly is an unnamed
    stage covering the whole job."""

    def __call__(self, done: int, total: int) -> None:
        self.on_stage(None, None, int(done), int(total), _fraction(done, total))

    def on_stage(self, name: str | None, unit: str | None, done: int, total: int,
                 fraction: float) -> None:
        """``done`` of ``total`` ``unit`` in stage ``name``; ``fraction`` (0..1) of the
        whole job."""
        raise NotImplementedError


class _Stage(StageListener):
    """One step's share ``[start, stop]`` of its parent's progress."""

    def __init__(self, parent, name, unit, start: float, stop: float) -> None:
        self.parent, self.name, self.unit = parent, name, unit
        self.start, self.stop = start, stop

    def on_stage(self, name, unit, done, total, fraction) -> None:
        overall = self.start + (self.stop - self.start) * min(max(fraction, 0.0), 1.0)
        if isinstance(self.parent, StageListener):
            self.parent.on_stage(name or self.name, unit if name else self.unit, done, total,
                                 overall)
        else:
            self.parent(round(overall * 1000), 1000)


def _fraction(done: int, total: int) -> float:
    return done / total if total else 1.0


@contextmanager
def terminal_bar(desc: str, *, enabled: bool = True) -> Iterator[ProgressFn]:
    """A tqdm progress bar on stderr, yielded as a :data:`ProgressFn`."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, total=0, disable=not enabled, dynamic_ncols=True, leave=True)

    def _progress(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield _progress
    finally:
        bar.close()
