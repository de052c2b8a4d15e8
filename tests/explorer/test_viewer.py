"""The image viewer: its pure figure builders, what it shows for an image of a real
(tiny) run, and its file route, which serves only images of the loaded analysis."""

import json

import numpy as np
import pytest
from PIL import Image

from explorer import state
from explorer.app import create_app
from explorer.serving import full_image_url, parse_full_image_name
from explorer.viewer import ids
from explorer.viewer.figures import image_figure, length_label, scale_bar
from explorer.viewer.views import full_image_file, image_facts, shown_image, viewer_view
from explorer.views import analysis_job, projection_job, request_projection

PCA2 = {"method": "pca", "dims": 2, "seed": 0, "perplexity": 30, "n_neighbors": 15,
        "min_dist": 0.1}


# --------------------------------------------------------------------- pure builders

@pytest.mark.parametrize(("nm", "label"), [(500, "500 nm"), (1000, "1 µm"), (2000, "2 µm"),
                                           (1500, "1.5 µm"), (2e6, "2 mm"), (0.5, "0.5 nm")])
def test_length_labels(nm, label):
    assert length_label(nm) == label


def test_scale_bar_is_a_round_length_of_at_most_a_fifth_of_the_field():
    # the Zeiss frame of shared/data/sem-databar: 9.8039 nm/px, 2048 px wide (20.1 um)
    bar = scale_bar(9.8039, 2048)
    assert bar.label == "2 µm" and bar.length_nm == 2000
    assert bar.length_px == pytest.approx(2000 / 9.8039)
    assert scale_bar(None, 2048) is None and scale_bar(0.0, 2048) is None


def test_image_figure_shows_the_whole_image_in_pixel_coordinates_with_its_bar():
    bar = scale_bar(12.5, 712)  # 8.9 um field: a 1 um bar of 80 px
    fig = image_figure("/images/x.png", 712, 484, bar=bar, picture=(0, 0, 712, 440))
    image = fig.layout.images[0]
    assert image.source == "/images/x.png" and (image.sizex, image.sizey) == (712, 484)
    assert list(fig.layout.xaxis.range) == [0, 712] and list(fig.layout.yaxis.range) == [484, 0]
    assert fig.layout.yaxis.scaleanchor == "x"  # square pixels: the aspect ratio is kept
    (shape,) = fig.layout.shapes
    assert shape.x1 - shape.x0 == pytest.approx(80.0) and shape.y1 <= 440  # above the bar
    assert fig.layout.annotations[0].text == "1 µm"
    plain = image_figure("/images/x.png", 712, 484)
    assert not plain.layout.shapes and not plain.layout.annotations


def test_full_image_names_round_trip():
    image_id = "0123456789abcdef" * 2
    for data_bar in (False, True):
        name = full_image_url(image_id, data_bar=data_bar).rsplit("/", 1)[1]
        assert parse_full_image_name(name) == (image_id, data_bar)
    for bad in ("../x.png", image_id + ".jpg", image_id.upper() + ".png", image_id + "-x.png"):
        assert parse_full_image_name(bad) is None


# --------------------------------------------------------------------- a real run

@pytest.fixture
def run(app_config):
    """(config, projection key, analysis) of the 12-image folder, loaded in this process."""
    state.forget()
    key, _ = analysis_job(lambda _p: None, app_config, backbone="pixels")
    _, request, _ = request_projection(app_config, key, **PCA2)
    pkey = projection_job(lambda _p: None, app_config, request)
    return app_config, pkey, state.load_analysis(app_config, key)


def test_the_viewer_shows_the_image_its_facts_and_nothing_beside_it(run):
    config, pkey, analysis = run
    record = analysis.dataset.usable[3]
    title, fig, facts, _other, _other_facts, hidden = viewer_view(
        config, pkey, {"id": record.id, "compare": None}, None, [ids.SCALE_BAR], None)
    assert title == record.path and hidden
    assert fig.layout.images[0].source == full_image_url(record.id)
    assert not fig.layout.shapes  # no pixel size known: no scale bar
    text = json.dumps(facts.to_plotly_json(), default=str)
    assert record.path in text and "32 x 32 px" in text and record.label in text


def test_a_pinned_image_or_the_cards_peak_shows_beside_it(run):
    config, pkey, analysis = run
    first, second, third = (r.id for r in analysis.dataset.usable[:3])
    *_, other, _facts, hidden = viewer_view(config, pkey, {"id": first}, second, [], None)
    assert not hidden and other.layout.images[0].source == full_image_url(second)
    *_, other, _facts, hidden = viewer_view(config, pkey, {"id": first, "compare": third},
                                            second, [], None)
    assert other.layout.images[0].source == full_image_url(third)  # the request's own first
    *_, hidden = viewer_view(config, pkey, {"id": first}, first, [], None)
    assert hidden  # never beside itself


def test_image_facts_name_the_scale_reading(run):
    _config, _pkey, analysis = run
    facts = dict(image_facts(analysis, 0, "2 · blobs"))
    assert facts["bit depth"].startswith("8-bit") and facts["cluster"] == "2 · blobs"
    assert shown_image(analysis, 0, data_bar=True).url == full_image_url(
        analysis.dataset.usable[0].id)  # no data bar: the one image, whatever the option


def test_the_route_serves_full_images_of_the_loaded_analysis_only(run, tmp_path):
    config, _pkey, analysis = run
    client = create_app(config).server.test_client()
    record = analysis.dataset.usable[0]
    resp = client.get(full_image_url(record.id))
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(config.full_image_dir / f"{record.id}.png") as im:
        assert im.size == (32, 32)
        assert np.array_equal(np.asarray(im), np.asarray(Image.open(
            config.images / record.path)))
    assert client.get(f"/images/{'0' * 32}.png").status_code == 404  # not in the analysis
    assert client.get(f"/images/{record.id}.jpg").status_code == 404
    state.forget()  # nothing loaded: nothing rendered now, only what was rendered before
    assert full_image_file(config, f"{analysis.dataset.usable[5].id}.png") is None
    assert full_image_file(config, f"{record.id}.png") is not None


def test_an_image_the_viewer_showed_is_served_by_every_server_process(run):
    config, pkey, analysis = run
    record = analysis.dataset.usable[2]
    viewer_view(config, pkey, {"id": record.id}, None, [], None)  # renders it
    state.forget()  # another process of the server: nothing loaded there
    resp = create_app(config).server.test_client().get(full_image_url(record.id))
    assert resp.status_code == 200 and resp.data.startswith(b"\x89PNG")


def test_a_planted_link_in_the_full_image_cache_is_refused(run, tmp_path):
    config, _pkey, analysis = run
    record = analysis.dataset.usable[1]
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"TOPOGRAPH-SECRET")
    config.full_image_dir.mkdir(parents=True, exist_ok=True)
    (config.full_image_dir / f"{record.id}.png").symlink_to(secret)
    assert full_image_file(config, f"{record.id}.png") is None
    resp = create_app(config).server.test_client().get(full_image_url(record.id))
    assert resp.status_code == 404 and b"SECRET" not in resp.data
