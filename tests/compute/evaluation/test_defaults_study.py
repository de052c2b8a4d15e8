"""The defaults study's pieces that decide its figures: the whole-image input, the
Fashion-MNIST order, the peers' scoring and the RESULTS block it rewrites."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import defaults_study as study


def test_whole_image_is_letterboxed_never_cropped():
    wide = np.zeros((20, 80), dtype=np.uint8)
    wide[:, :4] = 255  # a bright left edge: a centre crop would cut it off
    x = study.whole_image(wide, size=64)
    assert x.shape == (3, 64, 64) and x.dtype == np.float32
    column_means = x[0].mean(axis=0)
    assert column_means[0] > column_means[32]  # the left edge is still there
    rows = x[0, :, 32]
    assert np.allclose(rows[:10], rows[0])  # padded above with one value (the mean)


def test_fashion_order_starts_with_the_demo_and_covers_the_split_once():
    labels = np.repeat(np.arange(10), 1000)
    order = study.fashion_order(labels)
    assert sorted(order.tolist()) == list(range(10000))
    assert np.bincount(labels[order[:2000]]).tolist() == [200] * 10


def test_scores_of_a_perfect_and_a_constant_clustering():
    truth = np.array(["a", "a", "b", "b"])
    assert study._scores(truth, np.array([1, 1, 0, 0])) == pytest.approx((1.0, 1.0, 1.0))
    nmi, _, ari = study._scores(truth, np.zeros(4, dtype=int))
    assert nmi == 0.0 and ari == 0.0


def test_results_block_is_replaced_not_appended(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# R\n\n{study.SECTION}\n\nold words\n\n## Next\n")
    monkeypatch.setattr(study, "RESULTS", results)
    study.write_results("first", "defaults-study-table")
    study.write_results("second", "defaults-study-table")
    text = results.read_text()
    assert text.count("defaults-study-table -->") == 2 and "first" not in text
    assert "second" in text and "old words" in text and text.endswith("## Next\n")


def test_markdown_table_has_one_line_per_row():
    rows = [study.Row("s", "m", 3, 0.5, 0.4, 0.3, 0.1, "n")]
    lines = study.markdown_table(rows).splitlines()
    assert len(lines) == 3 and lines[2] == "| s | m | 3 | 0.500 | 0.400 | 0.300 | 10% | n |"
