"""Numba's kernels survive a fork after use: the dashboard forks its jobs from a server
that has run kernels (GNU OpenMP killed such a child with SIGTERM)."""

import subprocess
import sys
import textwrap

from compute._threading import preload_tbb, tbb_candidates

FORK_AFTER_KERNEL = textwrap.dedent("""
    import multiprocessing as mp
    import numba
    import numpy as np
    import compute
    from compute._knn_kernels import sorted_rows

    points = np.random.default_rng(0).normal(size=(200, 4))
    indices = np.tile(np.arange(10), (200, 1))

    def child():
        sorted_rows(points, indices)

    sorted_rows(points, indices)  # the parent runs a parallel kernel first
    process = mp.get_context("fork").Process(target=child)
    process.start()
    process.join(60)
    print(numba.threading_layer(), process.exitcode)
""")


def test_a_forked_child_runs_kernels_after_its_parent_did():
    out = subprocess.run([sys.executable, "-c", FORK_AFTER_KERNEL], capture_output=True,
                         text=True, timeout=300, check=True)
    assert out.stdout.split() == ["tbb", "0"], out.stderr[-2000:]


def test_tbb_is_found_where_pip_puts_it():
    assert any(path.is_file() for path in tbb_candidates()), (
        "libtbb.so.12 not found: pip install -r requirements.txt (tbb)")


def test_an_explicit_threading_layer_is_left_alone(monkeypatch):
    monkeypatch.setenv("NUMBA_THREADING_LAYER", "workqueue")
    assert preload_tbb() is None
