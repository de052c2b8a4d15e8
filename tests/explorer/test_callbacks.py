"""Callbacks called as plain functions against a real (tiny) pipeline run."""

import json

import pytest

from explorer.callbacks import compute_job, instance_card, point_row, scatter_for
from explorer.config import AppConfig


@pytest.fixture
def app_config(blob_folder, tmp_path):
    images, labels = blob_folder
    return AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache")


def test_compute_job_reports_progress_and_returns_a_path_free_key(app_config):
    seen = []
    key, summary = compute_job(seen.append, app_config, "pixels", "pca", 2)
    assert seen and seen[-1] == ("1000", "1000")
    assert "12 usable" in summary
    assert str(app_config.images) not in key and json.loads(key)["backbone"] == "pixels"
    fig = scatter_for(app_config, key)
    assert sum(len(t.x) for t in fig.data) == 12


def test_point_row_reads_customdata():
    assert point_row({"points": [{"customdata": 7}]}) == 7
    assert point_row({"points": [{"customdata": [3]}]}) == 3
    assert point_row(None) is None and point_row({"points": []}) is None


def test_instance_card_shows_thumbnail_of_clicked_row(app_config):
    key, _ = compute_job(lambda _p: None, app_config, "pixels", "pca", 2)
    card = instance_card(app_config, key, {"points": [{"customdata": 0}]}, large=True)
    img = card.children[0]
    assert img.src.startswith("/thumbnails/") and img.src.endswith(".png")
    assert card.children[1].children in ("top-left", "bottom-right")
