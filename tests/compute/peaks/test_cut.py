"""The suggested cut: widest plateau, partition stability, the perturbed graph."""

from __future__ import annotations

import numpy as np
import pytest

from compute.graph.density import knn_density
from compute.graph.intrinsic_dim import two_nn_dimension
from compute.graph.knn import knn_graph
from compute.params import Z_MAX, Z_MIN
from compute.peaks import find_peaks, remerge
from compute.peaks.cut import (
    STABILITY_TOLERANCE,
    SuggestedCut,
    most_stable,
    perturbed_graph,
    suggest_cut,
    widest_plateau,
    z_grid,
)


def test_grid_is_the_offered_z_range():
    grid = z_grid()
    assert grid[0] == Z_MIN and grid[-1] == Z_MAX and np.all(np.diff(grid) > 0)


def test_widest_plateau_takes_the_middle_of_the_longest_run_of_two_or_more():
    #            0  1  2  3  4  5  6  7  8  9 10 11
    n = np.array([9, 7, 5, 5, 5, 5, 3, 3, 1, 1, 1, 1])
    assert widest_plateau(n) == 3  # the run of 5 (rows 2-5), not the longer run of 1
    assert widest_plateau(np.array([6, 6, 4, 4, 2])) == 0  # a tie: more clusters wins
    assert widest_plateau(np.array([1, 1, 1])) == 0


def test_most_stable_is_the_lowest_z_within_tolerance_of_the_best():
    n = np.array([8, 6, 4, 2, 1])
    stability = np.array([0.50, 0.90, 0.95, 0.96, 1.0])  # Z with one cluster is ignored
    assert STABILITY_TOLERANCE < 0.06  # so the best (0.96) takes in 0.95 but not 0.90
    assert most_stable(stability, n) == 2
    assert most_stable(stability, n, tolerance=0.0) == 3
    assert most_stable(stability, n, tolerance=0.5) == 0
    assert most_stable(np.array([1.0, 1.0]), np.array([1, 1])) == 0


def test_perturbed_graph_keeps_self_and_an_ordered_subset_of_each_row():
    rng = np.random.default_rng(0)
    graph = knn_graph(rng.normal(size=(200, 3)), maxk=20)
    shaken = perturbed_graph(graph, np.random.default_rng(1), keep=0.5)
    assert shaken.maxk == 10
    assert (shaken.indices[:, 0] == np.arange(200)).all()
    assert (np.diff(shaken.distances, axis=1) >= 0).all()
    for row in range(0, 200, 37):
        assert set(shaken.indices[row]) <= set(graph.indices[row])
    assert not np.array_equal(shaken.indices, graph.indices[:, :11])  # not just a prefix


@pytest.fixture(scope="module")
def four_blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    truth = np.repeat(np.arange(4), 150)
    x = centres[truth] + rng.normal(size=(600, 2))
    knn = knn_graph(x, maxk=40)
    density = knn_density(knn, intrinsic_dim=two_nn_dimension(knn).dimension, k=10)
    return knn, density, find_peaks(knn, density), truth


@pytest.mark.parametrize("rule", ["stability", "plateau"])
def test_suggested_cut_recovers_well_separated_blobs(four_blobs, rule):
    from sklearn.metrics import adjusted_rand_score

    knn, density, peaks, truth = four_blobs
    cut = suggest_cut(rule, knn=knn, density=density, peaks=peaks)
    assert cut.rule == rule and cut.z in cut.z_values
    assert cut.clusters == 4 == remerge(peaks, z=cut.z).n_clusters
    assert adjusted_rand_score(truth, remerge(peaks, z=cut.z).labels) > 0.95
    assert (cut.n_clusters == [remerge(peaks, z=z).n_clusters for z in cut.z_values]).all()
    if rule == "stability":
        assert np.nanmax(cut.stability) <= 1.0 and np.isfinite(cut.stability).all()
    else:
        assert np.isnan(cut.stability).all()
    assert f"Z = {cut.z:g}" in cut.describe()


def test_stability_is_deterministic_and_refuses_unknown_rules(four_blobs):
    knn, density, peaks, _ = four_blobs
    a = suggest_cut("stability", knn=knn, density=density, peaks=peaks)
    b = suggest_cut("stability", knn=knn, density=density, peaks=peaks)
    np.testing.assert_array_equal(a.stability, b.stability)
    with pytest.raises(ValueError, match="cut rule must be"):
        suggest_cut("elbow", knn=knn, density=density, peaks=peaks)


def test_a_narrow_plateau_is_said_and_a_wide_one_is_not():
    z = z_grid()
    steady = np.maximum(2, 40 - np.arange(z.size) // 3)  # falls steadily: no count holds
    cut = SuggestedCut(z=float(z[widest_plateau(steady)]), rule="plateau", z_values=z,
                       n_clusters=steady, stability=np.full(z.size, np.nan))
    low, high = cut.plateau
    assert low <= cut.z <= high and high - low < 0.25 * (Z_MAX - Z_MIN)
    assert cut.narrow and "its plateau is narrow (Z " in cut.describe()
    wide = np.where(z < 1.0, 20, 12)  # 12 clusters from Z 1 to the top of the range
    cut = SuggestedCut(z=float(z[widest_plateau(wide)]), rule="plateau", z_values=z,
                       n_clusters=wide, stability=np.full(z.size, np.nan))
    assert cut.plateau == (1.0, Z_MAX) and cut.plateau_share > 0.8
    assert not cut.narrow and cut.caveat() == "" and "narrow" not in cut.describe()


def test_a_folder_no_z_splits_is_said_to_be_one_cluster():
    z = z_grid()
    one = SuggestedCut(z=float(z[0]), rule="plateau", z_values=z, n_clusters=np.ones(z.size, int),
                       stability=np.full(z.size, np.nan))
    assert one.describe() == f"suggested cut Z = {z[0]:g} (1 cluster: no Z of the range splits it)"
