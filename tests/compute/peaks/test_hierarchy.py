"""Peak distances, dendrogram, MDS map, saddle adjacency and decision graph."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import minimum_spanning_tree

from compute.graph.density import Density
from compute.peaks import adp
from compute.peaks.hierarchy import (
    classical_mds,
    decision_graph,
    dendrogram,
    mds_map,
    peak_distances,
    saddle_adjacency,
)
from tests.compute.adp_toys import brute_force_graph, three_bumps


def test_three_bumps_have_the_expected_saddles():
    *_, clustering = three_bumps()
    np.testing.assert_array_equal(clustering.centers, [2, 8, 14])
    np.testing.assert_array_equal(saddle_adjacency(clustering),
                                  [[3.0, 1.5, np.nan], [1.5, 4.0, 2.5], [np.nan, 2.5, 5.0]])


def test_peak_distances_and_dendrogram_exact():
    *_, clustering = three_bumps()
    dist = peak_distances(clustering, rho_max=5.0)
    # D = 5 - saddle; no saddle: 1 + the largest of (finite D, peak depths) = 1 + 3.5
    np.testing.assert_allclose(dist, [[0, 3.5, 4.5], [3.5, 0, 2.5], [4.5, 2.5, 0]])
    tree = dendrogram(clustering, rho_max=5.0)
    np.testing.assert_allclose(tree.linkage, [[1, 2, 2.5, 2], [0, 3, 3.5, 3]])
    np.testing.assert_allclose(tree.merge_heights, [2.5, 1.5])  # the saddles
    np.testing.assert_allclose(tree.leaf_heights, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(np.sort(tree.leaf_order), [0, 1, 2])
    np.testing.assert_array_equal(tree.populations, clustering.populations)
    with pytest.raises(ValueError, match="rho_max"):
        peak_distances(clustering, rho_max=4.0)


def test_dendrogram_is_the_maximum_spanning_tree_of_saddles():
    data = np.load("tests/compute/fixtures/dadapy_adp/fallback_12.npz")
    knn = brute_force_graph(data["x"].astype(float), 6)
    density = Density(data["log_den"], data["log_den_err"], data["kstar"].astype(np.int64),
                      "knn", 2.0)
    clustering = adp(knn, density, z=1.0)
    rho_max = float(data["log_den"].max())
    dist = peak_distances(clustering, rho_max=rho_max)
    mst = minimum_spanning_tree(dist + 1e-9).toarray()  # shift keeps zero-length edges
    tree = dendrogram(clustering, rho_max=rho_max)
    np.testing.assert_allclose(np.sort(tree.linkage[:, 2]), np.sort(mst[mst > 0] - 1e-9),
                               atol=1e-9)


def test_single_cluster_has_an_empty_tree():
    *_, clustering = three_bumps(z=100.0)
    assert clustering.n_clusters == 1
    tree = dendrogram(clustering, rho_max=5.0)
    assert tree.linkage.shape == (0, 4) and tree.merge_heights.shape == (0,)
    np.testing.assert_array_equal(mds_map(clustering, rho_max=5.0), [[0.0, 0.0]])


def test_classical_mds_recovers_a_planar_configuration():
    pts = np.random.default_rng(0).normal(size=(7, 2))
    dist = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    coords = classical_mds(dist)
    got = np.sqrt(((coords[:, None] - coords[None]) ** 2).sum(-1))
    np.testing.assert_allclose(got, dist, atol=1e-9)
    np.testing.assert_array_equal(classical_mds(dist), coords)  # deterministic


def test_mds_map_keeps_the_three_bumps_in_order():
    *_, clustering = three_bumps()
    coords = mds_map(clustering, rho_max=5.0)
    assert coords.shape == (3, 2)
    d = np.sqrt(((coords[:, None] - coords[None]) ** 2).sum(-1))
    assert d[0, 2] > d[0, 1] and d[0, 2] > d[1, 2]


def test_decision_graph_matches_brute_force():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 3))
    rho = rng.normal(size=80)
    knn = brute_force_graph(x, 5)
    graph = decision_graph(knn, rho, x=x)
    full = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    top = int(np.argmax(rho))
    for i in range(80):
        if i == top:
            assert graph.nearest_denser[i] == -1
            assert graph.delta[i] == pytest.approx(full[i].max())
            continue
        denser = np.flatnonzero(rho > rho[i])
        j = denser[np.argmin(full[i, denser])]
        assert graph.nearest_denser[i] == j
        assert graph.delta[i] == pytest.approx(full[i, j])
    assert graph.exact.all()
    coarse = decision_graph(knn, rho)  # without x: lower bounds where maxk is too short
    assert (~coarse.exact).any()
    assert (coarse.delta[~coarse.exact] <= graph.delta[~coarse.exact] + 1e-12).all()
    np.testing.assert_allclose(coarse.delta[coarse.exact], graph.delta[coarse.exact])
