"""Which representation? The label-free scores, the suggestion and the comparison of a folder."""

import json

import numpy as np
import pytest

from compute.evaluation.representations import (
    Candidate,
    RepresentationScores,
    augment_image,
    compare_representations,
    hierarchy_significance,
    library_candidates,
    neighbour_consistency,
    parse_candidate,
    rank_agreement,
    suggest,
)
from compute.params import AnalysisParams
from compute.peaks.topography import analyse
from tests.compute.train_toys import one_torch_thread, write_toy_folder  # noqa: F401


def _blobs(gap: float, n_per: int = 80, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [gap, 0.0], [0.0, gap]])
    return np.concatenate([c + rng.normal(0, 1.0, (n_per, 2)) for c in centres])


def test_separated_clusters_are_more_significant_than_touching_ones():
    params = AnalysisParams(maxk=30, density="knn", k=10, space="full", z=1.65)
    far, near = (analyse(_blobs(gap), params).clustering for gap in (6.0, 4.5))
    assert far.n_clusters == near.n_clusters == 3  # the same clusters, apart or touching
    assert 10.0 > hierarchy_significance(far) > hierarchy_significance(near) > 1.0
    isolated = analyse(_blobs(12.0), params).clustering  # no saddle at all: the cap
    assert hierarchy_significance(isolated) == 10.0


def test_one_cluster_has_no_significance():
    one = analyse(np.random.default_rng(0).normal(size=(200, 2)),
                  AnalysisParams(maxk=30, z=4.0, space="full", density="pak")).clustering
    assert one.n_clusters == 1
    assert hierarchy_significance(one) == 0.0


def test_consistency_is_one_when_the_augmentation_moves_nothing():
    x = np.random.default_rng(0).normal(size=(50, 4))
    assert neighbour_consistency(x, x, k=5) == 1.0
    assert neighbour_consistency(x, x + 1e-6, k=5) == 1.0


def test_consistency_falls_to_chance_when_views_are_unrelated():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8))
    shuffled = x[rng.permutation(400)]
    assert neighbour_consistency(x, shuffled, k=10) < 0.1
    noisy = neighbour_consistency(x, x + rng.normal(0, 0.3, x.shape), k=10)
    assert 0.1 < noisy < 1.0


def test_consistency_leaves_the_image_itself_out():
    # on a line 0, 1, 2, ...: without self-exclusion the view's own original would be a
    # neighbour of the view but not of the image, and the score would drop below 1
    x = np.arange(20, dtype=float)[:, None]
    assert neighbour_consistency(x, x + 0.1, k=2) == 1.0


def test_consistency_refuses_bad_shapes_and_k():
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="both be"):
        neighbour_consistency(x, np.zeros((9, 3)))
    with pytest.raises(ValueError, match="sample more images or lower k"):
        neighbour_consistency(x + np.arange(10)[:, None], x, k=9)


def _row(name, significance, consistency, nmi=None, error=""):
    return RepresentationScores(name=name, kind="trained", significance=significance,
                                consistency=consistency, nmi=nmi, error=error)


def test_suggestion_goes_by_nmi_with_labels_and_by_label_free_ranks_without():
    rows = [_row("a", 3.0, 0.2, nmi=0.7), _row("b", 5.0, 0.6, nmi=0.5),
            _row("c", 9.0, 0.9, error="weights missing")]
    by_labels = suggest(rows, n_labelled=100)
    assert (by_labels.name, by_labels.basis) == ("a", "nmi")
    assert "0.700" in by_labels.reason
    blind = suggest(rows, n_labelled=5)
    assert (blind.name, blind.basis) == ("b", "label-free")
    assert suggest([rows[2]], n_labelled=0) is None


def test_rank_agreement_is_spearman_over_scored_rows():
    rows = [_row("a", 1.0, 0.1, 0.2), _row("b", 2.0, 0.3, 0.4), _row("c", 3.0, 0.2, 0.6),
            _row("d", 9.0, 0.9, error="x")]
    agree = rank_agreement(rows)
    assert agree["significance"] == pytest.approx(1.0)
    assert agree["consistency"] == pytest.approx(0.5)
    assert rank_agreement(rows[:2])["significance"] is None


def test_parse_candidate_and_library_defaults(tmp_path):
    assert parse_candidate("resnet18:random") == Candidate("resnet18:random", "resnet18",
                                                           "random", "random", None)
    assert parse_candidate("efficientnet_lite0:x.pt:96").input_size == 96
    assert parse_candidate("efficientnet_lite0:x.pt").kind == "trained"
    assert parse_candidate("pixels:none").kind == "pixels"
    with pytest.raises(ValueError, match="BACKBONE:WEIGHTS"):
        parse_candidate("resnet18")
    names = [c.name for c in library_candidates(tmp_path / "no-such-library")]
    assert names == ["pixels", "imagenet (efficientnet_lite0)"]


def test_augmentation_keeps_size_and_mode_and_is_seeded():
    from PIL import Image

    image = Image.fromarray(np.arange(400, dtype=np.uint8).reshape(20, 20))
    a = augment_image(image, np.random.default_rng(3))
    b = augment_image(image, np.random.default_rng(3))
    assert a.size == (20, 20) and a.mode == "L"
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(image))


@pytest.fixture
def toy_dataset(tmp_path):
    from compute.ingest import scan_folder

    folder, labels = write_toy_folder(tmp_path, n_per_class=8)
    return scan_folder(folder, labels_csv=labels)


def test_comparison_scores_every_candidate_and_reports_a_broken_one(toy_dataset, tmp_path):
    from compute.cache import StepCache

    candidates = [Candidate("pixels", "pixels", "none", "pixels"),
                  parse_candidate("resnet18:random:32"),
                  Candidate("gone", "resnet18", str(tmp_path / "gone.pt"), "trained")]
    seen = []
    comparison = compare_representations(
        toy_dataset, candidates, params=AnalysisParams(maxk=8, density="knn", k=5),
        cache=StepCache(tmp_path / "steps"), sample=20,
        progress=lambda done, total: seen.append(done / total))
    pixels, resnet, gone = comparison.rows
    assert (pixels.dim, resnet.dim) == (784, 512)
    assert pixels.n_points == resnet.n_points == 24
    for row in (pixels, resnet):
        assert 0.0 <= row.consistency <= 1.0 and row.significance >= 0.0
        assert 0.0 <= row.nmi <= 1.0 and row.intrinsic_dim > 0
    assert pixels.nmi > 0.5  # three visually distinct classes
    assert "gone.pt" in gone.error and gone.nmi is None
    assert comparison.n_labelled == 24 and comparison.suggestion.basis == "nmi"
    assert comparison.suggestion.name in ("pixels", "resnet18:random:32")
    assert seen[-1] == pytest.approx(1.0)
    assert json.dumps(comparison.summary())  # JSON-able


def test_comparison_without_labels_has_no_label_scores(tmp_path):
    from compute.ingest import scan_folder

    folder, _ = write_toy_folder(tmp_path, n_per_class=8)
    comparison = compare_representations(
        scan_folder(folder), [Candidate("pixels", "pixels", "none", "pixels")],
        params=AnalysisParams(maxk=8, k=4), sample=20)
    (row,) = comparison.rows
    assert row.nmi is None and comparison.n_labelled == 0
    assert comparison.suggestion.basis == "label-free"
