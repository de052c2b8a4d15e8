"""The analyse() facade: the real engine steps end to end, caching, re-merging."""

from __future__ import annotations

import numpy as np
import pytest

from compute.cache import StepCache
from compute.params import Z_MIN, AnalysisParams
from compute.peaks import adp
from compute.peaks.topography import STEP_VERSIONS, analyse
from tests.compute.adp_toys import rays

#: The engine's full-space PAk path at DADApy's Z (explicit choices, not the defaults).
FULL_PAK = {"space": "full", "density": "pak", "z": 1.65}


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0]], dtype=float)
    truth = np.repeat([0, 1, 2], 150)
    return centres[truth] + rng.normal(size=(450, 3)), truth


def test_three_blobs_give_three_clusters(blobs):
    from sklearn.metrics import adjusted_rand_score

    x, truth = blobs
    topo = analyse(x, AnalysisParams(maxk=40, **FULL_PAK))
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
    import compute.peaks.cut

    x, _ = blobs
    cache = StepCache(tmp_path)
    first = analyse(x, AnalysisParams(maxk=30), cache=cache)  # the default space: a manifold
    assert first.manifold is not None
    assert {p.name for p in tmp_path.iterdir()} == set(STEP_VERSIONS)

    def boom(*args, **kwargs):
        raise AssertionError("steps 1-4 should come from the cache")

    monkeypatch.setattr(compute.peaks, "find_peaks", boom)
    monkeypatch.setattr(compute.peaks.cut, "partition_stability", boom)
    again = analyse(x, AnalysisParams(maxk=30, z=2.0), cache=cache)  # a new Z: no recomputation
    np.testing.assert_array_equal(again.peaks.labels, first.peaks.labels)
    assert again.suggested.z == first.suggested.z
    with pytest.raises(AssertionError, match="from the cache"):
        analyse(x, AnalysisParams(maxk=30, k=12), cache=cache)  # a new density does


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
        analyse(x, AnalysisParams(z=Z_MIN / 2))
    with pytest.raises(ValueError, match="density must be"):
        analyse(x, AnalysisParams(density="gauss"))
    with pytest.raises(ValueError, match="exceeds maxk"):
        analyse(x, AnalysisParams(maxk=20, density="knn", k=50))
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
    topo = analyse(few, AnalysisParams(maxk=100, density="pak"))
    assert topo.params.maxk == 5 and topo.clustering.labels.shape == (18,)


def test_the_knn_density_counts_the_neighbours_a_small_folder_has(blobs):
    """Ten distinct images have nine neighbours: the kNN density's k follows maxk down
    (and the outputs record the values used) instead of refusing the folder."""
    x, _ = blobs
    topo = analyse(x[:10], AnalysisParams(maxk=30, density="knn", k=20))
    assert (topo.params.maxk, topo.params.k) == (9, 9)
    assert np.isfinite(topo.density.log_density).all()
    # the page asks for the same analysis at another Z: the clamped values are its own
    assert topo.at(AnalysisParams(maxk=30, density="knn", k=20, z=1.0)).params.k == 9
    with pytest.raises(ValueError, match="needs a new analysis"):
        topo.at(AnalysisParams(maxk=30, density="knn", k=5, z=1.0))
    assert analyse(x[:60], AnalysisParams(maxk=30, density="knn", k=20)).params.k == 20


def test_cosine_metric_clusters_the_directions_whatever_the_norm():
    from sklearn.metrics import adjusted_rand_score

    x, truth = rays()
    cosine = analyse(x, AnalysisParams(maxk=30, metric="cosine", **FULL_PAK))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_array_equal(
        cosine.clustering.labels,
        analyse(unit, AnalysisParams(maxk=30, metric="euclidean", **FULL_PAK)).clustering.labels)
    assert adjusted_rand_score(truth, cosine.clustering.labels) == 1.0
    assert cosine.params.metric == "cosine"
    euclidean = analyse(x, AnalysisParams(maxk=30, metric="euclidean", **FULL_PAK))
    assert euclidean.clustering.n_clusters >= 4  # Euclidean splits each class by its norm


def test_cosine_metric_refuses_zero_rows_and_unknown_metrics():
    x, _ = rays()
    x[7] = 0.0
    with pytest.raises(ValueError, match="1 row.*all zeros.*row 7.*euclidean"):
        analyse(x, AnalysisParams(maxk=30, metric="cosine"))
    with pytest.raises(ValueError, match="metric must be one of"):
        analyse(x, AnalysisParams(maxk=30, metric="manhattan"))


def test_defaults_find_peaks_on_a_manifold_and_cut_at_the_suggested_z(blobs):
    from sklearn.metrics import adjusted_rand_score

    from compute.graph.manifold import manifold_dimension

    x, truth = blobs
    d = AnalysisParams()
    topo = analyse(x)
    assert topo.manifold is not None and topo.space_knn is topo.cluster_knn
    assert topo.manifold.dimension == manifold_dimension(topo.intrinsic_dim.dimension,
                                                         d.manifold_dim_cap)
    assert topo.space_knn.n_points == topo.knn.n_points and topo.space_knn is not topo.knn
    assert topo.density.intrinsic_dim == topo.manifold.dimension  # volumes on the manifold
    assert 2.0 < topo.intrinsic_dim.dimension < 4.0  # the original space's, kept
    assert d.z is None and topo.params.z == topo.suggested.z
    assert topo.clustering.n_clusters == topo.suggested.clusters == 3
    assert adjusted_rand_score(truth, topo.clustering.labels) > 0.95
    assert topo.remerge(z=2.0).remerge(z=None).params.z == topo.suggested.z
    assert "UMAP manifold" in topo.space_description()


def test_border_halo_is_within_dadapys_and_a_cut_switches_rules(blobs):
    x, _ = blobs
    topo = analyse(x, AnalysisParams(z=1.0, halo_rule="border", space="full"))
    dadapy = topo.remerge(z=1.0, halo_rule="dadapy")
    assert dadapy.params.halo_rule == "dadapy" and dadapy.peaks is topo.peaks
    assert not (topo.clustering.is_halo & ~dadapy.clustering.is_halo).any()
    assert topo.clustering.is_halo.sum() < dadapy.clustering.is_halo.sum()
    same = topo.at(AnalysisParams(z=1.0, halo_rule="dadapy", space="full"))
    np.testing.assert_array_equal(same.clustering.is_halo, dadapy.clustering.is_halo)


def test_few_images_use_the_full_space_and_say_so(blobs):
    from compute.params import MANIFOLD_MIN_POINTS

    x, _ = blobs
    few = x[:: len(x) // (MANIFOLD_MIN_POINTS - 10)][: MANIFOLD_MIN_POINTS - 1]
    topo = analyse(few)
    assert topo.manifold is None and topo.space_knn is topo.knn
    assert f"fewer than {MANIFOLD_MIN_POINTS} images" in topo.space_description()
    # what the outputs record is the space used, and the asked-for params still match it
    assert topo.params.space == "full"
    assert topo.at(AnalysisParams(z=1.0)).params.space == "full"
    with pytest.raises(ValueError, match="needs a new analysis"):
        topo.at(AnalysisParams(density="pak"))
    chosen = analyse(x, AnalysisParams(space="full"))
    assert "full" in chosen.space_description() and "images" not in chosen.space_description()


def test_each_clamp_note_names_its_own_change():
    """What a folder's size changed, in words: the manifold's range goes with the space's
    change only (it was appended to whichever change came last)."""
    from compute.params import MANIFOLD_MAX_POINTS, MANIFOLD_MIN_POINTS, AnalysisParams
    from compute.peaks.topography import _for_rows

    params, changed = _for_rows(AnalysisParams(maxk=100, k=10, space="umap"), 8)
    assert (params.maxk, params.k, params.space) == (7, 7, "full")
    assert changed == ["maxk 100 -> 7", "k 10 -> 7",
                       f"space umap -> full (a UMAP manifold is built for "
                       f"{MANIFOLD_MIN_POINTS} to {MANIFOLD_MAX_POINTS} images)"]
    _, changed = _for_rows(AnalysisParams(maxk=100, k=10, space="full"), 8)
    assert changed == ["maxk 100 -> 7", "k 10 -> 7"]
