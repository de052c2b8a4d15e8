"""Wall-clock and CPU timing shared by the benchmark scripts (stdlib only, so it also runs
inside the DADApy oracle environment)."""

from __future__ import annotations

import time

CPU: dict[str, float] = {}  # process CPU seconds per step (all threads), beside wall time


def timed(fn, step: str | None = None):
    """Run ``fn()``; return (value, wall seconds) and record CPU seconds under ``step``."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    if step:
        CPU[step] = time.process_time() - cpu
    return value, time.perf_counter() - start
