"""Numba's threading layer: TBB, so that a process that ran a parallel kernel may fork.

Numba's parallel kernels (kNN rows, densities, ADP) run on a threading layer chosen at the
first launch: TBB if it can be loaded, else GNU OpenMP. OpenMP is not fork-safe: a child
forked from a process that already ran a parallel kernel is killed (SIGTERM, "Terminating:
fork() called from a process already using GNU OpenMP") as soon as it runs one itself. The
dashboard's server runs kernels (the hierarchy panel) and forks its background jobs, so
with OpenMP every Compute that needed a new kNN graph died once the page had shown a
hierarchy. TBB is fork-safe and thread-safe.

The ``tbb`` wheel (requirements.txt) puts ``libtbb.so.12`` in ``<prefix>/lib``, which
the dynamic loader does not search from a virtual environment, so numba would silently
fall back to OpenMP. :func:`preload_tbb` loads it by path first (``import compute`` does),
which is all numba needs to find it.
"""

from __future__ import annotations

import ctypes
import os
import site
import sys
from pathlib import Path

TBB_LIBRARY = "libtbb.so.12"


def tbb_candidates() -> list[Path]:
    """Where a pip-installed TBB library may be: the environment's, the base
    interpreter's and the user's ``lib`` folders."""
    prefixes = [sys.prefix, sys.base_prefix, getattr(site, "USER_BASE", None) or ""]
    return [Path(p) / "lib" / TBB_LIBRARY for p in dict.fromkeys(prefixes) if p]


def preload_tbb() -> Path | None:
    """Load TBB globally so that numba's TBB layer finds it; the path loaded, or None
    (not installed, not Linux, or the user chose a layer with NUMBA_THREADING_LAYER)."""
    if not sys.platform.startswith("linux") or os.environ.get("NUMBA_THREADING_LAYER"):
        return None
    for path in tbb_candidates():
        if path.is_file():
            try:
                ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            return path
    return None
