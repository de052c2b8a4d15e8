"""The UMAP manifold of the cluster space: its dimension, its graph, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from compute.graph.knn import knn_graph
from compute.graph.manifold import manifold_dimension, umap_manifold
from tests.compute.graph.test_parallel import run_script


@pytest.mark.parametrize("intrinsic, cap, expected", [(7.4, 2, 2), (1.2, 2, 1), (0.3, 2, 1),
                                                      (2.6, 5, 3), (12.0, 10, 10)])
def test_dimension_is_the_rounded_intrinsic_dimension_capped(intrinsic, cap, expected):
    assert manifold_dimension(intrinsic, cap) == expected


def test_dimension_refuses_nonsense():
    with pytest.raises(ValueError, match="finite intrinsic dimension"):
        manifold_dimension(float("nan"), 2)


def test_manifold_keeps_separate_blobs_apart_and_is_deterministic():
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], 100)
    x = rng.normal(size=(3, 20))[truth] * 6 + rng.normal(size=(300, 20))
    knn = knn_graph(x, maxk=30)
    m = umap_manifold(x, knn, intrinsic_dim=7.0, dim_cap=2, n_neighbors=15, min_dist=0.1)
    assert m.points.shape == (300, 2) and m.dimension == 2 and m.n_neighbors == 15
    centres = np.array([m.points[truth == c].mean(axis=0) for c in range(3)])
    spread = max(np.linalg.norm(m.points[truth == c] - centres[c], axis=1).mean()
                 for c in range(3))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > 3 * spread
    again = umap_manifold(x, knn, intrinsic_dim=7.0, dim_cap=2, n_neighbors=15, min_dist=0.1)
    np.testing.assert_array_equal(m.points, again.points)
    assert "2-D UMAP manifold" in m.describe() and "7.0" in m.describe()


def test_neighbours_are_clamped_to_the_graph_and_rows_must_match():
    x = np.random.default_rng(1).normal(size=(60, 5))
    knn = knn_graph(x, maxk=8)
    m = umap_manifold(x, knn, intrinsic_dim=1.0, dim_cap=2, n_neighbors=30, min_dist=0.1)
    assert m.n_neighbors == 9 and m.points.shape == (60, 1)
    with pytest.raises(ValueError, match="60 rows but there are 59 points"):
        umap_manifold(x[:59], knn, intrinsic_dim=1.0, dim_cap=2, n_neighbors=5, min_dist=0.1)


def test_a_serial_process_builds_the_manifold_in_a_child_and_keeps_no_thread_pool():
    """The page's server stays serial (it forks its jobs): UMAP's numba kernels, which
    start numba's thread pool, run in a child process there, with the same layout."""
    out = run_script("""
        from compute.graph.knn import knn_graph
        from compute.graph.manifold import umap_manifold
        _parallel.stay_serial_in_this_process()
        x = np.random.default_rng(0).normal(size=(60, 4))
        knn = knn_graph(x, maxk=8)
        serial = umap_manifold(x, knn, intrinsic_dim=2.0, dim_cap=2, n_neighbors=8, min_dist=0.1)
        print("pool started:", _parallel.numba_pool_started())
        print("layout:", serial.points.shape, repr(round(float(np.abs(serial.points).sum()), 3)))
    """)
    assert "pool started: False" in out
    x = np.random.default_rng(0).normal(size=(60, 4))
    here = umap_manifold(x, knn_graph(x, maxk=8), intrinsic_dim=2.0, dim_cap=2, n_neighbors=8,
                         min_dist=0.1)
    assert f"layout: (60, 2) {round(float(np.abs(here.points).sum()), 3)!r}" in out


def test_umaps_kernels_are_loaded_from_numbas_disk_cache_in_a_new_process():
    """umap-learn compiles its kernels without numba's cache; import_umap caches them, so
    a second process loads the layout kernel instead of compiling it (~5 CPU-s each), and
    lays out the same points."""
    script = """
        from compute.graph.knn import knn_graph
        from compute.graph.manifold import import_umap, umap_manifold
        x = np.random.default_rng(0).normal(size=(80, 4))
        m = umap_manifold(x, knn_graph(x, maxk=8), intrinsic_dim=2.0, dim_cap=2,
                          n_neighbors=8, min_dist=0.1)
        kernel = import_umap().layouts._nb_optimize_layout_euclidean_single_epoch
        print("hits:", sum(kernel.stats.cache_hits.values()))
        print("layout:", repr(round(float(np.abs(m.points).sum()), 3)))
    """
    first, second = run_script(script), run_script(script)
    assert "hits: 0" not in second
    assert first.split("layout:")[1] == second.split("layout:")[1]
