"""Scores against known labels (labelled subset, halo policy), representation check,
silhouette."""

from __future__ import annotations

import numpy as np
import pytest

from compute.evaluation.scores import (
    confusion_matrix,
    labelled_mask,
    representation_check,
    score_clustering,
    silhouette,
)


def test_labelled_mask_recognises_missing_values():
    np.testing.assert_array_equal(labelled_mask(["a", None, "", float("nan"), 0, "b"]),
                                  [True, False, False, False, True, True])


def test_perfect_and_permuted_clusterings_score_one():
    truth = ["a", "a", "b", "b", "c", "c"]
    for clusters in ([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1]):
        s = score_clustering(np.array(clusters), truth)
        assert s.nmi == pytest.approx(1.0) and s.ari == pytest.approx(1.0)
        assert s.ami == pytest.approx(1.0)


def test_only_labelled_points_are_scored():
    clusters = np.array([0, 0, 1, 1, 0, 1])
    truth = ["a", "a", "b", "b", None, ""]  # the last two would break the agreement
    s = score_clustering(clusters, truth)
    assert (s.n_labelled, s.n_scored, s.n_halo) == (4, 4, 0)
    assert s.ari == pytest.approx(1.0)
    np.testing.assert_array_equal(s.confusion.counts, [[2, 0], [0, 2]])
    np.testing.assert_array_equal(s.confusion.classes, ["a", "b"])


def test_halo_policies():
    clusters = np.array([0, 0, 0, 1, 1, 1])
    is_halo = np.array([False, False, True, False, False, True])
    truth = ["a", "a", "b", "b", "b", "a"]  # the two halo points are the mislabelled ones
    excluded = score_clustering(clusters, truth, is_halo=is_halo)
    assert excluded.ari == pytest.approx(1.0)
    assert (excluded.n_scored, excluded.n_halo) == (4, 2)
    kept = score_clustering(clusters, truth, is_halo=is_halo, halo="as_cluster")
    assert kept.n_scored == 6 and kept.ari < 1.0
    np.testing.assert_array_equal(kept.confusion.clusters, [-1, 0, 1])
    # cluster -1 alone marks halo points too
    same = score_clustering(np.where(is_halo, -1, clusters), truth)
    assert same.ari == excluded.ari and same.n_halo == 2


def test_score_errors_are_explained():
    with pytest.raises(ValueError, match="one label"):
        score_clustering(np.zeros(3, int), ["a", "b"])
    with pytest.raises(ValueError, match="no labelled point"):
        score_clustering(np.zeros(2, int), [None, None])
    with pytest.raises(ValueError, match="halo must be"):
        score_clustering(np.zeros(2, int), ["a", "b"], halo="drop")


def test_confusion_matrix_counts():
    cm = confusion_matrix(np.array([1, 1, 0, 2]), np.array(["x", "y", "x", "x"]))
    np.testing.assert_array_equal(cm.clusters, [0, 1, 2])
    np.testing.assert_array_equal(cm.counts, [[1, 0], [1, 1], [1, 0]])


def test_representation_check_separates_good_from_random_embeddings():
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], [300, 50, 100]).astype(object)
    centres = {"a": 0.0, "b": 10.0, "c": 20.0}
    good = np.array([[centres[c], 0.0] for c in labels]) + rng.normal(size=(450, 2))
    noise = rng.normal(size=(450, 2))
    labels[::7] = None
    strong = representation_check(good, labels, per_class=40, random_state=1)
    weak = representation_check(noise, labels, per_class=40, random_state=1)
    assert strong.pearson_r > 0.5 and abs(weak.pearson_r) < 0.2
    assert strong.n_per_class == 40 and strong.n_points == 120
    assert strong.n_pairs == 120 * 119 // 2
    again = representation_check(good, labels, per_class=40, random_state=1)
    assert again.pearson_r == strong.pearson_r
    with pytest.raises(ValueError, match="two classes"):
        representation_check(good, ["a"] * 450)


def test_silhouette_defined_and_undefined():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 20]
    labels = np.repeat([0, 1], 50)
    assert silhouette(x, labels) > 0.9
    assert silhouette(x, np.zeros(100, int)) is None
    assert silhouette(x, np.where(np.arange(100) < 50, 0, -1)) is None  # halo ignored
