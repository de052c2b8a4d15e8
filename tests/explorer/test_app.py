"""The Flask side of the app: thumbnail route, layout and callback wiring."""

import pytest

from explorer import ids
from explorer.app import create_app
from explorer.config import AppConfig
from explorer.training import ids as training_ids
from explorer.views import analysis_job


@pytest.fixture
def app_and_key(blob_folder, tmp_path):
    images, labels = blob_folder
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                       names_db=tmp_path / "names.sqlite")
    analysis_job(lambda _p: None, config, backbone="pixels")
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


def test_layout_has_the_main_components_and_the_hierarchy_slot(app_and_key):
    app, _ = app_and_key
    text = str(app.layout)
    for component_id in (ids.SCATTER, ids.RUN_BUTTON, ids.PROGRESS, ids.INSTANCE_PANEL,
                         ids.SELECTION_PANEL, ids.COLOUR_BY, ids.HIERARCHY_SLOT,
                         ids.PROJECTION_PROGRESS, ids.EXPORT_DOWNLOAD, ids.SETTINGS_WEIGHTS,
                         training_ids.BUTTON, training_ids.QUALITY_BUTTON):
        assert component_id in text


def test_every_callback_is_registered(app_and_key):
    app, _ = app_and_key
    outputs = " ".join(app.callback_map)
    for prop in (f"{ids.RUN_KEY}.data", f"{ids.SCATTER}.figure", f"{ids.INSTANCE_PANEL}.children",
                 f"{ids.SELECTION_PANEL}.children", f"{ids.EXPORT_DOWNLOAD}.data",
                 f"{ids.FOCUS_ROW}.data", f"{ids.SETTINGS_WEIGHTS}.options",
                 f"{training_ids.TRAINED}.data", f"{training_ids.QUALITY_HEATMAP}.figure"):
        assert prop in outputs
