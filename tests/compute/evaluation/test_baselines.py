"""Baseline clusterings: shape of the result, recovery of obvious blobs, input checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from compute.evaluation.baselines import (
    LINKAGES,
    MAX_AGGLOMERATIVE_POINTS,
    agglomerative,
    hdbscan,
    kmeans,
)


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    truth = np.repeat([0, 1, 2], 40)
    return centres[truth] + rng.normal(scale=0.5, size=(120, 2)), truth


@pytest.mark.parametrize("make", [
    lambda x: kmeans(x, n_clusters=3),
    *[lambda x, link=link: agglomerative(x, n_clusters=3, linkage=link) for link in LINKAGES],
    lambda x: hdbscan(x, min_cluster_size=10),
], ids=["kmeans", *LINKAGES, "hdbscan"])
def test_each_baseline_recovers_separated_blobs(blobs, make):
    x, truth = blobs
    result = make(x)
    assert result.labels.shape == (120,) and result.labels.dtype == np.int64
    assert result.n_clusters == 3
    core = ~result.is_noise
    assert adjusted_rand_score(truth[core], result.labels[core]) == 1.0
    assert result.method and isinstance(result.params, dict)


def test_kmeans_is_seeded(blobs):
    x, _ = blobs
    np.testing.assert_array_equal(kmeans(x, n_clusters=5, random_state=3).labels,
                                  kmeans(x, n_clusters=5, random_state=3).labels)


def test_bad_inputs(blobs):
    x, _ = blobs
    with pytest.raises(ValueError, match="n_clusters must lie"):
        kmeans(x, n_clusters=0)
    with pytest.raises(ValueError, match="linkage must be one of"):
        agglomerative(x, n_clusters=2, linkage="centroid")
    with pytest.raises(ValueError, match="subsample"):
        agglomerative(np.zeros((MAX_AGGLOMERATIVE_POINTS + 1, 1)), n_clusters=2)
    with pytest.raises(ValueError, match="NaN or infinite"):
        kmeans(np.array([[np.nan, 0.0]]), n_clusters=1)
    with pytest.raises(ValueError, match=r"\(N points, D features\)"):
        hdbscan(np.zeros(5))
    with pytest.raises(ValueError, match="min_cluster_size <= 3"):
        hdbscan(x[:3], min_cluster_size=5)


def test_labels_are_consecutive_even_when_a_cluster_ends_up_empty():
    # 23 points: one far outlier and a tight cloud; k-means leaves some of 14 clusters empty
    rng = np.random.default_rng(0)
    x = np.r_[[[1e6, 1e6]], rng.normal(size=(22, 2)) * 1e-3]
    result = kmeans(x, n_clusters=14)
    assert set(np.unique(result.labels)) == set(range(result.n_clusters))
