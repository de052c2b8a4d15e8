"""The one place that chooses the background-callback manager.

Diskcache (the default, nothing to set up): a local folder, jobs in forked worker
processes on the server's machine. Celery + Redis (``--redis URL``): jobs on a queue, run
by Celery workers on any machine (:mod:`explorer.jobs.queue`, entry point
:mod:`explorer.celery_app`).

A forked worker inherits the server's memory, including the import locks of modules that
other server threads are importing at that moment; such a lock is never released in the
worker, whose own ``import torch`` then waits forever (seen: the second Compute of a
session hung in ``import torch``). So the Diskcache manager is made only after the
modules jobs need are imported, before the server answers its first request. (Importing
them in a background thread instead races with request threads importing the same
modules: a test saw torch half-imported.)

OpenMP does not survive fork either. GNU OpenMP, numba's threading layer, kills a
forked worker that runs a parallel kernel after its parent started numba's pool, so the
server runs its own numba kernels serially and leaves parallel ones to the workers
(:mod:`compute._parallel`). And a worker forked from a thread that had run an OpenMP
loop (faiss, torch) hangs in its own next loop, so workers are forked from a launcher
thread that runs nothing else.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

# What jobs import lazily (compute keeps heavy imports inside functions).
JOB_MODULES = ("torch", "faiss", "scipy.special", "sklearn.decomposition", "sklearn.manifold",
               "umap")


def make_background_manager(cache_dir: Path, redis_url: str | None = None):
    """The Dash background-callback manager: Celery on ``redis_url`` if given, else
    Diskcache in ``cache_dir/jobs``; both report workers that die without a result (see
    :func:`watched_manager_class`, :func:`explorer.jobs.queue.watched_celery_manager`)."""
    if redis_url:
        from explorer.jobs.queue import make_celery, watched_celery_manager

        return watched_celery_manager(make_celery(redis_url))
    import diskcache

    from compute._parallel import stay_serial_in_this_process

    stay_serial_in_this_process()
    jobs_dir = Path(cache_dir) / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    log.info("loading %s for the background jobs (the first start can take a minute)...",
             ", ".join(JOB_MODULES))
    import_job_modules()
    log.info("job modules loaded in %.1f s", time.perf_counter() - start)
    blas_threads(1)
    return watched_manager_class()(diskcache.Cache(str(jobs_dir)))


def blas_threads(n: int | None) -> None:
    """Let BLAS (OpenBLAS) use ``n`` threads in this process (None: one per core).

    The server keeps one: OpenBLAS's fork handler joins its thread pool, and a fork while
    another server thread's BLAS call (a figure's small MDS) uses that pool deadlocked the
    whole server (seen: the launcher thread stuck in ``blas_thread_shutdown_`` holding the
    GIL, every request waiting). Workers take every core back (:func:`_run_job`)."""
    from threadpoolctl import threadpool_limits

    from compute._parallel import usable_cores

    threadpool_limits(limits=n if n is not None else usable_cores(), user_api="blas")


def watched_manager_class():
    """Dash's DiskcacheManager, except that a job whose worker process died without a
    result (the kernel's out-of-memory killer sends SIGKILL, which no Python code sees)
    ends with an error saying so, instead of looking like a Cancel: Dash takes a dead
    worker without a result for a cancelled job and silently drops it.

    A job's id is its worker's pid. Several server processes (``--serve``) share the jobs
    folder, and a job's poll may reach any of them, so what a process learns about a job
    is kept there: Cancels (``terminate_job``, which stay silent) and deaths. The server
    that forked the worker learns how it ended from ``waitpid``; any other finds it gone
    (or a zombie) without a result.
    """
    from dash import DiskcacheManager

    class WatchedDiskcacheManager(DiskcacheManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._launcher = ThreadPoolExecutor(max_workers=1,
                                                thread_name_prefix="job-launcher")

        def call_job_fn(self, key, job_fn, args, context):
            """Start the job's worker from the launcher thread (see :func:`_start_worker`);
            its pid."""
            job_args = (key, self._make_progress_key(key), args, context)
            pid = self._launcher.submit(_start_worker, job_fn, job_args).result()
            for note in (_cancelled_key(pid), _death_key(pid)):  # of an earlier same pid
                self.handle.delete(note)
            return pid

        def terminate_job(self, job) -> None:
            if job is not None:
                self.handle.set(_cancelled_key(job), True, expire=JOB_NOTE_SECONDS)
            super().terminate_job(job)

        def get_result(self, key, job):
            return result_or_death(self, super().get_result, key, job, self.death)

        def death(self, job) -> str | None:
            """How job ``job`` ended without a result (None while it runs, after a Cancel)."""
            return None if self.handle.get(_cancelled_key(job)) else self._death(int(job))

        def _death(self, pid: int) -> str | None:
            """How worker ``pid`` ended without a result, as whichever server process
            saw it (None while it runs)."""
            death = worker_death(pid)
            if death is not None:
                self.handle.set(_death_key(pid), death, expire=JOB_NOTE_SECONDS)
                return death
            known = self.handle.get(_death_key(pid))
            if known is not None or _is_our_child(pid) or _is_alive(pid):
                return known
            return self.handle.get(_death_key(pid)) or f"{WORKER_DIED} ended without a result"

    return WatchedDiskcacheManager


def result_or_death(manager, get_result, key, job, death: Callable[[object], str | None]):
    """``get_result(key, job)`` (Dash's), or where the job's worker died without a result,
    Dash's error result saying how (``death(job)``), so the job ends with a message."""
    result = get_result(key, job)
    if result is not manager.UNDEFINED or job is None:
        return result
    how = death(job)
    if how is None:
        return result
    result = get_result(key, job)  # it may have finished meanwhile
    if result is not manager.UNDEFINED:
        return result
    log.error("background job %s: %s", job, how)
    return {"background_callback_error": {"msg": how, "tb": ""}}


JOB_NOTE_SECONDS = 7 * 86400  # how long the jobs folder remembers a Cancel or a death


def _cancelled_key(job) -> str:
    return f"topograph-job-cancelled-{int(job)}"


def _death_key(job) -> str:
    return f"topograph-job-died-{int(job)}"


def _is_our_child(pid: int) -> bool:
    """True while ``pid`` is a (running) child of this process: its end is ours to tell."""
    import psutil

    try:
        return psutil.Process(pid).ppid() == os.getpid()
    except psutil.NoSuchProcess:
        return False


def _is_alive(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie (any parent)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start_worker(job_fn, job_args: tuple) -> int:
    """Fork a worker that runs ``job_fn(*job_args)``; its pid. Called only in the launcher
    thread, which never runs OpenMP code: a forked child is a copy of the thread that
    forked, and one whose thread had run an OpenMP loop (faiss, torch) inherits that
    thread's pool without its threads, so the child's next OpenMP loop waits forever
    (seen: a job hung in faiss's search after the server's request thread had searched).
    """
    from multiprocess import Process

    worker = Process(target=_run_job, args=(job_fn, *job_args))
    worker.start()
    return worker.pid


def _run_job(job_fn, *job_args) -> None:
    """A job worker's main: SIGTERM kills it as usual (the server's own handler, which
    turns SIGTERM into a clean exit, would make a worker stopped by someone else look
    like one that finished without a result), then Dash's job function runs."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    blas_threads(None)
    job_fn(*job_args)


WORKER_DIED = "the job's worker process"


def worker_death(pid: int) -> str | None:
    """How the child process ``pid`` ended, if it ended without a result; None while it
    runs, after a normal exit, or when it is not (or no longer) this process's child."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    if done == 0:
        return None
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.valid_signals() else number
        return f"{WORKER_DIED} was killed by {name}"
    code = os.WEXITSTATUS(status)
    return f"{WORKER_DIED} exited with code {code} without a result" if code else None


def import_job_modules(modules: tuple[str, ...] = JOB_MODULES) -> None:
    """Import ``modules`` (and torchvision through its guard); a missing one is skipped."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            log.info("job module %s is not installed", name)
    try:
        from compute.torch_compat import import_torchvision

        import_torchvision()
    except ImportError:
        log.info("torchvision is not installed")


def stop_workers() -> int:
    """Kill the job workers this server forked, which would otherwise outlive it (a
    worker is a process of its own); return how many there were."""
    import psutil

    workers = psutil.Process().children(recursive=True)
    for worker in workers:
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.kill()
    psutil.wait_procs(workers, timeout=5)
    return len(workers)
