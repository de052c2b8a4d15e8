"""The density map of large collections: the rasteriser, the zoom window, the lasso
polygon, and that every row the page names is the image row under the mouse."""

import base64
import dataclasses
import io
import json

import numpy as np
import pytest
from plotly.io.json import to_json_plotly

from explorer.colouring import colouring
from explorer.density_image import (
    FAINTEST_ALPHA,
    density_rgba,
    png_data_uri,
    rgb_of,
    rows_in_window,
    window_of,
)
from explorer.density_view import (
    OUTLINE,
    in_polygon,
    lasso_rows,
    main_trace_view,
    moves_axes,
    opening_store,
    point_rgb,
    point_weights,
    shape_rows,
    shown_sample,
    window_from_relayout,
    window_store,
)
from explorer.figures import MAIN
from explorer.selection import rows_from_event
from explorer.views import (
    analysis_job,
    focus_from_click,
    legend_view,
    projection_job,
    request_projection,
    scatter_view,
)

PCA2 = {"method": "pca", "dims": 2, "seed": 0, "perplexity": 30, "n_neighbors": 15,
        "min_dist": 0.1}
RED, BLUE = np.array([255, 0, 0], np.uint8), np.array([0, 0, 255], np.uint8)


# --- the rasteriser -------------------------------------------------------------------

def test_a_point_lands_on_its_pixel_with_y_up():
    coords = np.array([[0.5, 9.5], [9.5, 0.5]])  # top left, bottom right of a 10 x 10 map
    image = density_rgba(coords, np.array([RED, BLUE]), (0, 10, 0, 10), pixels=(10, 5))
    assert image.shape == (5, 10, 4)
    lone = round(255 * FAINTEST_ALPHA)
    assert tuple(image[0, 0]) == (255, 0, 0, lone)
    assert tuple(image[4, 9]) == (0, 0, 255, lone)
    assert (image[..., 3] > 0).sum() == 2


def test_a_pixel_is_the_weighted_mean_colour_and_crowded_pixels_are_more_opaque():
    coords = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [8.0, 8.0]])
    rgb = np.array([RED, RED, BLUE, BLUE])
    image = density_rgba(coords, rgb, (0, 10, 0, 10), pixels=(2, 2),
                         weights=np.array([1.0, 1.0, 2.0, 1.0]))
    crowded, lonely = image[1, 0], image[0, 1]
    assert tuple(crowded[:3]) == (128, 0, 128)  # 2 parts red, 2 parts blue
    assert crowded[3] == 255 and lonely[3] == round(255 * FAINTEST_ALPHA)


def test_weightless_and_outside_points_are_not_drawn():
    coords = np.array([[1.0, 1.0], [5.0, 5.0], [50.0, 5.0]])
    image = density_rgba(coords, np.array([RED, BLUE, BLUE]), (0, 10, 0, 10), pixels=(4, 4),
                         weights=np.array([0.0, 1.0, 1.0]))
    assert (image[..., 3] > 0).sum() == 1 and tuple(image[2, 2, :3]) == (0, 0, 255)


def test_reversed_window_bounds_draw_the_same_image():
    coords = np.random.default_rng(0).uniform(0, 10, (200, 2))
    rgb = np.tile(RED, (200, 1))
    assert np.array_equal(density_rgba(coords, rgb, (0, 10, 0, 10), pixels=(8, 8)),
                          density_rgba(coords, rgb, (10, 0, 10, 0), pixels=(8, 8)))


def test_the_png_decodes_to_the_image():
    from PIL import Image

    rgba = density_rgba(np.array([[1.0, 1.0]]), np.array([RED]), (0, 2, 0, 2), pixels=(3, 2))
    uri = png_data_uri(rgba)
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    assert uri.startswith("data:image/png;base64,") and np.array_equal(decoded, rgba)


def test_css_colours_parse():
    assert rgb_of(["#1f77b4", "rgb(1, 2, 3)", "rgba(4,5,6,0.5)"]).tolist() == [
        [31, 119, 180], [1, 2, 3], [4, 5, 6]]


# --- which rows the main trace holds ---------------------------------------------------

def test_points_show_only_in_a_window_of_few_enough_points():
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert rows_in_window(coords, None) is None
    assert rows_in_window(coords, (0.5, 2.5, 0.5, 2.5), limit=2).tolist() == [1, 2]
    assert rows_in_window(coords, (2.5, 0.5, 2.5, 0.5), limit=2).tolist() == [1, 2]
    assert rows_in_window(coords, (-1, 2.5, -1, 2.5), limit=2) is None


def test_the_window_follows_plotly_relayout_events():
    full, now = (0.0, 10.0, 0.0, 20.0), (1.0, 2.0, 3.0, 4.0)
    assert window_from_relayout({"autosize": True}, now, full) is None
    assert window_from_relayout({"xaxis.range[0]": 5, "xaxis.range[1]": 6}, now, full) == (
        5.0, 6.0, 3.0, 4.0)
    assert window_from_relayout({"yaxis.range": [7, 8]}, now, full) == (1.0, 2.0, 7.0, 8.0)
    assert window_from_relayout({"xaxis.autorange": True, "yaxis.autorange": True}, now,
                                full) == full
    # a lasso's outline or a drag mode moves no axis: the selection, not the window
    assert not moves_axes({"selections": [{"type": "path"}]})
    assert not moves_axes({"dragmode": "zoom"}) and not moves_axes(None)
    assert moves_axes({"xaxis.range[0]": 5, "xaxis.range[1]": 6})
    assert moves_axes({"yaxis.autorange": True})


def test_a_window_showing_every_point_is_the_overview():
    coords = np.array([[0.0, 0.0], [1.0, 1.0]])
    assert window_store("p", coords, (-1, 2, -1, 2)) is None
    assert window_store("p", coords, (-1, 0.5, -1, 0.5)) == {"pkey": "p",
                                                             "window": [-1, 0.5, -1, 0.5]}
    # the overview showing selected rows: no window, the rows
    assert window_store("p", coords, (-1, 2, -1, 2), [4, 9]) == {"pkey": "p", "shown": [4, 9]}


def test_the_lasso_polygon_and_the_box_select_the_rows_inside():
    coords = np.array([[0.0, 0.0], [2.0, 2.0], [2.0, 0.5], [5.0, 5.0]])
    triangle = {"lassoPoints": {"x": [1, 4, 4], "y": [0, 0, 3]}}  # 0 <= y <= x - 1, x <= 4
    assert lasso_rows(coords, triangle).tolist() == [2]
    square = {"lassoPoints": {"x": [1, 3, 3, 1], "y": [0, 0, 3, 3]}}
    assert lasso_rows(coords, square).tolist() == [1, 2]
    assert lasso_rows(coords, {"range": {"x": [-1, 2.5], "y": [-1, 1]}}).tolist() == [0, 2]
    assert lasso_rows(coords, None).tolist() == []


def test_even_odd_rule_on_a_concave_polygon():
    u_shape = np.array([[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]], float)
    points = np.array([[0.5, 2.0], [1.5, 2.0], [2.5, 2.0], [1.5, 0.5], [4.0, 1.0]])
    assert in_polygon(points, u_shape).tolist() == [True, False, True, True, False]


def test_point_colours_and_weights_follow_the_colouring():
    colour = colouring("label", ["a", "b", "a", "b"])
    rgb = point_rgb(colour)
    assert rgb[0].tolist() == rgb_of([colour.colours[0]])[0].tolist() != rgb[1].tolist()
    weights = point_weights(colour, hidden=["b"], removed=np.array([1, 0, 0, 0], bool),
                            is_halo=np.array([0, 0, 1, 0], bool))
    assert weights.tolist() == [0.0, 0.0, pytest.approx(0.3), 0.0]
    continuous = point_rgb(colouring("v", np.array([0.0, 1.0, np.nan, 100.0])))
    assert continuous[2].tolist() == rgb_of(["#c7c7c7"])[0].tolist()
    assert continuous[0].tolist() != continuous[3].tolist()


# --- the page: rows through the density map -------------------------------------------

@pytest.fixture
def dense_page(app_config):
    """(config with a density threshold below the 12 images, projection key)."""
    config = dataclasses.replace(app_config, density_image_above=5)
    key, _ = analysis_job(lambda _p: None, config, backbone="pixels")
    _, request, _ = request_projection(config, key, **PCA2)
    return config, projection_job(lambda _p: None, config, request)


def ops(patch) -> dict:
    return {".".join(map(str, o["location"])): o["params"].get("value")
            for o in json.loads(to_json_plotly(patch))["operations"] if o["operation"] == "Assign"}


def decoded(spec, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)


def test_below_the_threshold_the_map_holds_every_point(dense_page):
    config, pkey = dense_page
    fig, _ = scatter_view(dataclasses.replace(config, density_image_above=12), pkey, "label")
    assert len(fig.data[0].x) == 12 and not fig.layout.images and fig.data[0].customdata is None


def test_the_overview_is_an_image_and_a_zoom_sends_the_window_rows(dense_page):
    from explorer.state import load_coords

    config, pkey = dense_page
    fig, legend = scatter_view(config, pkey, "label")
    assert len(fig.data[0].x) == 0 and len(fig.layout.images) == 1
    assert fig.layout.meta["density_map"] is True
    coords = load_coords(config, pkey)
    x0, x1, y0, y1 = window_of(coords)
    half = (x0, (x0 + x1) / 2, y0, y1)
    patch, store = main_trace_view(config, pkey, {"xaxis.range[0]": half[0],
                                            "xaxis.range[1]": half[1]}, None, legend)
    expected = np.flatnonzero(coords[:, 0] <= half[1])
    assert 0 < len(expected) < 12 and store == {"pkey": pkey, "window": list(half)}
    sent = ops(patch)
    rows = np.asarray(sent[f"data.{MAIN}.customdata"])
    assert rows.tolist() == expected.tolist()
    assert np.allclose(decoded(sent[f"data.{MAIN}.x"], np.float32), coords[rows, 0])
    assert len(decoded(sent[f"data.{MAIN}.marker.color"], np.uint8)) == len(rows)
    assert sent["layout.images"] == []
    # a click on the k-th shown point names its image row, not k
    k = len(rows) - 1
    event = {"points": [{"curveNumber": 0, "pointNumber": k, "customdata": int(rows[k])}]}
    assert focus_from_click(config, pkey, legend, event) == rows[k]
    # a recolour colours the same rows; zooming back out is the overview image again
    recoloured, _ = legend_view(config, pkey, "cluster", legend, None, window=store)
    assert len(decoded(ops(recoloured)[f"data.{MAIN}.marker.color"], np.uint8)) == len(rows)
    patch, store = main_trace_view(config, pkey, {"xaxis.autorange": True}, store, legend)
    assert store is None and len(ops(patch)["layout.images"]) == 1
    assert ops(patch)[f"data.{MAIN}.x"]["bdata"] == "" and ops(patch)[
        f"data.{MAIN}.customdata"] == []


def test_a_selection_is_drawn_over_the_image_and_selected_among_the_zoomed_points(dense_page):
    """A lasso, a search or the hierarchy's highlight on a density map: at the overview its
    rows are points over the (unchanged) image, outlined, clickable by row; zoomed to
    points, the selected ones among them are selected (the others dimmed); zooming back
    out shows them again, and a recolour colours them."""
    from explorer.state import load_coords

    config, pkey = dense_page
    coords = load_coords(config, pkey)
    fig, legend = scatter_view(config, pkey, "label")
    patch, store = main_trace_view(config, pkey, None, None, legend, selected=[7, 1, 3, 99, 1])
    sent = ops(patch)
    assert store == {"pkey": pkey, "shown": [1, 3, 7]}  # unique, sorted, existing rows
    assert sent[f"data.{MAIN}.customdata"] == [1, 3, 7]
    assert np.allclose(decoded(sent[f"data.{MAIN}.x"], np.float32), coords[[1, 3, 7], 0])
    assert sent[f"data.{MAIN}.marker.line"] == OUTLINE
    assert sent[f"data.{MAIN}.selectedpoints"] is None
    assert "layout.images" not in sent  # the image does not depend on the selection
    event = {"points": [{"curveNumber": 0, "pointNumber": 2, "customdata": 7}]}
    assert focus_from_click(config, pkey, legend, event) == 7
    recoloured, _ = legend_view(config, pkey, "cluster", legend, None, window=store)
    assert len(decoded(ops(recoloured)[f"data.{MAIN}.marker.color"], np.uint8)) == 3
    # zoomed to the left half: its points, the selected ones among them selected
    x0, x1, y0, y1 = window_of(coords)
    half = (x0, (x0 + x1) / 2, y0, y1)
    patch, zoomed = main_trace_view(config, pkey, {"xaxis.range[0]": half[0],
                                                   "xaxis.range[1]": half[1]}, store, legend,
                                    selected=[1, 3, 7])
    sent = ops(patch)
    rows = np.flatnonzero(coords[:, 0] <= half[1])
    assert sent[f"data.{MAIN}.customdata"] == rows.tolist()
    assert zoomed == {"pkey": pkey, "window": list(half)}
    assert sent[f"data.{MAIN}.selectedpoints"] == np.flatnonzero(
        np.isin(rows, [1, 3, 7])).tolist()
    assert sent[f"data.{MAIN}.marker.line"]["width"] == 0
    # no selection: nothing selected, nothing dimmed
    patch, _ = main_trace_view(config, pkey, None, zoomed, legend, selected=None)
    assert ops(patch)[f"data.{MAIN}.selectedpoints"] is None
    assert set(ops(patch)) == {f"data.{MAIN}.selectedpoints"}  # the same points: not resent
    # back out: the image, and the selection over it again
    patch, out = main_trace_view(config, pkey, {"xaxis.autorange": True}, zoomed, legend,
                                 selected=[1, 3, 7])
    assert out == {"pkey": pkey, "shown": [1, 3, 7]}
    assert ops(patch)[f"data.{MAIN}.customdata"] == [1, 3, 7]
    assert len(ops(patch)["layout.images"]) == 1
    # a selection kept over a reload: the map opens with it
    opened = opening_store(config, pkey, [3, 1])
    reopened, _ = scatter_view(config, pkey, "label", selected=[3, 1])
    assert opened == {"pkey": pkey, "shown": [1, 3]}
    assert list(reopened.data[0].customdata) == [1, 3] and len(reopened.layout.images) == 1
    assert opening_store(dataclasses.replace(config, density_image_above=12), pkey, [1]) is None


def test_a_large_selection_is_shown_as_an_even_sample():
    assert shown_sample(range(20), 20, limit=30) == list(range(20))
    sample = shown_sample(range(100), 100, limit=10)
    assert len(sample) == 10 and sample[0] == 0 and sample[-1] == 99
    assert np.all(np.diff(sample) >= 10)  # spread over the selection, not its first rows
    assert shown_sample(None, 5) == [] and shown_sample([-1, 5, 4], 5) == [4]


def test_a_recolour_at_overview_draws_a_new_image(dense_page):
    config, pkey = dense_page
    fig, legend = scatter_view(config, pkey, "label")
    # log-density: a column that never colours as the labels do (on these 12 blob images
    # the clusters may be exactly the two labels, and so the same image)
    patch, new_legend = legend_view(config, pkey, "log-density", legend, None)
    sent = ops(patch)
    assert new_legend["column"] == "log-density" and len(sent["layout.images"]) == 1
    assert sent["layout.images"][0]["source"] != fig.layout.images[0].source


def test_a_lasso_on_the_density_map_selects_the_rows_inside_its_polygon(dense_page):
    """The browser keeps a density map's lasso as its shape; every consumer of the
    selection gets the rows inside it, on the projection it was drawn on."""
    from explorer.config import folder_tag, kept_selection
    from explorer.state import load_coords

    config, pkey = dense_page
    coords = load_coords(config, pkey)
    x0, x1, y0, y1 = window_of(coords)
    xm = (x0 + x1) / 2
    shape = {"lassoPoints": {"x": [x0, xm, xm, x0], "y": [y0, y0, y1, y1]}, "range": None}
    left = np.flatnonzero(coords[:, 0] < xm).tolist()
    assert 0 < len(left) < len(coords)
    selection = {"shape": shape, "pkey": pkey}
    assert shape_rows(config, selection) == left
    assert kept_selection(config, selection, folder_tag(config)) == left
    assert kept_selection(config, selection, "another folder's tag") is None
    box = {"shape": {"lassoPoints": None, "range": {"x": [x0, xm], "y": [y0, y1]}},
           "pkey": pkey}
    assert shape_rows(config, box) == left
    assert shape_rows(config, {"shape": shape, "pkey": "no such projection"}) is None
    assert shape_rows(config, {"shape": "not a shape", "pkey": pkey}) is None


def test_a_zoomed_window_keeps_the_whole_maps_colour_scale():
    colour = colouring("v", np.arange(1000, dtype=np.float32))
    window = colour.subset(np.arange(10, 20))
    assert len(window.values) == 10
    whole, part = colour.marker(), window.marker()
    assert (part["cmin"], part["cmax"]) == (whole["cmin"], whole["cmax"])
    assert point_rgb(window).tolist() == point_rgb(colour)[10:20].tolist()


def test_click_rows_come_from_customdata_else_point_number():
    assert rows_from_event({"points": [{"curveNumber": 0, "pointNumber": 3}]}).tolist() == [3]
    assert rows_from_event({"points": [{"curveNumber": 0, "pointNumber": 3,
                                        "customdata": 41}]}).tolist() == [41]


def test_the_hierarchy_highlight_is_not_drawn_by_trace_position_on_a_density_map(dense_page):
    """On a density map the highlight's patch only drops the lasso drawn before
    (main_trace_view draws the highlight); on other maps it selects by trace position."""
    from explorer.hierarchy.views import scatter_patch
    from explorer.state import View, parse_projection_key

    config, pkey = dense_page
    akey, cut = parse_projection_key(pkey)[0], View(z=1.65).store()
    assert ops(scatter_patch(config, akey, cut, {"node": 0}, pkey=pkey)) == {
        "layout.selections": []}
    small = dataclasses.replace(config, density_image_above=12)
    assert f"data.{MAIN}.selectedpoints" in ops(scatter_patch(small, akey, cut, {"node": 0},
                                                              pkey=pkey))
