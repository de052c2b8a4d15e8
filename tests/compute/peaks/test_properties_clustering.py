"""Property-based tests: pathological arrays into scores, baselines, projections and the
assignment of new points. See tests/compute/pathological.py for the property.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from compute.evaluation.baselines import agglomerative, hdbscan, kmeans
from compute.evaluation.scores import representation_check, score_clustering, silhouette
from compute.peaks.assign import assign_new_points
from compute.projection import project
from tests.compute.pathological import FAST, ODD_FLOATS, assert_labels, attempt, mostly, points

LABEL_VALUES = st.sampled_from([None, "", float("nan"), "a", "b", "c", 0, 1, "a"])


@st.composite
def labelled(draw, *, min_rows: int = 0):
    """Points and one label per row (some unknown), sometimes one label too many."""
    x = draw(points(min_rows=min_rows))
    n = len(x) + (1 if draw(st.floats(0, 1)) > 0.9 else 0)
    labels = draw(st.lists(LABEL_VALUES, min_size=n, max_size=n))
    return x, labels


@FAST
@given(data=labelled(), clusters=st.lists(st.integers(-2, 3), max_size=30),
       halo=mostly(st.sampled_from(["exclude", "as_cluster"]), st.just("drop")))
def test_score_clustering(data, clusters, halo) -> None:
    _, labels = data
    clusters = (clusters * (len(labels) // max(1, len(clusters)) + 1))[:len(labels)]
    scores = attempt(score_clustering, np.asarray(clusters, dtype=np.int64), labels, halo=halo)
    if scores is not None:
        for value in (scores.nmi, scores.ami, scores.ari):
            assert np.isfinite(value) and -1.0 <= value <= 1.0 + 1e-9
        assert scores.confusion.counts.sum() == scores.n_scored


@FAST
@given(data=labelled(), per_class=mostly(st.integers(2, 10), st.integers(-1, 1)))
def test_representation_check(data, per_class) -> None:
    x, labels = data
    check = attempt(representation_check, x, labels, per_class=per_class)
    if check is not None:
        assert np.isfinite(check.pearson_r) and -1.0 <= check.pearson_r <= 1.0


@FAST
@given(x=points(), n_clusters=mostly(st.integers(1, 4), st.integers(-1, 40)))
def test_silhouette(x, n_clusters) -> None:
    labels = np.arange(len(x)) % max(1, n_clusters) - (n_clusters < 1)
    value = attempt(silhouette, x, labels)
    if value is not None:
        assert np.isfinite(value) and -1.0 <= value <= 1.0


@FAST
@given(x=points(), n_clusters=mostly(st.integers(1, 4), st.integers(-1, 40)),
       linkage=mostly(st.sampled_from(["ward", "single", "average", "complete"]),
                      st.just("centroid")))
def test_kmeans_and_agglomerative(x, n_clusters, linkage) -> None:
    for result in (attempt(kmeans, x, n_clusters=n_clusters),
                   attempt(agglomerative, x, n_clusters=n_clusters, linkage=linkage)):
        if result is not None:
            assert_labels(result.labels, len(x), result.n_clusters)
            assert 1 <= result.n_clusters <= n_clusters


@FAST
@given(x=points(), min_cluster_size=mostly(st.integers(2, 5), st.integers(-1, 40)))
def test_hdbscan(x, min_cluster_size) -> None:
    result = attempt(hdbscan, x, min_cluster_size=min_cluster_size)
    if result is not None:
        assert_labels(result.labels, len(x), result.n_clusters, noise=True)


@FAST
@given(x=points(), method=mostly(st.just("pca"), st.sampled_from(["tsne", "mds"])),
       n_components=mostly(st.sampled_from([2, 3]), st.integers(-1, 5)))
def test_project(x, method, n_components) -> None:
    projection = attempt(project, x, method=method, n_components=n_components)
    if projection is not None:
        assert projection.coords.shape == (len(x), n_components)
        assert np.isfinite(projection.coords).all()
        if projection.explained is not None:
            assert np.isfinite(projection.explained).all()


@FAST
@given(old=points(min_rows=1, non_finite=False), new=points(), k=mostly(
       st.integers(1, 4), st.integers(-1, 40)), d=mostly(st.sampled_from([1.0, 2.5]),
                                                          ODD_FLOATS))
def test_assign_new_points(old, new, k, d) -> None:
    n_old = len(old)
    rng = np.random.default_rng(n_old)
    result = attempt(assign_new_points, new, old=old, old_log_density=rng.normal(size=n_old),
                     old_labels=np.arange(n_old) % 3, intrinsic_dim=d, k=k)
    if result is not None:
        assert result.labels.shape == (len(new),)
        assert ((result.labels >= 0) & (result.labels < 3)).all()
        assert ((result.neighbour >= 0) & (result.neighbour < n_old)).all()
        assert np.isfinite(result.distance).all()
        assert not np.isnan(result.log_density).any()  # +inf: a copy of an old point
