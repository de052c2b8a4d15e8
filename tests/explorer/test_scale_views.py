"""Colour and filter the projection by scale group, on a real run of a synthetic SEM folder."""

import base64
import json

import numpy as np
import pytest
from dash import no_update
from plotly.io.json import to_json_plotly

from compute.scale.groups import in_any_group
from explorer.config import AppConfig
from explorer.figures import MAIN
from explorer.hierarchy.views import card_view, pictures_view, scores_view
from explorer.jobs import run_job
from explorer.state import View, colouring_for, load_data, load_run
from explorer.views import (
    ALL_IMAGES,
    analysis_job,
    colour_options,
    filter_view,
    focus_from_click,
    hover_view,
    instance_view,
    legend_view,
    projection_job,
    request_projection,
    run_group_options,
    scale_filter_options,
    scatter_view,
    selection_rows,
    selection_view,
)
from tests.tiles import tile_rows

PCA2 = {"method": "pca", "dims": 2, "seed": 0, "perplexity": 30, "n_neighbors": 15,
        "min_dist": 0.1}
NO_BAR = "no scale (no data bar)"

pytestmark = pytest.mark.slow  # the first test pays the folder's OCR (cached for the rest)


def _codes(marker) -> np.ndarray:
    color = marker["color"]
    return np.frombuffer(base64.b64decode(color["bdata"]), dtype=np.dtype(color["dtype"]))


def _pkey(config, key):
    shown, request, _ = request_projection(config, key, **PCA2)
    return shown if shown is not no_update else projection_job(lambda _p: None, config, request)


def _groups(config, key) -> np.ndarray:
    return load_data(config, key).columns["scale group"].to_numpy(dtype=object)


@pytest.fixture
def sem_keys(sem_folder, sem_cache, tmp_path):
    folder, truth = sem_folder
    config = AppConfig(images=folder, labels=None, cache_dir=sem_cache,
                       names_db=tmp_path / "names.sqlite")
    key, summary = analysis_job(lambda _p: None, config, backbone="pixels")
    return config, key, _pkey(config, key), truth, summary


def test_each_point_carries_its_scale_and_can_be_coloured_by_group(sem_keys):
    config, key, pkey, truth, summary = sem_keys
    data = load_data(config, key)
    assert {"scale group", "scale label", "nm/px", "magnification", "scale source",
            "scale confidence", "scale status"} <= set(data.columns.columns)
    assert dict(zip(data.paths, data.columns["scale group"], strict=True)) == truth
    assert "scales: " in summary
    options, _ = colour_options(config, key, None)
    assert "scale group" in [o["value"] for o in options]
    colour = colouring_for(data, "scale group")
    assert colour.categories == ("200 nm", "1 um", "2 um", NO_BAR)  # small to large
    fig, legend = scatter_view(config, pkey, "cluster")
    patch, legend = legend_view(config, pkey, "scale group", legend, None)
    assert legend["column"] == "scale group" and legend["legend"] == 4
    ops = json.loads(to_json_plotly(patch))["operations"]
    assert any(op["location"][-1] == "color" for op in ops)


def test_filter_choices_are_the_groups_present_with_counts(sem_keys):
    config, key, *_ = sem_keys
    assert [o["label"] for o in scale_filter_options(config, key)] == [
        "200 nm (3)", "1 um (3)", "2 um (3)", "1-2 um (6)", f"{NO_BAR} (2)"]
    assert scale_filter_options(config, None) == []


def test_rows_outside_the_filter_are_transparent_and_never_picked(sem_keys):
    config, key, pkey, *_ = sem_keys
    groups = _groups(config, key)
    outside = ~np.isin(groups, ["1 um", "2 um"])
    fig, legend = scatter_view(config, pkey, "scale group", groups=["1-2 um"])
    codes = _codes(fig.data[MAIN].marker.to_plotly_json())
    n = len(colouring_for(load_data(config, key), "scale group").categories)
    assert (codes[outside] == n).all() and (codes[~outside] < n).all()
    # changing the filter patches the colours only
    patch = filter_view(config, pkey, legend, ["200 nm"])
    ops = {op["location"][-1]: op for op in json.loads(to_json_plotly(patch))["operations"]}
    assert "x" not in ops and (_codes({"color": ops["color"]["params"]["value"]})
                               [groups == "200 nm"] < n).all()
    # a continuous colouring keeps them transparent too (clamped above its range)
    patch, legend = legend_view(config, pkey, "log-density", legend, None, ["1-2 um"])
    ops = {op["location"][-1]: op["params"]["value"]
           for op in json.loads(to_json_plotly(patch))["operations"]
           if op["location"][:3] == ["data", MAIN, "marker"]}
    values = np.frombuffer(base64.b64decode(ops["color"]["bdata"]), dtype=np.float32)
    assert np.allclose(values[outside], ops["cmax"]) and (values[~outside] < ops["cmax"]).all()
    assert ops["colorscale"][-1][1] == "rgba(0,0,0,0)"
    # selection, click and hover skip the filtered-out rows
    every = list(range(len(groups)))
    assert selection_rows(config, pkey, legend, every, ["1-2 um"]) == \
        np.flatnonzero(~outside).tolist()
    row = int(np.flatnonzero(outside)[0])
    event = {"points": [{"curveNumber": 0, "pointNumber": row}]}
    assert focus_from_click(config, pkey, legend, event, ["1-2 um"]) is no_update
    assert focus_from_click(config, pkey, legend, event, []) == row
    assert hover_view(config, pkey, legend, event, ["1-2 um"])[0] is False
    # the thumbnails of neighbours and of the nearest images outside a selection, too
    inside = int(np.flatnonzero(~outside)[0])
    panel, _ = instance_view(config, pkey, inside, 12, ["1-2 um"])
    assert set(tile_rows(panel)) == set(np.flatnonzero(~outside)) - {inside}
    panel, _ = selection_view(config, pkey, [inside], 0, ["1-2 um"])
    assert set(tile_rows(panel)) == set(np.flatnonzero(~outside))
    panel, _ = selection_view(config, pkey, [inside], 0, [])
    assert set(tile_rows(panel)) > set(np.flatnonzero(~outside))


def test_the_server_flag_restricts_the_analysis_to_a_group(sem_folder, sem_cache, tmp_path):
    folder, truth = sem_folder
    config = AppConfig(images=folder, labels=None, cache_dir=sem_cache,
                       names_db=tmp_path / "names.sqlite", scale_group="1-2 um")
    key, summary = analysis_job(lambda _p: None, config, backbone="pixels")
    assert json.loads(key)["scale_group"] == "1-2 um"  # the page's start, then the user's
    assert "scale group 1-2 um: 6 images kept, 5 excluded" in summary
    assert set(_groups(config, key)) == {"1 um", "2 um"}
    # the Compute section offers every image again, and the groups the run left out
    options = {o["value"]: o["label"] for o in run_group_options(config, key)}
    assert options[ALL_IMAGES] == "all images" and options["1-2 um"] == "only 1-2 um (6 images)"
    assert "200 nm" in options  # a group the run left out
    every, summary = analysis_job(lambda _p: None, config, backbone="pixels",
                                  scale_group=ALL_IMAGES)
    assert "kept" not in summary and len(_groups(config, every)) == 11


def test_the_dashboard_restricts_a_run_to_a_group(sem_folder, sem_cache, tmp_path):
    folder, _ = sem_folder
    config = AppConfig(images=folder, labels=None, cache_dir=sem_cache,
                       names_db=tmp_path / "names.sqlite")
    every, _ = analysis_job(lambda _p: None, config, backbone="pixels")
    options = {o["value"]: o["label"] for o in run_group_options(config, every)}
    assert options["1-2 um"] == "only 1-2 um (6 images)" and options["200 nm"].startswith("only")
    assert NO_BAR not in options  # images without a scale are no group to compute on
    key, summary = analysis_job(lambda _p: None, config, backbone="pixels",
                                scale_group="1-2um")  # written loosely, as on the CLI
    assert "scale group 1-2 um: 6 images kept, 5 excluded" in summary
    assert set(_groups(config, key)) == {"1 um", "2 um"} and key != every
    with pytest.raises(ValueError, match="unknown scale group"):
        analysis_job(lambda _p: None, config, backbone="pixels", scale_group="3 parsecs")


def test_the_hierarchy_panel_honours_the_scale_filter(sem_keys):
    config, key, _pkey, _truth, _summary = sem_keys
    view = View().store()
    inside = in_any_group(_groups(config, key).tolist(), ["1-2 um"])
    _, mds, _, summary, *_ = pictures_view(config, key, view, None, ["1-2 um"])
    peaks = mds.data[-1]
    assert sum(peaks.marker.size > 0) >= 1
    assert f"{inside.sum()} of {len(inside)} images" in str(summary)
    _, every_mds, _, every_summary, *_ = pictures_view(config, key, view, None, [])
    assert "Scale groups" not in str(every_summary)
    run = load_run(config, key, View())
    labels = run.clustering.labels
    cluster = int(np.bincount(labels[inside]).argmax())
    card, *_ = card_view(config, key, view, {"node": cluster}, ["1-2 um"])
    shown_rows = _image_rows(card, run)
    assert shown_rows and all(inside[r] for r in shown_rows)
    card_all, *_ = card_view(config, key, view, {"node": cluster}, [])
    if (labels == cluster).sum() > inside[labels == cluster].sum():
        assert set(_image_rows(card_all, run)) - set(shown_rows)
    text, _ = scores_view(config, key, view, ["1-2 um"])
    assert "in scale groups 1-2 um" in text or "label" in text


def _image_rows(component, run) -> list[int]:
    """Rows of the cluster card's thumbnails (by the image id in their URL)."""
    row_of = {str(i): r for r, i in enumerate(run.clustering.ids)}
    found = []
    src = getattr(component, "src", None)
    if isinstance(src, str):
        found += [r for i, r in row_of.items() if i in src]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += _image_rows(child, run)
    return found


def test_an_empty_server_group_is_a_clear_message_not_a_crash(sem_folder, sem_cache, tmp_path):
    folder, _ = sem_folder
    config = AppConfig(images=folder, labels=None, cache_dir=sem_cache,
                       names_db=tmp_path / "names.sqlite", scale_group="10 um")
    key, summary, alert = run_job(lambda: analysis_job(lambda _p: None, config,
                                                       backbone="pixels"),
                                  task="Compute", n_outputs=2)
    assert key is no_update and summary is no_update
    assert "no image" in alert and "'10 um'" in alert
    assert "choose a group present there" in alert
