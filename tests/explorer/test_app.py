"""The Flask side of the app: thumbnail route and layout."""

import pytest

from explorer.app import create_app
from explorer.callbacks import compute_job
from explorer.config import AppConfig


@pytest.fixture
def app_and_key(blob_folder, tmp_path):
    images, labels = blob_folder
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache")
    key, _ = compute_job(lambda _p: None, config, "pixels", "pca", 2)
    return create_app(config), config


def test_thumbnail_served_with_cache_headers(app_and_key):
    app, config = app_and_key
    name = next(config.thumbnail_dir.glob("*.png")).name
    resp = app.server.test_client().get(f"/thumbnails/{name}")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert "max-age" in resp.headers.get("Cache-Control", "")


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "x.png", "../secret.png",
                                  "0" * 32 + ".txt"])
def test_thumbnail_route_rejects_anything_but_content_ids(app_and_key, name):
    app, config = app_and_key
    (config.cache_dir / "secret.png").write_bytes(b"secret")
    resp = app.server.test_client().get(f"/thumbnails/{name}")
    # Either our route refuses (404) or the URL normalises to a non-thumbnail path, which
    # Dash answers with its HTML page: never a file from outside the thumbnail folder.
    assert resp.status_code == 404 or resp.mimetype == "text/html"
    assert b"secret" not in resp.data and b"root:" not in resp.data


def test_layout_has_the_main_components(app_and_key):
    app, _ = app_and_key
    text = str(app.layout)
    for component_id in ("latent-scatter", "run-button", "job-progress", "instance-panel"):
        assert component_id in text
