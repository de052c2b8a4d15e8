"""Grid over density x Z, agglomerative NMI curves and the two reference curves."""

from __future__ import annotations

import numpy as np
import pytest

from compute.evaluation.baselines import agglomerative
from compute.evaluation.model_selection import (
    adp_grid,
    agglomerative_curves,
    random_labels_curve,
    split_largest_curve,
)
from compute.evaluation.scores import score_clustering
from compute.graph.density import knn_density
from compute.graph.knn import knn_graph
from compute.params import Z_MIN
from compute.peaks import adp


@pytest.fixture(scope="module")
def labelled_blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0]], dtype=float)
    truth = np.repeat(["a", "b", "c"], 100).astype(object)
    x = centres[np.repeat([0, 1, 2], 100)] + rng.normal(size=(300, 3))
    truth[1::2] = None  # half the points unlabelled
    return x, truth, knn_graph(x, maxk=60)


def test_adp_grid_shapes_and_consistency(labelled_blobs):
    x, truth, knn = labelled_blobs
    grid = adp_grid(knn, truth, intrinsic_dim=3.0, ks=(10, 30, 100), z_values=(1.0, 1.65, 2.3))
    assert grid.densities == ("pak", "knn-k=10", "knn-k=30")  # k = 100 > maxk is left out
    assert grid.nmi.shape == grid.ari.shape == grid.n_clusters.shape == (3, 3)
    direct = adp(knn, knn_density(knn, intrinsic_dim=3.0, k=30), z=1.65)
    assert grid.n_clusters[2, 1] == direct.n_clusters
    assert grid.ami[2, 1] == pytest.approx(score_clustering(direct.labels, truth).ami)
    assert grid.nmi.max() > 0.95
    name, z = grid.best("ari")
    assert name in grid.densities and z in (1.0, 1.65, 2.3)
    with pytest.raises(ValueError, match="Z must be"):
        adp_grid(knn, truth, intrinsic_dim=3.0, z_values=(Z_MIN / 2,))
    with pytest.raises(ValueError, match="no density setting"):
        adp_grid(knn, truth, intrinsic_dim=3.0, ks=(500,), include_pak=False)


def test_agglomerative_curve_matches_the_baseline(labelled_blobs):
    x, truth, _ = labelled_blobs
    curves = agglomerative_curves(x, truth, n_clusters=(2, 3, 5), linkages=("ward", "single"))
    assert [c.name for c in curves] == ["agglomerative-ward", "agglomerative-single"]
    ward = curves[0]
    np.testing.assert_array_equal(ward.n_clusters, [2, 3, 5])
    direct = agglomerative(x, n_clusters=3, linkage="ward")
    assert ward.nmi[1] == pytest.approx(score_clustering(direct.labels, truth).nmi)
    assert ward.nmi[1] == pytest.approx(1.0)


def test_split_largest_curve_starts_perfect_and_decreases():
    truth = np.repeat(["a", "b", "c"], [40, 20, 10]).astype(object)
    curve = split_largest_curve(truth, max_clusters=8)
    np.testing.assert_array_equal(curve.n_clusters, np.arange(3, 9))
    assert curve.nmi[0] == pytest.approx(1.0)
    assert (np.diff(curve.nmi) < 0).all()


def test_random_labels_curve_is_low_but_grows_with_the_count():
    truth = np.repeat(["a", "b"], 50).astype(object)
    curve = random_labels_curve(truth, n_clusters=(2, 30), repeats=5)
    assert curve.nmi[0] < 0.1
    assert curve.nmi[1] > curve.nmi[0]
    again = random_labels_curve(truth, n_clusters=(2, 30), repeats=5)
    np.testing.assert_array_equal(curve.nmi, again.nmi)
