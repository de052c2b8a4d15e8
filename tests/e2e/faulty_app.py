"""``python -m tests.e2e.faulty_app [app.py flags]``: the real app with faults injected into
one compute step (the density-peak topography), chosen by the analysis setting max k so
that a test triggers them from the page as a user would:

- max k = 13: ``MemoryError`` inside the step (the machine ran out of memory).
- max k = 14: the step never ends; every 50 ms it writes ``"<pid> <count>"`` to the file
  named by ``$TOPOGRAPH_HEARTBEAT`` (the test checks that Cancel really stops it).
- max k = 19: the worker process is killed with SIGKILL, as the kernel's out-of-memory killer
  does (no Python code runs, no exception is raised).

Every other max k runs the real step. Background jobs run in forked worker processes, which
inherit the patched step.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import compute.pipeline as pipeline
from app import main
from compute.progress import report

OUT_OF_MEMORY_K = 13
ENDLESS_K = 14
KILLED_K = 19
HEARTBEAT_ENV = "TOPOGRAPH_HEARTBEAT"
_real_step = pipeline.topography_of


def faulty_step(vectors, params, *, cache, progress=None):
    if params.maxk == OUT_OF_MEMORY_K:
        raise MemoryError
    if params.maxk == ENDLESS_K:
        beat_forever(Path(os.environ[HEARTBEAT_ENV]), progress)
    if params.maxk == KILLED_K:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_step(vectors, params, cache=cache, progress=progress)


def beat_forever(path: Path, progress) -> None:
    count = 0
    while True:
        count += 1
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(f"{os.getpid()} {count}")
        os.replace(tmp, path)
        report(progress, count % 1000, 1000)
        time.sleep(0.05)


if __name__ == "__main__":
    pipeline.topography_of = faulty_step
    sys.exit(main())
