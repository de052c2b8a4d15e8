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
    out of 1000.
    """
    if progress is None:
        return None

    def _progress(done: int, total: int) -> None:
        frac = start + (stop - start) * (done / total if total else 1.0)
        progress(round(frac * 1000), 1000)

    return _progress


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
