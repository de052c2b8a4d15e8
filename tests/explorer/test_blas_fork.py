"""The server keeps BLAS on one thread (a fork during a pooled BLAS call deadlocked it);
its job workers take every core back."""

from threadpoolctl import threadpool_info

from compute._parallel import usable_cores
from explorer.jobs.manager import blas_threads


def blas_thread_counts() -> set[int]:
    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


def test_blas_threads_are_limited_and_given_back():
    import numpy  # noqa: F401  (loads OpenBLAS)

    try:
        blas_threads(1)
        assert blas_thread_counts() == {1}
        blas_threads(None)
        assert blas_thread_counts() == {usable_cores()}
    finally:
        blas_threads(None)
