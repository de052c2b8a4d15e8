"""The analyse() facade: the real engine steps end to end, caching, re-merging."""

from __future__ import annotations

import numpy as np
import pytest

from compute.cache import StepCache
from compute.params import AnalysisParams
from compute.peaks import adp
from compute.peaks.topography import analyse
from tests.compute.adp_toys import rays


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0]], dtype=float)
    truth = np.repeat([0, 1, 2], 150)
    return centres[truth] + rng.normal(size=(450, 3)), truth


def test_three_blobs_give_three_clusters(blobs):
    from sklearn.metrics import adjusted_rand_score

    x, truth = blobs
    topo = analyse(x, AnalysisParams(maxk=40))
    assert topo.clustering.n_clusters == 3
    assert adjusted_rand_score(truth, topo.clustering.labels) > 0.95
    assert 2.0 < topo.intrinsic_dim.dimension < 4.0
    assert topo.knn.maxk == 40 and topo.density.method == "pak"
    assert topo.rho_max == topo.density.log_density.max()
    # the facade's ADP is ADP on the facade's own graph and density
    np.testing.assert_array_equal(adp(topo.knn, topo.density, z=1.65).labels,
                                  topo.clustering.labels)


def test_knn_density_and_remerge(blobs):
    x, _ = blobs
    topo = analyse(x, AnalysisParams(maxk=40, density="knn", k=15, z=1.0))
    assert topo.density.method == "knn" and (topo.density.kstar == 15).all()
    merged = topo.remerge(z=4.0, halo=True)
    assert merged.peaks is topo.peaks and merged.knn is topo.knn
    assert merged.params.z == 4.0 and merged.params.halo
    assert merged.clustering.n_clusters <= topo.clustering.n_clusters
    fresh = analyse(x, AnalysisParams(maxk=40, density="knn", k=15, z=4.0, halo=True))
    np.testing.assert_array_equal(fresh.clustering.assignment, merged.clustering.assignment)


def test_cache_reuses_every_step(blobs, tmp_path, monkeypatch):
    import compute.peaks

    x, _ = blobs
    cache = StepCache(tmp_path)
    first = analyse(x, AnalysisParams(maxk=30), cache=cache)
    assert {p.name for p in tmp_path.iterdir()} == {"knn", "intrinsic_dim", "density",
                                                    "adp_peaks"}

    def boom(*args, **kwargs):
        raise AssertionError("steps 1-4 should come from the cache")

    monkeypatch.setattr(compute.peaks, "find_peaks", boom)
    again = analyse(x, AnalysisParams(maxk=30, z=2.0), cache=cache)  # a new Z: no recomputation
    np.testing.assert_array_equal(again.peaks.labels, first.peaks.labels)
    with pytest.raises(AssertionError, match="from the cache"):
        analyse(x, AnalysisParams(maxk=30, density="knn", k=10), cache=cache)  # a new density does


def test_progress_reaches_the_end(blobs):
    x, _ = blobs
    seen = []
    analyse(x[:100], AnalysisParams(maxk=20),
            progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (1000, 1000)
    assert all(0 <= d <= t for d, t in seen)


def test_bad_parameters(blobs):
    x, _ = blobs
    with pytest.raises(ValueError, match="Z must be"):
        analyse(x, AnalysisParams(z=0.5))
    with pytest.raises(ValueError, match="density must be"):
        analyse(x, AnalysisParams(density="gauss"))
    with pytest.raises(ValueError, match="exceeds maxk"):
        analyse(x, AnalysisParams(maxk=20, density="knn", k=50))
    with pytest.raises(ValueError, match="k must lie"):  # maxk clamped below k by few rows
        analyse(x[:10], AnalysisParams(maxk=30, density="knn", k=20))
    with pytest.raises(ValueError, match="at least 3 distinct points"):
        analyse(x[:2])
    with pytest.raises(ValueError, match="at least 3 distinct points"):
        analyse(np.r_[x[:2], x[:2]])


def test_duplicate_rows_share_their_cluster(blobs):
    x, _ = blobs
    with_copies = np.r_[x, x[[0, 0, 200]]]
    topo = analyse(with_copies, AnalysisParams(maxk=30))
    labels = topo.clustering.labels
    assert topo.knn.deduplication is not None
    assert labels[450] == labels[451] == labels[0] and labels[452] == labels[200]
    assert np.isfinite(topo.density.log_density).all()


def test_maxk_is_clamped_to_the_distinct_rows(blobs):
    x, _ = blobs
    few = np.r_[x[:6], x[:6], x[:6]]  # 18 rows, 6 distinct
    topo = analyse(few, AnalysisParams(maxk=100))
    assert topo.params.maxk == 5 and topo.clustering.labels.shape == (18,)


def test_cosine_metric_clusters_the_directions_whatever_the_norm():
    from sklearn.metrics import adjusted_rand_score

    x, truth = rays()
    cosine = analyse(x, AnalysisParams(maxk=30, metric="cosine"))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_array_equal(cosine.clustering.labels,
                                  analyse(unit, AnalysisParams(maxk=30)).clustering.labels)
    assert adjusted_rand_score(truth, cosine.clustering.labels) == 1.0
    assert cosine.params.metric == "cosine"
    euclidean = analyse(x, AnalysisParams(maxk=30))
    assert euclidean.clustering.n_clusters >= 4  # Euclidean splits each class by its norm


def test_cosine_metric_refuses_zero_rows_and_unknown_metrics():
    x, _ = rays()
    x[7] = 0.0
    with pytest.raises(ValueError, match="1 row.*all zeros.*row 7.*euclidean"):
        analyse(x, AnalysisParams(maxk=30, metric="cosine"))
    with pytest.raises(ValueError, match="metric must be one of"):
        analyse(x, AnalysisParams(maxk=30, metric="manhattan"))
