"""Parallel numba kernels that stay safe in a process that forks workers.

numba's default threading layer is GNU OpenMP, which cannot survive ``fork``: a child
forked from a process that had started numba's thread pool (by running *or compiling* a
``parallel=True`` kernel) is killed with SIGTERM the moment it runs a parallel kernel of
its own ("Terminating: fork() called from a process already using GNU OpenMP"). The
dashboard's server forks a worker per background job (Dash's Diskcache manager) and also
runs small steps itself in request threads, so both sides need kernels.

Every parallel kernel is therefore compiled twice, lazily (:func:`twin_kernel`): the
parallel variant and a serial one (``prange`` runs as ``range``: same code, same result).
A call takes the parallel variant unless

- this process was told to stay serial (:func:`stay_serial_in_this_process`: the server,
  so that the workers it forks may run parallel kernels), or
- this process was forked from one whose numba thread pool was already running (the
  safety net: such a worker then computes serially instead of being killed).

The module imports numba only when a kernel is made, so the server can mark itself
serial without importing it.
"""

from __future__ import annotations

import logging
import os
import sys
import types
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_serial_pid: int | None = None  # the process that asked to stay serial
_inherited_pool_pid: int | None = None  # a child whose parent's pool was running


def usable_cores() -> int:
    """CPU cores this process may run on: its affinity (a SLURM task's share, ``taskset``,
    a container's cpuset), not the machine's count, which ``os.cpu_count`` gives. numba
    sizes its thread pool the same way; faiss, BLAS and the decoding workers are told."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform (macOS, Windows)
        return os.cpu_count() or 1


def stay_serial_in_this_process() -> None:
    """Make this process (not its future children) run every twin kernel serially, so
    that it never starts numba's thread pool and the workers it forks can."""
    global _serial_pid
    _serial_pid = os.getpid()


def parallel_kernels_allowed() -> bool:
    """Whether a twin kernel called now in this process takes its parallel variant."""
    pid = os.getpid()
    return pid != _serial_pid and pid != _inherited_pool_pid


def numba_pool_started() -> bool:
    """Whether numba's thread pool has been started (or inherited) in this process."""
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    return bool(parallel is not None and getattr(parallel, "_is_initialized", False))


def _note_inherited_pool() -> None:
    global _inherited_pool_pid
    if numba_pool_started():
        _inherited_pool_pid = os.getpid()
        log.warning("process %d was forked after its parent started numba's thread pool; "
                    "its numba kernels run serially", _inherited_pool_pid)


os.register_at_fork(after_in_child=_note_inherited_pool)


class TwinKernel:
    """A numba kernel compiled as ``parallel`` and as ``serial`` (each on first use, each
    cached on disk); calling it runs the variant :func:`parallel_kernels_allowed` picks."""

    def __init__(self, py_func: Callable[..., Any], **options: Any) -> None:
        import numba

        self.parallel = numba.njit(parallel=True, cache=True, **options)(py_func)
        self.serial = numba.njit(cache=True, **options)(_renamed_copy(py_func, "_serial"))
        self.__doc__ = py_func.__doc__
        self.__name__ = py_func.__name__

    def __call__(self, *args: Any) -> Any:
        kernel = self.parallel if parallel_kernels_allowed() else self.serial
        return kernel(*args)


def twin_kernel(**options: Any) -> Callable[[Callable[..., Any]], TwinKernel]:
    """Decorator: ``@twin_kernel(fastmath=True)`` over a function that loops with
    ``numba.prange``; ``options`` go to ``numba.njit`` for both variants."""
    return lambda py_func: TwinKernel(py_func, **options)


def _renamed_copy(func: types.FunctionType, suffix: str) -> types.FunctionType:
    """The same code under another qualified name: numba names its on-disk cache after
    the qualified name, and one name for both variants would let a serial process load
    the parallel machine code."""
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__ + suffix,
                              func.__defaults__, func.__closure__)
    copy.__qualname__ = func.__qualname__ + suffix
    copy.__module__ = func.__module__
    copy.__doc__ = func.__doc__
    return copy
