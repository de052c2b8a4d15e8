"""ADP (compute.peaks) against DADApy's outputs, on toy cases with known answers, and
properties that must hold on any input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compute.graph.density import Density
from compute.graph.knn import KnnGraph
from compute.params import Z_MIN
from compute.peaks import NO_SADDLE, adp, find_peaks, remerge
from tests.compute.adp_toys import brute_force_graph, line_case

FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "dadapy_adp").glob("*.npz"))


def load_case(path: Path) -> tuple[KnnGraph, Density, np.lib.npyio.NpzFile]:
    data = np.load(path)
    indices = data["indices"].astype(np.int64)
    knn = KnnGraph(distances=np.zeros(indices.shape), indices=indices)
    density = Density(log_density=data["log_den"], error=data["log_den_err"],
                      kstar=data["kstar"].astype(np.int64), method="pak",
                      intrinsic_dim=float(data["intrinsic_dim"]))
    return knn, density, data


def runs(data) -> list[int]:
    return list(range(int(data["n_runs"])))


@pytest.fixture(scope="module", params=FIXTURES, ids=[p.stem for p in FIXTURES])
def case(request):
    knn, density, data = load_case(request.param)
    return knn, density, data, find_peaks(knn, density)


def test_fixtures_exist_and_cover_the_fallback():
    assert len(FIXTURES) >= 6
    fallbacks = [int(np.load(p)["n_fallback"].max()) for p in FIXTURES]
    assert sum(f > 0 for f in fallbacks) >= 3


def test_peaks_and_pruning_match_dadapy(case):
    _, _, data, peaks = case
    np.testing.assert_array_equal(peaks.centers, data["modes_centers"])
    removed = data["modes_removed"]
    pruned = peaks.eliminated_by >= 0
    np.testing.assert_array_equal(peaks.candidates[pruned], removed[:, 0])
    np.testing.assert_array_equal(peaks.eliminated_by[pruned], removed[:, 1])
    assert peaks.n_fallback == int(data["n_fallback"][0])


def test_clusters_and_saddles_match_dadapy(case):
    from sklearn.metrics import adjusted_rand_score

    _, _, data, peaks = case
    for i in runs(data):
        ours = remerge(peaks, z=float(data[f"run{i}_Z"]), halo=bool(data[f"run{i}_halo"]))
        theirs = data[f"run{i}_cluster_assignment"]
        assert adjusted_rand_score(theirs, ours.assignment) == 1.0
        np.testing.assert_array_equal(ours.assignment, theirs)  # even the numbering agrees
        np.testing.assert_array_equal(ours.centers, data[f"run{i}_cluster_centers"])
        point = data[f"run{i}_bord_indices"]
        np.testing.assert_array_equal(ours.saddles.point, point)
        has = point >= 0
        np.testing.assert_allclose(ours.saddles.log_density[has],
                                   data[f"run{i}_log_den_bord"][has], atol=1e-6)
        np.testing.assert_allclose(ours.saddles.error[has],
                                   data[f"run{i}_log_den_bord_err"][has], atol=1e-6)
        assert (ours.saddles.log_density[~has] == NO_SADDLE).all()


FALLBACK_FIXTURES = [p for p in FIXTURES if np.load(p)["n_fallback"].max() > 0]


@pytest.mark.parametrize("path", FALLBACK_FIXTURES, ids=[p.stem for p in FALLBACK_FIXTURES])
def test_fallback_cases_label_every_point(path):
    knn, density, _ = load_case(path)
    peaks = find_peaks(knn, density)
    assert peaks.n_fallback > 0
    assert (peaks.labels >= 0).all() and (peaks.labels < peaks.n_peaks).all()
    for z in (1.0, 1.65, 3.0):
        clustering = remerge(peaks, z=z)
        assert (clustering.labels >= 0).all()
        assert clustering.populations.sum() == peaks.n_points


def test_remerge_equals_a_fresh_run_and_leaves_peaks_untouched(case):
    knn, density, _, peaks = case
    before = {f: np.copy(getattr(peaks, f)) for f in ("labels", "saddle_log_density",
                                                       "saddle_pairs", "saddle_point")}
    remerge(peaks, z=1.0, halo=True)
    again = remerge(peaks, z=2.0, halo=True)
    fresh = adp(knn, density, z=2.0, halo=True)
    for f, value in before.items():
        np.testing.assert_array_equal(getattr(peaks, f), value)
    np.testing.assert_array_equal(again.labels, fresh.labels)
    np.testing.assert_array_equal(again.is_halo, fresh.is_halo)
    np.testing.assert_array_equal(again.saddles.point, fresh.saddles.point)
    np.testing.assert_array_equal(again.merges.absorbed, fresh.merges.absorbed)


@pytest.mark.parametrize("z", [Z_MIN - 0.01, 0.0, -1.0, float("nan"), float("inf")])
def test_z_below_the_range_or_not_finite_is_rejected(case, z):
    *_, peaks = case
    with pytest.raises(ValueError, match="Z must be a finite number >="):
        remerge(peaks, z=z)


def test_z_below_one_is_allowed_and_never_merges_less(case):
    """As in DADApy, Z < 1 is a valid (finer) cut: at most as many merges as at Z = 1."""
    *_, peaks = case
    assert remerge(peaks, z=Z_MIN).n_clusters >= remerge(peaks, z=1.0).n_clusters


def test_two_bumps_on_a_line_exact_answer():
    # peaks at rows 2 and 8, valley at 5: two basins split between rows 5 and 6
    rho = np.array([0.0, 1.0, 3.0, 2.0, 1.0, 0.5, 1.5, 2.5, 4.0, 2.0, 1.0])
    knn, density = line_case(rho, maxk=4, kstar=2)
    peaks = find_peaks(knn, density)
    np.testing.assert_array_equal(peaks.centers, [2, 8])
    np.testing.assert_array_equal(peaks.labels, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    # border points: 5 (nearest other-cluster neighbour 6) and 6 (neighbour 5); 6 has higher g
    np.testing.assert_array_equal(peaks.saddle_pairs, [[0, 1]])
    np.testing.assert_array_equal(peaks.saddle_point, [6])
    assert peaks.saddle_log_density[0] == 1.5

    # margins: (3 - 1.5) / 0.2 = 7.5 and (4 - 1.5) / 0.2 = 12.5
    kept = remerge(peaks, z=7.0)
    assert kept.n_clusters == 2 and kept.merges.absorbed.size == 0
    assert kept.saddles.point[0, 1] == 6 and kept.saddles.log_density[0, 0] == NO_SADDLE
    merged = remerge(peaks, z=8.0)
    assert merged.n_clusters == 1
    np.testing.assert_array_equal(merged.centers, [8])
    np.testing.assert_array_equal(merged.merges.absorbed, [0])
    np.testing.assert_array_equal(merged.merges.survivor, [1])
    assert merged.merges.margin[0] == pytest.approx(7.5)
    np.testing.assert_array_equal(merged.populations, [11])

    halo = remerge(peaks, z=7.0, halo=True)
    # below the saddle (1.5): rows 0, 1, 4, 5 and 10
    np.testing.assert_array_equal(np.flatnonzero(halo.is_halo), [0, 1, 4, 5, 10])
    np.testing.assert_array_equal(halo.assignment[[0, 2, 6]], [-1, 0, 1])
    assert not kept.is_halo.any()


def test_stranded_pruned_candidate_takes_its_eliminators_label():
    # P (row 0, densest) has C (row 1) as nearest neighbour, but C's nearest is D (row 2):
    # C is a local maximum within its maxk = 1 neighbours, pruned by P, and when its turn
    # comes no neighbour is labelled - the fallback must give it P's label.
    x = np.array([0.0, 1.0, 1.9])[:, None]
    knn = brute_force_graph(x, 1)
    np.testing.assert_array_equal(knn.indices, [[0, 1], [1, 2], [2, 1]])
    density = Density(np.array([5.0, 3.0, 1.0]), np.full(3, 0.1), np.ones(3, dtype=np.int64),
                      "knn", 1.0)
    peaks = find_peaks(knn, density)
    np.testing.assert_array_equal(peaks.candidates, [0, 1])
    np.testing.assert_array_equal(peaks.eliminated_by, [-1, 0])
    np.testing.assert_array_equal(peaks.centers, [0])
    assert peaks.n_fallback == 1
    np.testing.assert_array_equal(peaks.labels, [0, 0, 0])


def test_bad_inputs_get_clear_errors():
    rho = np.linspace(0, 1, 6)
    knn, density = line_case(rho, maxk=3, kstar=2)
    short = Density(rho[:5], density.error[:5], density.kstar[:5], "knn", 1.0)
    with pytest.raises(ValueError, match="same kNN graph"):
        find_peaks(knn, short)
    too_big = Density(rho, density.error, np.full(6, 4), "knn", 1.0)
    with pytest.raises(ValueError, match="kstar must lie in 1..maxk"):
        find_peaks(knn, too_big)
    nan = Density(np.r_[np.nan, rho[1:]], density.error, density.kstar, "knn", 1.0)
    with pytest.raises(ValueError, match="duplicate"):
        find_peaks(knn, nan)
    zero_err = Density(rho, np.zeros(6), density.kstar, "knn", 1.0)
    with pytest.raises(ValueError, match="positive"):
        find_peaks(knn, zero_err)
    shuffled = KnnGraph(distances=knn.distances, indices=knn.indices[::-1].copy())
    with pytest.raises(ValueError, match="itself"):
        find_peaks(shuffled, density)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(2, 60), maxk=st.integers(1, 12),
       z=st.floats(1.0, 4.0), halo=st.booleans())
def test_properties_on_random_graphs(seed, n, maxk, z, halo):
    rng = np.random.default_rng(seed)
    maxk = min(maxk, n - 1)
    knn = brute_force_graph(rng.uniform(size=(n, 2)), maxk)
    density = Density(rng.normal(size=n), rng.uniform(0.05, 0.5, size=n),
                      rng.integers(1, maxk + 1, size=n), "knn", 2.0)
    peaks = find_peaks(knn, density)
    result = remerge(peaks, z=z, halo=halo)
    k = result.n_clusters
    assert k >= 1 and (result.labels >= 0).all() and (result.labels < k).all()
    assert result.populations.sum() == n and (result.populations > 0).all()
    assert result.merges.absorbed.size == peaks.n_peaks - k
    assert (result.merges.margin < z).all()
    np.testing.assert_array_equal(result.labels[result.centers], np.arange(k))
    # every surviving pair is significant: its saddle lies below both peaks by z errors
    s = result.saddles
    i, j = np.nonzero(s.point >= 0)
    assert (s.log_density == s.log_density.T).all()
    assert (result.peak_log_density[i] - s.log_density[i, j]
            >= z * (result.peak_error[i] + s.error[i, j]) - 1e-12).all()
    assert (s.log_density[i, j] < result.peak_log_density[i]).all()
    if not halo:
        assert not result.is_halo.any()


ENGINE_FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "dadapy").glob("*.npz"))


@pytest.mark.parametrize("path", ENGINE_FIXTURES, ids=[p.stem for p in ENGINE_FIXTURES])
def test_matches_the_engine_fixtures_dadapy_adp(path):
    """A second, independently generated oracle (benchmarks/oracle/make_dadapy_fixtures.py)."""
    data = np.load(path)
    knn = KnnGraph(distances=data["distances"], indices=data["dist_indices"].astype(np.int64))
    density = Density(data["pak_log_den"], data["pak_log_den_err"],
                      data["kstar"].astype(np.int64), "pak", float(data["id_2nn"]))
    peaks = find_peaks(knn, density)
    np.testing.assert_array_equal(peaks.centers, data["adp_prelim_centers"])
    assert peaks.n_fallback == data["adp_fallback_points"].size
    for z in data["adp_z"]:
        key = f"adp_z{round(float(z) * 100)}"
        plain, halo = remerge(peaks, z=float(z)), remerge(peaks, z=float(z), halo=True)
        np.testing.assert_array_equal(plain.labels, data[f"{key}_labels"])
        np.testing.assert_array_equal(halo.assignment, data[f"{key}_labels_halo"])
        np.testing.assert_array_equal(plain.centers, data[f"{key}_centers"])
        point = data[f"{key}_bord_indices"]
        np.testing.assert_array_equal(plain.saddles.point, point)
        np.testing.assert_allclose(plain.saddles.log_density[point >= 0],
                                   data[f"{key}_log_den_bord"][point >= 0], atol=1e-6)


def test_duplicates_join_their_representatives_cluster():
    from compute.graph.knn import knn_graph

    rng = np.random.default_rng(0)
    base = np.r_[rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + 8.0]
    x = np.r_[base, base[[3, 3, 70]]]  # rows 120, 121 copy row 3; row 122 copies row 70
    knn = knn_graph(x, maxk=15)
    assert knn.deduplication is not None
    rho = -2.0 * np.log(knn.distances[:, 10].clip(1e-12))
    rho[120:] = rho[[3, 3, 70]]
    density = Density(rho, np.full(123, 0.3), np.full(123, 10), "knn", 2.0)
    peaks = find_peaks(knn, density)
    clustering = remerge(peaks, z=1.65)
    assert clustering.n_clusters == 2
    assert clustering.labels[120] == clustering.labels[121] == clustering.labels[3]
    assert clustering.labels[122] == clustering.labels[70]
    assert set(peaks.centers.tolist()) <= set(knn.deduplication.representatives.tolist())
    distinct = find_peaks(KnnGraph(distances=knn.distinct.distances,
                                   indices=knn.distinct.indices),
                          Density(rho[:120], np.full(120, 0.3), np.full(120, 10), "knn", 2.0))
    np.testing.assert_array_equal(peaks.labels[:120], distinct.labels)


def test_find_peaks_reports_progress():
    knn, density = line_case(np.linspace(0, 1, 8), maxk=3, kstar=2)
    seen = []
    find_peaks(knn, density, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
