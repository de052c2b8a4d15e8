import json

import numpy as np
import pytest
from plotly.io.json import to_json_plotly

from explorer.colouring import colouring
from explorer.figures import (
    LEGEND_START,
    MAIN,
    NEIGHBOURS,
    SELECTED,
    empty_figure,
    hidden_patch,
    highlight_patch,
    marker_patch,
    recolour_patch,
    scatter_figure,
)

COORDS = np.arange(10, dtype=float).reshape(5, 2)


def operations(patch) -> list[dict]:
    return json.loads(to_json_plotly(patch))["operations"]


def test_scatter_is_one_trace_in_row_order_without_customdata():
    fig = scatter_figure(COORDS, colouring("label", ["a", "b", None, "a", "b"]))
    main = fig.data[MAIN]
    assert main.type == "scattergl" and main.customdata is None
    np.testing.assert_array_equal(main.x, COORDS[:, 0])  # pointNumber == row
    assert [t.name for t in fig.data[LEGEND_START:]] == ["a", "b", "(none)"]
    # the legend's entries draw no point: SVG traces, which cost a redraw far less
    assert {t.type for t in fig.data[LEGEND_START:]} == {"scatter"}
    assert fig.layout.dragmode == "lasso"
    payload = json.loads(fig.to_json())["data"][MAIN]
    assert "bdata" in payload["x"] and "bdata" in payload["marker"]["color"]


def test_scatter_3d_and_hidden_legend_entries():
    fig = scatter_figure(np.zeros((3, 3)), colouring("label", ["a", "a", "b"]), hidden=["b"])
    assert {t.type for t in fig.data} == {"scatter3d"}
    assert fig.data[LEGEND_START + 1].visible == "legendonly"


def test_legend_entries_show_markup_in_labels_as_text():
    labels = ["<b>bold</b>", "<a href='http://x'>link</a>", "<b>bold</b>"]
    fig = scatter_figure(np.zeros((3, 2)), colouring("label", labels), hidden=["<b>bold</b>"])
    names = {t.name: t.visible for t in fig.data[LEGEND_START:]}
    assert names == {"&lt;b&gt;bold&lt;/b&gt;": "legendonly",
                     "&lt;a href='http://x'&gt;link&lt;/a&gt;": True}


def test_continuous_colouring_has_a_colour_bar_and_no_legend():
    fig = scatter_figure(COORDS, colouring("rho", np.linspace(0, 1, 5)))
    assert len(fig.data) == LEGEND_START and fig.data[MAIN].marker.showscale


def test_scatter_rejects_mismatched_input():
    with pytest.raises(ValueError, match="coords must be"):
        scatter_figure(np.zeros((3, 2)), colouring("label", ["a"]))


def test_recolour_patch_never_sends_coordinates():
    ops = operations(recolour_patch(colouring("label", ["a", "b", "c", "a", "b"]), dims=2,
                                    old_legend_size=2))
    paths = [op["location"] for op in ops]
    assert not any(loc[-1] in ("x", "y", "z") for loc in paths if loc)
    assert paths.count(["data", LEGEND_START]) == 2  # old legend entries removed
    extend = next(op for op in ops if op["operation"] == "Extend")
    assert [t["name"] for t in extend["params"]["value"]] == ["a", "b", "c"]


def test_hidden_and_marker_patches_touch_only_style():
    c = colouring("label", ["a", "b"])
    for patch in (hidden_patch(c, ["a"]), marker_patch(marker_size=6, opacity=0.5, dims=3)):
        for op in operations(patch):
            assert op["location"][-1] not in ("x", "y", "z")


def test_highlight_patch_sends_only_the_highlighted_points():
    coords = np.arange(30, dtype=float).reshape(10, 3)
    ops = operations(highlight_patch(coords, 2, np.array([5, 7]), np.array([True, False])))
    values = {tuple(op["location"]): op["params"]["value"] for op in ops}
    assert values[("data", SELECTED, "z")] == [8.0]
    assert values[("data", NEIGHBOURS, "x")] == [15.0, 21.0]
    assert values[("data", NEIGHBOURS, "marker", "line", "color")][1] != \
        values[("data", NEIGHBOURS, "marker", "line", "color")][0]


def test_empty_figure_has_message():
    assert empty_figure("hello").layout.annotations[0].text == "hello"


def test_halo_images_are_fainter_in_their_cluster_colour_not_grey():
    import base64

    from explorer.figures import HALO_FADE, point_opacity

    c = colouring("cluster", ["0", "1", "0", "1"])
    halo = np.array([False, True, False, True])
    fig = scatter_figure(np.zeros((4, 2)), c, opacity=0.8, is_halo=halo)
    spec = fig.data[MAIN].marker.opacity
    values = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.float32)
    np.testing.assert_allclose(values, [0.8, 0.8 * HALO_FADE, 0.8, 0.8 * HALO_FADE], rtol=1e-6)
    assert 0 < HALO_FADE < 1
    # the colours are the clusters' (halo rows keep theirs)
    plain_fig = scatter_figure(np.zeros((4, 2)), c)
    assert fig.data[MAIN].marker.color == plain_fig.data[MAIN].marker.color
    assert point_opacity(0.8, np.zeros(4, dtype=bool), 2) == 0.8  # no halo: one number
    assert point_opacity(0.8, halo, 3) == 0.8  # 3-D markers take one opacity
    ops_ = operations(marker_patch(marker_size=6, opacity=0.5, dims=2, is_halo=halo))
    sent = next(op for op in ops_ if op["location"][-1] == "opacity")["params"]["value"]
    assert isinstance(sent, dict) and "bdata" in sent
