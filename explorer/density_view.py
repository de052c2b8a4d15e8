"""The density map: how a large collection's 2-D scatter stays interactive.

Above :attr:`explorer.config.AppConfig.density_image_above` images (2-D only), the
scatter's main trace does not hold every row. At the overview it holds none and the map is
a server-drawn image of the points (:mod:`explorer.density_image`, a Plotly layout image
under the axes), coloured as the page's Colour-by column colours the points; zoomed in to
a window of at most :data:`explorer.density_image.POINTS_ON_ZOOM` points, it holds those
rows, with their row numbers as ``customdata`` (:func:`explorer.selection.rows_from_event`
reads them), so hover, click and the highlight name image rows.

Which rows the main trace holds follows from the coordinates and the zoom window alone
(:func:`dense_map`), kept in the browser's ``ids.DENSITY_WINDOW`` store with the
projection it belongs to; every callback that colours the main trace colours those rows.
A lasso or box is kept as its shape and resolved against the coordinates server-side
(:func:`shape_rows`).

The selection (a lasso, a search, a selection kept over a reload) and the hierarchy's
highlight are drawn too (:func:`main_trace_view`): while the map is an image its main
trace holds the selected rows themselves, outlined over the image (at most
:data:`SHOWN_OVER_IMAGE` of them, evenly spread over the selection: :func:`shown_sample`); once
zoomed to points, the selected ones among them are selected as on any map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from explorer.config import AppConfig
from explorer.density_image import (
    density_rgba,
    in_window,
    png_data_uri,
    rgb_of,
    rows_in_window,
    window_of,
)

Window = tuple[float, float, float, float]  # x0, x1, y0, y1 in the projection's units


#: The most selected rows a density image shows as points: enough to show where a
#: selection lies; each one costs the page's software WebGL (10 000 outlined points added
#: ~340 ms to a lasso at 150 000 images, ``benchmarks/RESULTS.md``, issue 16).
SHOWN_OVER_IMAGE = 2_000
#: The outline of the selected rows a density image shows as points (none on zoom).
OUTLINE = {"width": 1, "color": "#222222"}
NO_OUTLINE = {"width": 0}


@dataclass(frozen=True, eq=False)
class DenseMap:
    """What a density map shows: the zoom ``window`` (the overview: the points' extent),
    the ``rows`` (sorted int64) its main trace holds as points, and whether the density
    ``image`` is shown under them (then ``rows`` are the selected rows drawn over the
    image, often none). ``coords``: (N, 2)."""

    coords: np.ndarray
    window: Window
    rows: np.ndarray
    image: bool


def is_dense(config: AppConfig, n_rows: int, dims: int) -> bool:
    """Whether a map of ``n_rows`` images in ``dims`` dimensions is a density map."""
    return dims == 2 and n_rows > config.density_image_above


def dense_map(config: AppConfig, pkey: str, store: dict | None) -> DenseMap | None:
    """The density map of projection ``pkey`` at the zoom of ``store`` (the browser's
    ``ids.DENSITY_WINDOW``; a window of another projection, or None: the overview), or
    None when the map draws every point (small collection, or 3-D)."""
    from explorer.state import load_coords, parse_projection_key

    if parse_projection_key(pkey)[1].n_components != 2:
        return None
    coords = load_coords(config, pkey)
    if not is_dense(config, len(coords), 2):
        return None
    ours = store if store and store.get("pkey") == pkey else {}
    window = tuple(ours["window"]) if ours.get("window") else None
    rows = rows_in_window(coords, window)
    if rows is None:
        shown = np.asarray(ours.get("shown") or (), np.int64)
        return DenseMap(coords, window or window_of(coords), shown, True)
    return DenseMap(coords, window, rows, False)


def valid_rows(selected, n_rows: int) -> np.ndarray:
    """The ``selected`` rows (any iterable of ints, or None) that exist: sorted, unique,
    in ``range(n_rows)``."""
    rows = np.unique(np.asarray(list(selected) if selected is not None else [], np.int64))
    return rows[(rows >= 0) & (rows < n_rows)]


def shown_sample(selected, n_rows: int, limit: int = SHOWN_OVER_IMAGE) -> list[int]:
    """The selected rows (sorted, those in ``range(n_rows)``) a density image shows as
    points: all of them up to ``limit``, else ``limit`` evenly spread over them."""
    rows = valid_rows(selected, n_rows)
    if len(rows) > limit:
        rows = rows[np.linspace(0, len(rows) - 1, limit).round().astype(np.int64)]
    return rows.tolist()


def opening_store(config: AppConfig, pkey: str | None, selected) -> dict | None:
    """The ``ids.DENSITY_WINDOW`` of a map as it opens (the overview), showing the
    ``selected`` rows (a selection kept over a reload); None when it shows none, or for a
    map that is no density map."""
    dense = dense_map(config, pkey, None) if pkey and selected else None
    if dense is None:
        return None
    return window_store(pkey, dense.coords, dense.window,
                        shown_sample(selected, len(dense.coords)))


def main_rows(dense: DenseMap | None, *arrays):
    """``arrays`` (Colouring or (N,) arrays, None kept) restricted to the rows the main
    trace holds: all of them unchanged when ``dense`` is None."""
    if dense is None:
        return arrays
    return tuple(None if a is None else (a.subset(dense.rows) if hasattr(a, "subset")
                                         else a[dense.rows]) for a in arrays)


def point_rgb(colour) -> np.ndarray:
    """(N, 3) uint8: each row's colour under ``colour`` (a :class:`Colouring`), as its
    marker shows it (categorical: its category's colour; continuous: the colour scale over
    the 1st-99th percentiles; missing: grey)."""
    from explorer.colouring import CONTINUOUS_SCALE, MISSING_COLOUR

    if colour.kind == "categorical":
        return rgb_of(colour.colours)[colour.values.astype(np.int64)]
    from plotly.colors import get_colorscale, sample_colorscale

    values = colour.values
    lo, hi = colour.value_range()
    table = rgb_of(sample_colorscale(get_colorscale(CONTINUOUS_SCALE),
                                     list(np.linspace(0, 1, 256)), colortype="rgb"))
    share = np.clip((np.nan_to_num(values, nan=lo) - lo) / (hi - lo), 0, 1)
    rgb = table[np.round(share * 255).astype(np.int64)]
    rgb[~np.isfinite(values)] = rgb_of([MISSING_COLOUR])[0]
    return rgb


def point_weights(colour, hidden=(), removed: np.ndarray | None = None,
                  is_halo: np.ndarray | None = None) -> np.ndarray:
    """(N,) float: each row's weight in the density image: 0 for rows of ``hidden``
    categories and ``removed`` rows (not drawn), :data:`explorer.figures.HALO_FADE` for
    halo rows (fainter, as their markers), 1 otherwise."""
    from explorer.figures import HALO_FADE

    weights = np.ones(len(colour.values), np.float64)
    if is_halo is not None:
        weights[np.asarray(is_halo, dtype=bool)] = HALO_FADE
    clear = colour.rows_in(hidden)
    if removed is not None:
        clear = clear | removed
    weights[clear] = 0.0
    return weights


def layout_images(dense: DenseMap | None, colour, hidden=(), removed=None,
                  is_halo=None) -> list[dict]:
    """The layout ``images`` of a density map: its density image over its window, or none
    when it shows points (or is no density map)."""
    if dense is None or not dense.image:
        return []
    rgba = density_rgba(dense.coords, point_rgb(colour), dense.window,
                        weights=point_weights(colour, hidden, removed, is_halo))
    x0, x1, y0, y1 = dense.window
    return [{"source": png_data_uri(rgba), "xref": "x", "yref": "y", "x": min(x0, x1),
             "y": max(y0, y1), "sizex": abs(x1 - x0), "sizey": abs(y1 - y0),
             "sizing": "stretch", "layer": "below", "xanchor": "left", "yanchor": "top"}]


def dense_figure(fig, dense: DenseMap, pkey: str, images: list[dict]):
    """``fig`` (built from the main trace's rows) made a density map: rows as
    ``customdata``, the image, the axes on the window; a new projection opens on its
    overview (``uirevision``)."""
    fig.data[0].customdata = dense.rows.tolist()  # plain: Dash reads events' rows from it
    fig.data[0].marker.line = OUTLINE if dense.image else NO_OUTLINE
    x0, x1, y0, y1 = dense.window
    fig.update_layout(images=images, xaxis={"range": [x0, x1]}, yaxis={"range": [y0, y1]},
                      uirevision=pkey, meta={"density_map": True})
    return fig


def window_from_relayout(relayout: dict | None, current: Window,
                         overview: Window) -> Window | None:
    """The zoom window after Plotly's ``relayoutData`` event (ranges, or autorange for
    the overview's extent); None when the event changes neither axis."""
    if not relayout:
        return None
    new, changed = {"x": list(current[:2]), "y": list(current[2:])}, False
    for axis, full in (("x", overview[:2]), ("y", overview[2:])):
        key = f"{axis}axis"
        if relayout.get(f"{key}.autorange"):
            new[axis] = list(full)
        elif f"{key}.range" in relayout:
            new[axis] = list(relayout[f"{key}.range"])
        elif f"{key}.range[0]" in relayout and f"{key}.range[1]" in relayout:
            new[axis] = [relayout[f"{key}.range[0]"], relayout[f"{key}.range[1]"]]
        else:
            continue
        changed = True
    return tuple(float(v) for v in new["x"] + new["y"]) if changed else None


def moves_axes(relayout: dict | None) -> bool:
    """Whether Plotly's ``relayoutData`` event zooms or pans (an axis range or autorange
    changes), not only a lasso's outline (``selections``) or the drag mode."""
    return any(str(key).startswith(("xaxis.", "yaxis.")) for key in relayout or {})


def window_store(pkey: str, coords: np.ndarray, window: Window,
                 shown: list[int] = ()) -> dict | None:
    """The ``ids.DENSITY_WINDOW`` value of a zoom to ``window`` whose image shows the
    ``shown`` rows as points (:func:`shown_sample`): None for the overview showing none.
    A window that shows every point is the overview (no ``"window"``)."""
    store = {"pkey": pkey}
    if not in_window(coords, window).all():
        store["window"] = [float(v) for v in window]
    if len(shown):
        store["shown"] = [int(r) for r in shown]
    return store if len(store) > 1 else None


def lasso_rows(coords: np.ndarray, shape: dict | None) -> np.ndarray:
    """The rows (sorted int64) of ``coords`` (N, 2) inside a Plotly selection's shape:
    ``{"lassoPoints": {"x": [...], "y": [...]}}`` (a polygon) or ``{"range": {"x": [a,
    b], "y": [c, d]}}`` (a box). Empty for no shape."""
    if not shape:
        return np.zeros(0, np.int64)
    if shape.get("range"):
        box = shape["range"]
        return np.flatnonzero(in_window(coords, (*box["x"][:2], *box["y"][:2])))
    lasso = shape.get("lassoPoints") or {}
    xs, ys = lasso.get("x") or [], lasso.get("y") or []
    if len(xs) < 3 or len(xs) != len(ys):
        return np.zeros(0, np.int64)
    polygon = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
    lo, hi = polygon.min(axis=0), polygon.max(axis=0)
    near = np.flatnonzero(in_window(coords, (lo[0], hi[0], lo[1], hi[1])))
    return near[in_polygon(coords[near, :2], polygon)]


def in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Bool (M,): the ``points`` (M, 2) inside the closed ``polygon`` (V, 2), by the
    even-odd rule (a ray to +x crosses its edges an odd number of times)."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), dtype=bool)
    for (xa, ya), (xb, yb) in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        spans = (ya > y) != (yb > y)
        if not spans.any():
            continue
        crossing = xa + (y[spans] - ya) * (xb - xa) / (yb - ya)
        inside[spans] ^= x[spans] < crossing
    return inside


def main_trace_view(config: AppConfig, pkey: str | None, relayout: dict | None,
                    store: dict | None, legend: dict | None, groups=None,
                    view: dict | None = None, opacity: float | None = None,
                    selected=None):
    """(Patch, ``ids.DENSITY_WINDOW``) of a density map's main trace after a zoom or pan
    (Plotly's ``relayout`` event; None: the window stays) or a new ``selected`` rows (the
    selection, or the hierarchy's highlight; None or empty: none).

    A window of at most ``POINTS_ON_ZOOM`` points shows them (rows as ``customdata``,
    coloured as the page colours them, the selected ones selected); a larger one shows the
    density image, with the selected rows (:func:`shown_sample`) as outlined points over
    it. Nothing for other maps, or for an event that moves no axis."""
    from dash import Patch, no_update

    from explorer.colouring import typed_array
    from explorer.figures import MAIN, point_opacity
    from explorer.state import colouring_for
    from explorer.views import data_for, halo_rows, removed_rows

    dense = dense_map(config, pkey, store) if pkey and legend else None
    if dense is None:
        return no_update, no_update
    window = dense.window
    if relayout is not None:
        window = window_from_relayout(relayout, dense.window, window_of(dense.coords))
        if window is None:
            return no_update, no_update
    chosen = valid_rows(selected, len(dense.coords))
    new_store = window_store(pkey, dense.coords, window)
    new = dense_map(config, pkey, new_store)
    if new.image and len(chosen):  # the image shows the selection as points over it
        new_store = window_store(pkey, dense.coords, window,
                                 shown_sample(chosen, len(dense.coords)))
        new = dense_map(config, pkey, new_store)
    patch = Patch()
    main = patch["data"][MAIN]
    # zoomed to points: the selected ones selected (the others dimmed, as on any map)
    picked = np.flatnonzero(np.isin(new.rows, chosen)).tolist()
    main["selectedpoints"] = picked if len(chosen) and not new.image else None
    if relayout is None and np.array_equal(new.rows, dense.rows):
        return patch, new_store  # the same points: only which of them are selected changed
    data = data_for(config, pkey, view)
    colour, hidden = colouring_for(data, legend["column"]), legend["hidden"]
    removed, halo = removed_rows(data, groups), halo_rows(data)
    main_colour, main_removed, main_halo = main_rows(new, colour, removed, halo)
    points = new.coords[new.rows].astype(np.float32)
    main["x"], main["y"] = typed_array(points[:, 0]), typed_array(points[:, 1])
    # a plain list: dcc.Graph copies an event's customdata from the figure's own data,
    # where a typed array's {"dtype", "bdata"} has no item per point
    main["customdata"] = new.rows.tolist()
    for key, value in main_colour.marker(hidden, removed=main_removed).items():
        main["marker"][key] = value
    main["marker"]["opacity"] = point_opacity(opacity or 0.8, main_halo, 2)
    main["marker"]["line"] = OUTLINE if new.image else NO_OUTLINE
    if relayout is None:
        return patch, new_store  # the window, and so its image, stay
    patch["layout"]["images"] = layout_images(new, colour, hidden, removed, halo)
    if any(str(key).endswith(".autorange") for key in relayout):
        # Plotly would fit the axes to the few points it holds, not to the whole map
        x0, x1, y0, y1 = new.window
        patch["layout"]["xaxis"]["range"], patch["layout"]["yaxis"]["range"] = [x0, x1], [y0, y1]
    return patch, new_store


def shape_rows(config: AppConfig, selection: dict) -> list[int] | None:
    """The rows of a selection kept as its shape, ``{"shape": {"lassoPoints"|"range"},
    "pkey": projection}``: a lasso or box drawn on the density map of ``pkey``, resolved
    against that projection's coordinates whatever the map shows now (its points are not
    all in the browser). None when the projection cannot be had (no selection).

    Every consumer of the selection (panel, facets, map, hierarchy) resolves it through
    :func:`explorer.config.kept_selection`; the same shape is resolved once."""
    shape, pkey = selection.get("shape"), selection.get("pkey")
    if not isinstance(shape, dict) or not isinstance(pkey, str):
        return None
    try:
        return _shape_rows(config, pkey, json.dumps(shape, sort_keys=True)).tolist()
    except (KeyError, ValueError, OSError):  # a projection this server cannot make
        return None


@lru_cache(maxsize=8)
def _shape_rows(config: AppConfig, pkey: str, shape: str) -> np.ndarray:
    """The rows (sorted int64, read-only) inside the JSON ``shape`` on ``pkey``'s map."""
    from explorer.state import load_coords

    rows = lasso_rows(load_coords(config, pkey), json.loads(shape))
    rows.flags.writeable = False
    return rows


#: The browser's part of a selection (see ``explorer.callbacks``): Plotly's selected
#: points become rows; on a density map, whose main trace holds few of its points, the
#: selection is the lasso's or box's shape with its projection (:func:`shape_rows`): no
#: rows travel, and no round trip turns the shape into rows before the panel is asked.
#: A selection event without a lasso or box is no user's: Plotly sends one when the page
#: sets a selection itself (a search, a highlight: :func:`explorer.figures.select_rows`),
#: and it must not undo that selection. A deselection (double-click) comes as null.
SELECTED_ROWS_JS = """function (selected, folder, figure, pkey) {
    const none = window.dash_clientside.no_update;
    const dense = figure && figure.layout && figure.layout.meta &&
        figure.layout.meta.density_map;
    if (!selected) { return [[], folder]; }
    if (!(selected.lassoPoints || selected.range)) { return [none, none]; }
    if (dense) {
        return [{shape: {lassoPoints: selected.lassoPoints || null,
                         range: selected.range || null}, pkey: pkey}, folder];
    }
    if (!selected.points) { return [[], folder]; }
    const rows = [];
    for (const p of selected.points) { if (p.curveNumber === 0) { rows.push(p.pointNumber); } }
    return [rows, folder];
}"""


def register_density_callbacks(app, config: AppConfig) -> None:
    """The main-trace callback of a density map (zoom, selection, highlight)."""
    from dash import Input, Output, State, ctx, no_update

    from explorer import ids
    from explorer.hierarchy import ids as hier_ids

    @app.callback(Output(ids.SCATTER, "figure", allow_duplicate=True),
                  Output(ids.DENSITY_WINDOW, "data", allow_duplicate=True),
                  Input(ids.SCATTER, "relayoutData"), Input(ids.SELECTED_POINTS, "data"),
                  Input(hier_ids.HIGHLIGHT, "data"), State(ids.PROJECTION_KEY, "data"),
                  State(ids.DENSITY_WINDOW, "data"), State(ids.LEGEND_STATE, "data"),
                  State(ids.ROW_FILTER, "data"), State(ids.VIEW, "data"),
                  State(ids.MARKER_OPACITY, "value"), State(ids.SELECTION_FOLDER, "data"),
                  State(ids.RUN_KEY, "data"), prevent_initial_call=True)
    def _main_trace(relayout, points, highlight, pkey, store, legend, groups, view, opacity,
                    folder, key):
        from explorer.config import kept_selection
        from explorer.hierarchy.views import marked_rows

        if pkey is None or dense_map(config, pkey, None) is None:
            return no_update, no_update  # not a density map: Plotly draws both itself
        selected = marked_rows(config, key, view, highlight,
                               kept_selection(config, points, folder))
        # a lasso sends its outline (a relayout that moves no axis) with its selection,
        # in one request: the selection is drawn, the window stays
        triggered = set(ctx.triggered_prop_ids.values())
        moved = ids.SCATTER in triggered and moves_axes(relayout)
        if triggered == {ids.SCATTER} and not moved:
            return no_update, no_update  # a lasso's outline or a drag mode: nothing to draw
        return main_trace_view(config, pkey, relayout if moved else None, store, legend,
                               groups, view, opacity, selected)
