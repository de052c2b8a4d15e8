import numpy as np
import pytest

from compute.evaluation.quality import (
    class_balanced_rows,
    heatmap_rgb,
    label_sorted_distances,
    quality_report,
)
from compute.params import AnalysisParams
from tests.compute.adp_toys import rays


def _blobs(n_per=60, spread=0.3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0]], float)
    x = np.concatenate([c + rng.normal(0, spread, (n_per, 3)) for c in centres])
    labels = np.repeat(["a", "b", "c"], n_per).astype(object)
    return x, labels


def test_balanced_rows_take_the_smallest_class_size_from_every_class():
    labels = np.array(["a"] * 10 + ["b"] * 3 + [None] * 4, dtype=object)
    rows = class_balanced_rows(labels, per_class=5, random_state=0)
    assert len(rows) == 6 and set(labels[rows]) == {"a", "b"}
    assert list(labels[rows]) == ["a"] * 3 + ["b"] * 3


def test_sorted_distances_have_blocks_in_class_order():
    x, labels = _blobs(20)
    order = np.random.default_rng(1).permutation(len(x))
    heat = label_sorted_distances(x[order], labels[order], per_class=5)
    assert heat.classes == ("a", "b", "c")
    assert heat.boundaries.tolist() == [0, 5, 10, 15]
    assert heat.distances.shape == (15, 15)
    within = heat.distances[:5, :5].mean()
    between = heat.distances[:5, 5:10].mean()
    assert within < between
    np.testing.assert_allclose(np.diag(heat.distances), 0.0)


def test_report_scores_separated_blobs_high_and_shuffled_labels_low():
    x, labels = _blobs()
    good = quality_report(x, labels, per_class=30)
    assert good.pearson_r > 0.8
    by_method = {c.method.split("-")[0]: c for c in good.clusters}
    assert by_method["adp"].scores.nmi > 0.9 and by_method["kmeans"].scores.nmi > 0.9
    shuffled = np.random.default_rng(0).permutation(labels)
    bad = quality_report(x, shuffled, per_class=30, with_adp=False)
    assert abs(bad.pearson_r) < 0.2 and bad.clusters[0].scores.nmi < 0.2
    summary = good.summary()
    assert summary["clusters"][-1]["method"].startswith(
        "adp-" + ("pak" if AnalysisParams().density == "pak" else "knn"))
    assert [c["method"].split("-")[0] for c in summary["clusters"]] == [
        "kmeans", "agglomerative", "hdbscan", "adp"]


def test_unlabelled_rows_are_clustered_but_not_scored():
    x, labels = _blobs()
    labels = labels.copy()
    labels[::2] = None
    report = quality_report(x, labels, per_class=10)
    assert report.n_points == 180 and report.n_labelled == 90
    assert all(c.scores.n_labelled == 90 for c in report.clusters)


def test_heatmap_image_marks_block_edges():
    x, labels = _blobs(10)
    heat = label_sorted_distances(x, labels, per_class=4)
    image = heatmap_rgb(heat, cell=2)
    assert image.shape == (24, 24, 3) and image.dtype == np.uint8
    assert (image[8, :] == 255).all() and (image[:, 16] == 255).all()
    assert tuple(image[0, 0]) == (68, 1, 84)  # zero distance: the dark end of the ramp


def test_mismatched_labels_say_what_to_do():
    with pytest.raises(ValueError, match="one label"):
        quality_report(np.zeros((4, 2)), ["a", "b"])


def test_a_collapsed_embedding_is_reported_as_such():
    labels = np.repeat(["a", "b"], 10).astype(object)
    with pytest.raises(ValueError, match="collapsed"):
        quality_report(np.ones((20, 4)), labels, per_class=5)


def test_fewer_distinct_vectors_than_maxk_still_get_clustered():
    """Without capping maxk by the distinct rows the kNN graph refuses this input."""
    rng = np.random.default_rng(0)
    distinct = np.concatenate([rng.normal(c, 0.1, (15, 2)) for c in (0.0, 4.0)])
    x = np.repeat(distinct, 5, axis=0)  # 150 rows, 30 distinct: fewer than maxk = 100
    labels = np.repeat(["a", "b"], 75).astype(object)
    report = quality_report(x, labels, per_class=10)
    adp = report.clusters[-1]
    assert adp.method.startswith("adp") and adp.n_clusters >= 1
    assert adp.scores.n_scored == 150


def test_cosine_metric_reports_on_the_directions():
    x, truth = rays(n_per_ray=120)
    labels = np.where(truth == 0, "a", "b")
    euclidean = quality_report(x, labels, per_class=40)
    cosine = quality_report(x, labels, per_class=40, params=AnalysisParams(metric="cosine"))
    adp_nmi = {r: next(c.scores.nmi for c in rep.clusters if c.method.startswith("adp"))
               for r, rep in (("euclidean", euclidean), ("cosine", cosine))}
    assert adp_nmi["cosine"] == pytest.approx(1.0) and adp_nmi["euclidean"] < 0.9
    assert cosine.pearson_r > euclidean.pearson_r
