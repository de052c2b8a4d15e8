"""Twin numba kernels: serial in a process that forks workers, parallel in the workers
(compute._parallel).

The fork scenarios run in a fresh interpreter each: this test process may already have
started numba's thread pool, which is exactly the state under test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from compute import _parallel
from compute.graph import knn_kernels as _knn_kernels
from tests.conftest import REPO_ROOT

# A script's preamble: a kernel large enough to run in parallel, and a fork that reports
# how its child ended.
PREAMBLE = """
import os, signal
import numpy as np
from compute import _parallel
from compute.graph.knn_kernels import sorted_rows, _sorted_rows

rng = np.random.default_rng(0)
points = rng.random((3000, 8)).astype(np.float32)
rows = np.argsort(rng.random((3000, 300)), axis=1)[:, :20] * 10
rows[:, 0] = np.arange(3000)

def in_child(body):
    '''Fork; the child runs body() and exits 0 (or 3 if it raised); the parent returns
    how the child ended: "exit N" or the name of the signal that killed it.'''
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            body()
        except BaseException as exc:
            print("child raised", repr(exc), flush=True)
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit {os.WEXITSTATUS(status)}"
"""


def run_script(body: str) -> str:
    """Run PREAMBLE + body in a fresh interpreter at the repository root; its stdout."""
    script = PREAMBLE + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_child_that_runs_a_parallel_kernel_after_its_parent_did_is_killed():
    """The hazard itself (GNU OpenMP, numba's default layer): why the twins exist."""
    out = run_script("""
        _sorted_rows.parallel(points, rows)
        print("child:", in_child(lambda: _sorted_rows.parallel(points, rows)))
    """)
    assert "child: SIGTERM" in out


def test_a_serial_process_never_starts_the_pool_and_its_children_run_in_parallel():
    out = run_script("""
        _parallel.stay_serial_in_this_process()
        expected = sorted_rows(points, rows)
        print("parent pool started:", _parallel.numba_pool_started())

        def child():
            assert _parallel.parallel_kernels_allowed()
            got = sorted_rows(points, rows)
            assert _parallel.numba_pool_started()  # it really ran the parallel variant
            assert all(np.array_equal(a, b) for a, b in zip(got, expected))

        print("child:", in_child(child))
        print("parent still serial:", not _parallel.parallel_kernels_allowed())
    """)
    assert "parent pool started: False" in out
    assert "child: exit 0" in out
    assert "parent still serial: True" in out


def test_a_child_forked_after_the_pool_started_computes_serially_instead_of_dying():
    out = run_script("""
        expected = sorted_rows(points, rows)
        assert _parallel.numba_pool_started()

        def child():
            assert not _parallel.parallel_kernels_allowed()
            got = sorted_rows(points, rows)
            assert all(np.array_equal(a, b) for a, b in zip(got, expected))

        print("child:", in_child(child))
        print("parent parallel:", _parallel.parallel_kernels_allowed())
    """)
    assert "child: exit 0" in out
    assert "parent parallel: True" in out


def test_the_whole_pipeline_in_a_serial_process_leaves_the_pool_alone():
    """Every numba kernel of our own steps is a twin: not one parallel kernel runs (or is
    compiled) in a process that stays serial; the UMAP manifold (umap-learn's numba code)
    is built in a child process there (compute.graph.manifold)."""
    out = run_script("""
        from compute.graph.intrinsic_dim import id_scale_analysis
        from compute.params import AnalysisParams
        from compute.peaks.topography import analyse
        _parallel.stay_serial_in_this_process()
        blobs = np.concatenate([rng.normal(c, 0.3, (800, 6)) for c in (0.0, 4.0, 8.0)])
        blobs = blobs.astype(np.float32)
        for density, space in (("pak", "full"), ("knn", "umap")):
            topography = analyse(blobs, AnalysisParams(maxk=40, density=density, halo=True,
                                                       space=space))
        id_scale_analysis(blobs, knn=topography.knn)
        print("clusters:", topography.clustering.n_clusters)
        print("pool started:", _parallel.numba_pool_started())
    """)
    assert "clusters: 3" in out
    assert "pool started: False" in out


def test_in_this_process_a_twin_runs_parallel_unless_told_otherwise(monkeypatch):
    monkeypatch.setattr(_parallel, "_serial_pid", None)
    monkeypatch.setattr(_parallel, "_inherited_pool_pid", None)
    assert _parallel.parallel_kernels_allowed() or _parallel._inherited_pool_pid == os.getpid()
    _parallel.stay_serial_in_this_process()
    assert not _parallel.parallel_kernels_allowed()


def _random_graph(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    points = rng.random((n, 5)).astype(np.float32)
    indices = np.stack([rng.permutation(n)[:k] for _ in range(n)])
    indices[:, 0] = np.arange(n)
    return points, indices.astype(np.int64)


@pytest.fixture(scope="module")
def kernel_inputs() -> dict[str, tuple]:
    """Arguments for each twin kernel, from one small kNN graph."""
    from compute.graph.knn import knn_graph

    points, indices = _random_graph(400, 12)
    graph = knn_graph(points, maxk=12)
    distances, ordered = graph.distances, np.ascontiguousarray(graph.indices, dtype=np.int64)
    with np.errstate(divide="ignore"):
        log_dist = np.log(distances)
    rng = np.random.default_rng(1)
    label = rng.integers(0, 3, 400)
    gram = rng.random((3, 16, 16)).astype(np.float32)
    gram = gram + gram.transpose(0, 2, 1)
    return {
        "_pair_distances": (points, np.arange(400, dtype=np.int64), ordered),
        "_sorted_rows": (points, indices),
        "_first_two_members": (ordered, distances, label, np.arange(0, 400, 3)),
        "_three_smallest": (gram, rng.random((3, 16))),
        "_smallest_columns": (rng.random((50, 30)), 4),
        "pak_solve": (distances, np.arange(400) % 8 + 3, 5.0, 1.6),
        "kstar_scan": (log_dist, ordered, 5.0, 23.928),
    }


@pytest.mark.parametrize("name", ["_pair_distances", "_sorted_rows", "_first_two_members",
                                  "_three_smallest", "_smallest_columns", "pak_solve",
                                  "kstar_scan"])
def test_both_variants_of_each_kernel_give_identical_results(name, kernel_inputs):
    from compute.graph import density_kernels as _density_kernels

    kernel = getattr(_knn_kernels, name, None) or getattr(_density_kernels, name)
    assert isinstance(kernel, _parallel.TwinKernel)
    args = kernel_inputs[name]
    parallel, serial = kernel.parallel(*args), kernel.serial(*args)
    parallel = parallel if isinstance(parallel, tuple) else (parallel,)
    serial = serial if isinstance(serial, tuple) else (serial,)
    for a, b in zip(parallel, serial, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_two_variants_have_their_own_disk_cache_entries():
    kernel = _knn_kernels._sorted_rows
    assert kernel.serial.py_func.__qualname__ == "_sorted_rows_serial"
    assert kernel.parallel.py_func.__qualname__ == "_sorted_rows"
    assert kernel.serial.py_func.__code__ is kernel.parallel.py_func.__code__
    index_files = {variant._cache._cache_file._index_path
                   for variant in (kernel.serial, kernel.parallel)}
    assert len(index_files) == 2  # numba's on-disk index of each variant


def test_usable_cores_are_this_process_s_affinity_not_the_machine_s(monkeypatch):
    """A SLURM task or a taskset'd process may run on fewer cores than the machine has:
    faiss gets that many threads, as numba's pool does."""
    import faiss

    from compute.graph.knn import _set_faiss_threads

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert _parallel.usable_cores() == 1
    try:
        _set_faiss_threads()
        assert faiss.omp_get_max_threads() == 1
    finally:
        monkeypatch.undo()
        _set_faiss_threads()
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)  # macOS, Windows
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert _parallel.usable_cores() == 3
