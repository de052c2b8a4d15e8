"""The callbacks' functions called directly against a real (tiny) pipeline run."""

import json

import numpy as np
import pytest
from dash import no_update
from plotly.io.json import to_json_plotly

from explorer.config import AppConfig
from explorer.figures import LEGEND_START, MAIN, NEIGHBOURS
from explorer.state import View
from explorer.views import (
    analysis_job,
    colour_options,
    export_view,
    focus_from_click,
    hover_view,
    instance_view,
    legend_hidden,
    legend_outdated,
    legend_view,
    projection_job,
    request_projection,
    scale_filter_options,
    scatter_view,
    selection_rows,
    selection_table_view,
    selection_view,
)
from tests.exports import split_export
from tests.hostile_text import (
    HOSTILE_FILES,
    HOSTILE_LABEL,
    csv_cells,
    formula_cells,
    write_hostile_folder,
)
from tests.tiles import tile_rows, tiles_of

PCA2 = {"method": "pca", "dims": 2, "seed": 0, "perplexity": 30, "n_neighbors": 15,
        "min_dist": 0.1}


@pytest.fixture
def keys(app_config):
    """(analysis key, 2-D PCA projection key) after both jobs ran."""
    key, _ = analysis_job(lambda _p: None, app_config, backbone="pixels")
    _, request, _ = request_projection(app_config, key, **PCA2)
    return key, projection_job(lambda _p: None, app_config, request)


def ops(patch) -> list[dict]:
    return json.loads(to_json_plotly(patch))["operations"]


def test_analysis_job_reports_progress_and_returns_a_path_free_key(app_config):
    seen = []
    key, summary = analysis_job(seen.append, app_config, backbone="pixels", maxk=5, k=4)
    assert seen and seen[-1][:2] == ("1000", "1000")
    assert "12 usable" in summary
    assert str(app_config.images) not in key and json.loads(key)["analysis"]["maxk"] == 5
    assert "z" not in json.loads(key)["analysis"]  # the cut is the page's, not the job's


def test_the_distance_choice_reaches_every_view(tmp_path):
    """Distance = cosine: the scatter's cluster column, the hierarchy, the export and the
    quality report all cluster the L2-normalised embeddings, as an independent ADP of
    those rows does; on this folder Euclidean distance gives another partition, so a view
    that lost the metric would fail here."""
    from sklearn.metrics import adjusted_rand_score

    from compute.params import AnalysisParams
    from compute.peaks.topography import analyse
    from explorer.hierarchy.views import export_view
    from explorer.state import View, forget, load_analysis, load_page, load_run
    from tests.imagefiles import write_ray_images

    images = tmp_path / "images"
    labels = write_ray_images(images, per_class=20)
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                       names_db=tmp_path / "names.sqlite")
    view = View(z=1.65, halo=True).store()
    try:
        cosine, _ = analysis_job(lambda _p: None, config, backbone="pixels", maxk=10,
                                 metric="cosine", density="pak")
        euclidean, _ = analysis_job(lambda _p: None, config, backbone="pixels", maxk=10,
                                    metric="euclidean", density="pak")
        hierarchy = load_run(config, cosine, view).clustering
        other = load_run(config, euclidean, view).clustering
        assert adjusted_rand_score(hierarchy.labels, other.labels) < 0.9  # metrics differ
        page = load_page(config, cosine, view)
        np.testing.assert_array_equal(page.clusters, hierarchy.labels)
        assert page.columns["cluster"].tolist() == [str(c) for c in hierarchy.labels]
        vectors = load_analysis(config, cosine).embeddings.vectors
        direct = analyse(vectors, AnalysisParams(maxk=10, metric="cosine", density="pak",
                                                 z=1.65))
        np.testing.assert_array_equal(direct.clustering.labels, hierarchy.labels)
        sidecar = json.loads(split_export(export_view(config, cosine, view))[2]["content"])
        assert sidecar["parameters"]["metric"] == "cosine"
        assert sidecar["parameters"]["maxk"] == 10 and sidecar["parameters"]["z"] == 1.65
        assert (hierarchy.run.metric, hierarchy.run.maxk) == ("cosine", 10)
    finally:
        forget()


def test_projection_is_requested_once_then_served_from_the_cache(app_config, keys):
    key, pkey = keys
    assert json.loads(pkey)["analysis"] == key
    shown, request, status = request_projection(app_config, key, **PCA2)
    assert (shown, request, status) == (pkey, no_update, "")  # cached: no job
    shown, request, _ = request_projection(app_config, key, **{**PCA2, "dims": 3})
    assert shown is no_update and json.loads(request)["projection"]["n_components"] == 3
    _, _, status = request_projection(app_config, key, **{**PCA2, "method": "tsne",
                                                          "perplexity": 50})
    assert status.startswith("error:") and "perplexity" in status


def test_the_map_title_names_the_network_not_auto(app_config, keys):
    from compute.embed import BACKBONES
    from explorer.state import analysis_key, pipeline_config
    from explorer.views import _network_name

    auto = analysis_key(pipeline_config(app_config, backbone="auto"))
    assert _network_name(app_config, auto) in BACKBONES  # resolved, never "auto"
    fig, _ = scatter_view(app_config, keys[1], None)
    assert fig.layout.title.text.startswith("pixels / pca 2-D")


def test_scatter_and_colour_options(app_config, keys):
    key, pkey = keys
    options, value = colour_options(app_config, key, None)
    assert value == "cluster"  # ADP clusters first when the engine ran
    assert {"label", "folder", "log-density", "halo"} <= {o["value"] for o in options}
    # before the dropdown is filled, the figure picks the column the dropdown will show
    fig, legend = scatter_view(app_config, pkey, None)
    assert legend["column"] == value
    assert legend_view(app_config, pkey, value, legend, None) == (no_update, no_update)
    fig, legend = scatter_view(app_config, pkey, "label")
    assert len(fig.data[MAIN].x) == 12
    assert legend == {"column": "label", "legend": 2, "hidden": [], "cut": View().store()}
    assert [t.name for t in fig.data[LEGEND_START:]] == ["bottom-right", "top-left"]


def test_a_figure_built_at_another_cut_is_recoloured_at_the_pages(app_config, keys):
    """A reload builds the scatter while the slider settles: the figure's colours are of
    the suggested cut, the page's Z arrives after; the legend state says which cut its
    colours are of, and a recolour at the page's cut brings it up to date."""
    _key, pkey = keys
    suggested, chosen = View().store(), View(z=0.5).store()
    _fig, legend = scatter_view(app_config, pkey, "cluster", view=suggested)
    assert legend["cut"] == suggested
    assert not legend_outdated(legend, suggested)
    assert legend_outdated(legend, chosen)
    patch, fresh = legend_view(app_config, pkey, "cluster", legend, None, view=chosen,
                               cut_changed=True)
    assert fresh["cut"] == chosen and not legend_outdated(fresh, chosen)
    at_chosen = scatter_view(app_config, pkey, "cluster", view=chosen)[1]
    assert fresh == at_chosen
    # colours that do not depend on the cut: only the record of the cut moves on
    _fig, by_label = scatter_view(app_config, pkey, "label", view=suggested)
    _fade, moved = legend_view(app_config, pkey, "label", by_label, None, view=chosen,
                               cut_changed=True)
    assert moved == {**by_label, "cut": chosen}
    # a new column chosen while the cut moves: the new column, at the new cut
    _patch, both = legend_view(app_config, pkey, "cluster", by_label, None, view=chosen,
                               cut_changed=True)
    assert both == at_chosen


def test_recolour_and_legend_toggle_patch_colours_only(app_config, keys):
    _, pkey = keys
    _, legend = scatter_view(app_config, pkey, "label")
    patch, new = legend_view(app_config, pkey, "folder", legend, None)
    assert new["column"] == "folder"
    assert all(op["location"][-1] not in ("x", "y") for op in ops(patch))
    toggle = [{"visible": ["legendonly"]}, [LEGEND_START + 1]]
    patch, hidden = legend_view(app_config, pkey, "label", legend, toggle)
    assert hidden["hidden"] == ["top-left"]
    # a hidden class can be neither selected nor clicked
    rows = selection_rows(app_config, pkey, hidden, list(range(11, -1, -1)))
    assert rows == list(range(6))  # bottom-right-* sort before top-left-*
    assert focus_from_click(app_config, pkey, hidden,
                            {"points": [{"curveNumber": 0, "pointNumber": 8}]}) is no_update


def test_legend_hidden_follows_plotly_restyle_events():
    cats = ("a", "b", "c")
    assert legend_hidden([{"visible": ["legendonly"]}, [LEGEND_START]], cats, []) == ["a"]
    isolate = [{"visible": [True, "legendonly", "legendonly", True, "legendonly",
                            "legendonly"]}, [0, 1, 2, 3, 4, 5]]
    assert legend_hidden(isolate, cats, ["a"]) == ["b", "c"]


def test_click_fills_the_instance_panel_with_neighbours(app_config, keys):
    _, pkey = keys
    row = focus_from_click(app_config, pkey, None,
                           {"points": [{"curveNumber": 0, "pointNumber": 3}]})
    assert row == 3
    panel, patch = instance_view(app_config, pkey, row, 4)
    text = str(panel)
    assert "/thumbnails/" in text and "bottom-right-3.png" in text
    tiles = tiles_of(panel)
    assert len(tiles) == 4 and all("same" in t["class"] for t in tiles)  # blobs are far apart
    neighbours = [op for op in ops(patch) if op["location"][:2] == ["data", NEIGHBOURS]]
    assert any(len(op["params"]["value"]) == 4 for op in neighbours)
    show, _, card = hover_view(app_config, pkey, None,
                               {"points": [{"curveNumber": 0, "pointNumber": 3, "bbox": {}}]})
    assert show and card.children[1].children == "bottom-right"


def test_selection_panel_pages_and_export(app_config, keys):
    _, pkey = keys
    panel, page = selection_view(app_config, pkey, [0, 1, 2], 4)
    assert page == 0 and "3 selected" in str(panel)
    grid = [c for c in panel.children if getattr(c, "id", None) == "selection-grid"][0]
    assert tile_rows(grid) == [0, 1, 2]
    outside = [c for c in panel.children if getattr(c, "id", None) == "outside-grid"][0]
    assert set(tile_rows(outside)).isdisjoint({0, 1, 2}) and tile_rows(outside)
    # the folded table carries no rows; opened, it holds the panel's rows (hidden
    # categories left out, as in the grid)
    folded = [c for c in panel.children if getattr(c, "className", "") == "selection-table"][0]
    assert folded.children[1].children is None
    table = selection_table_view(app_config, pkey, None, [2, 0, 1])
    assert [r["row"] for r in table.data] == [0, 1, 2]
    download = export_view(app_config, pkey, [2, 0])
    lines = download["content"].splitlines()
    assert download["filename"].endswith(".csv") and len(lines) == 3
    assert lines[0].startswith("row,id,path,label") and lines[1].startswith("2,")
    assert np.isfinite([float(v) for v in lines[1].split(",")[-2:]]).all()


def test_scale_filter_on_a_folder_without_data_bars(app_config, keys):
    key, _ = keys
    options = scale_filter_options(app_config, key)
    assert options == [{"label": "no scale (no data bar) (12)",
                        "value": "no scale (no data bar)"}]


def test_scales_switched_off_on_the_server_give_no_filter(blob_folder, tmp_path):
    images, labels = blob_folder
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "c",
                       names_db=tmp_path / "n.sqlite", scales=False)
    key, summary = analysis_job(lambda _p: None, config, backbone="pixels")
    assert scale_filter_options(config, key) == [] and "scales" not in summary
    assert "scale group" not in [o["value"] for o in colour_options(config, key, None)[0]]

def test_selection_export_neutralises_formula_text(tmp_path):
    images = tmp_path / "images"
    labels = write_hostile_folder(images)
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                       names_db=tmp_path / "names.sqlite")
    key, _ = analysis_job(lambda _p: None, config, backbone="pixels", maxk=10)
    _, request, _ = request_projection(config, key, **PCA2)
    pkey = projection_job(lambda _p: None, config, request)
    content = export_view(config, pkey, list(range(30)))["content"]
    assert formula_cells(content) == []
    cells = set(csv_cells(content))
    assert {f"'{name}" for name in HOSTILE_FILES} | {f"'{HOSTILE_LABEL}"} <= cells


def test_a_new_cut_refreshes_the_halos_faintness_whatever_the_colours(app_config, keys):
    from explorer.views import data_for, halo_rows

    _, pkey = keys
    _, legend = scatter_view(app_config, pkey, "label")
    view = View(z=2.0, halo=True).store()
    patch, state = legend_view(app_config, pkey, "label", legend, None, None, view,
                               cut_changed=True, opacity=0.6)
    assert state == {**legend, "cut": view}  # the colours stay; they are of this cut now
    [op] = ops(patch)
    assert op["location"] == ["data", MAIN, "marker", "opacity"]
    halo = halo_rows(data_for(app_config, pkey, view))
    assert halo is not None and halo.shape == (12,)
    if not halo.any():
        assert op["params"]["value"] == 0.6
