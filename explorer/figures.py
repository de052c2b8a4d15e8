"""Pure figure builders: arrays in, ``plotly.graph_objects.Figure`` (or a Patch) out.

The scatter has a fixed trace order so callbacks can patch it by index:

0. ``points``: every row, in row order, in ONE WebGL trace. Plotly's ``pointNumber`` of
   an event on this trace IS the row index, so no ``customdata`` is sent (saves ~1 MB of
   JSON at 150 000 points; see benchmarks/RESULTS.md). Colour is per point
   (``marker.color`` codes + colour scale), so recolouring patches one typed array.
1. ``selected``: the clicked point, drawn on top.
2. ``neighbours``: its nearest neighbours in the embedding space.
3. ... one empty legend entry per category of the current colouring: clicking one toggles
   the category (the server clears those points' colour), double-clicking isolates it.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from dash import Patch

from explorer.colouring import Colouring, typed_array

MAIN, SELECTED, NEIGHBOURS, LEGEND_START = 0, 1, 2, 3
LEGEND_LIMIT = 60
SAME_COLOUR, OTHER_COLOUR = "#111111", "#d62728"


def _trace_type(dims: int):
    return go.Scattergl if dims == 2 else go.Scatter3d


def _xyz(coords: np.ndarray) -> dict:
    keys = ("x", "y", "z")[: coords.shape[1]]
    return {k: coords[:, i].astype(np.float32) for i, k in enumerate(keys)}


def check_coords(coords: np.ndarray, n_rows: int | None = None) -> np.ndarray:
    coords = np.asarray(coords)
    if coords.ndim != 2 or coords.shape[1] not in (2, 3) or (
            n_rows is not None and len(coords) != n_rows):
        raise ValueError(f"coords must be (N, 2|3) with N = {n_rows} rows; got {coords.shape}")
    return coords


def scatter_figure(coords: np.ndarray, colour: Colouring, *, hidden=(),
                   removed: np.ndarray | None = None, title: str = "",
                   marker_size: float = 4.0, opacity: float = 0.8,
                   axis_name: str = "", is_halo: np.ndarray | None = None) -> go.Figure:
    """The latent-space scatter of ``coords`` (N, 2|3) coloured by ``colour``; rows of
    ``hidden`` categories and ``removed`` rows (bool (N,)) are transparent; ``is_halo``
    rows (bool (N,)) are fainter (:func:`point_opacity`); the axes are titled
    ``"{axis_name} 1"``, ``"{axis_name} 2"``..."""
    coords = check_coords(coords, len(colour.values))
    dims = coords.shape[1]
    size = marker_size if dims == 2 else marker_size * 0.6
    trace = _trace_type(dims)
    main = trace(**_xyz(coords), mode="markers", name="points", showlegend=False,
                 hoverinfo="none",
                 marker={**colour.marker(hidden, removed=removed), "size": size,
                         "opacity": point_opacity(opacity, is_halo, dims)})
    empty = {k: [] for k in ("x", "y", "z")[:dims]}
    fig = go.Figure([
        main,
        trace(**empty, mode="markers", name="selected", showlegend=False, hoverinfo="skip",
              marker={"size": size * 3, "color": "rgba(0,0,0,0)",
                      "line": {"width": 3, "color": "#000"}, "symbol": "circle"}),
        trace(**empty, mode="markers", name="neighbours", showlegend=False, hoverinfo="skip",
              marker={"size": size * 2, "color": "rgba(0,0,0,0)",
                      "line": {"width": 2, "color": SAME_COLOUR}}),
        *legend_traces(colour, dims, hidden),
    ])
    titles = {f"{a}axis": {"title": {"text": f"{axis_name} {i}".strip()}}
              for i, a in enumerate("xyz"[:dims], start=1)}
    fig.update_layout(title=title or None, margin={"l": 40, "r": 10, "t": 40, "b": 36},
                      legend={"itemsizing": "constant", "title": {"text": colour.column}},
                      dragmode="lasso" if dims == 2 else "orbit", uirevision="scatter",
                      template="plotly_white", hovermode="closest",
                      **({"scene": titles} if dims == 3 else titles))
    return fig


def plain(text: str) -> str:
    """``text`` escaped so that Plotly shows it literally (no tags, no links): Plotly
    interprets a few HTML tags in text, hover labels, legend entries and tick labels."""
    return html.escape(text, quote=False)


def legend_traces(colour: Colouring, dims: int, hidden=()) -> list:
    """One point-less trace per category: Plotly draws and toggles them in its legend.

    On a 2-D map they are SVG traces, not WebGL ones: they draw nothing but their legend
    entry, and each WebGL trace costs Plotly every redraw (43 traces, 40 of them legend
    entries, took 150 ms to redraw at the overview of a density map, 50-75 ms with SVG
    entries: ``benchmarks/RESULTS.md``, issue 16)."""
    if colour.kind != "categorical" or len(colour.categories) > LEGEND_LIMIT:
        return []
    trace = go.Scatter if dims == 2 else go.Scatter3d
    empty = {k: [None] for k in ("x", "y", "z")[:dims]}
    return [trace(**empty, mode="markers", name=plain(name), marker={"color": col, "size": 8},
                  hoverinfo="skip", visible="legendonly" if name in hidden else True)
            for name, col in zip(colour.categories, colour.colours, strict=True)]


def recolour_patch(colour: Colouring, *, dims: int, hidden=(),
                   removed: np.ndarray | None = None, old_legend_size: int = 0) -> Patch:
    """Recolour the main trace and rebuild the legend; coordinates are not sent."""
    patch = Patch()
    for key, value in colour.marker(hidden, removed=removed).items():
        patch["data"][MAIN]["marker"][key] = value
    patch["data"][MAIN]["visible"] = True  # a legend double-click may have hidden it
    for _ in range(old_legend_size):
        del patch["data"][LEGEND_START]
    patch["data"].extend([t.to_plotly_json() for t in legend_traces(colour, dims, hidden)])
    patch["layout"]["legend"]["title"]["text"] = colour.column
    return patch


def hidden_patch(colour: Colouring, hidden, removed: np.ndarray | None = None) -> Patch:
    """Clear the colour of hidden categories (after a legend click) and of ``removed``
    rows (after a scale-group filter change); coordinates and legend are not sent."""
    patch = Patch()
    marker = colour.marker(hidden, removed=removed)
    for key in ("color", "colorscale", "cmin", "cmax"):
        patch["data"][MAIN]["marker"][key] = marker[key]
    patch["data"][MAIN]["visible"] = True
    for trace in (SELECTED, NEIGHBOURS):
        patch["data"][trace]["visible"] = True
    return patch


#: A halo image's opacity as a share of a core image's: the halo is drawn fainter, in its
#: cluster's colour (never grey), so every image shows its cluster and the cores stand out.
HALO_FADE = 0.3


def point_opacity(opacity: float, is_halo: np.ndarray | None, dims: int):
    """The main trace's ``marker.opacity``: ``opacity`` for core images, ``opacity *
    HALO_FADE`` for halo ones (a float32 typed array), or the plain number when no image
    is halo or in 3-D (Plotly's 3-D markers take one opacity)."""
    if is_halo is None or dims != 2 or not np.any(is_halo):
        return opacity
    return typed_array(np.where(np.asarray(is_halo, dtype=bool), opacity * HALO_FADE,
                                opacity).astype(np.float32))


def opacity_patch(opacity: float, is_halo: np.ndarray | None, dims: int) -> Patch:
    """Only the main trace's opacities (after a new cut changed which images are halo)."""
    patch = Patch()
    patch["data"][MAIN]["marker"]["opacity"] = point_opacity(opacity, is_halo, dims)
    return patch


def marker_patch(*, marker_size: float, opacity: float, dims: int,
                 is_halo: np.ndarray | None = None) -> Patch:
    patch = Patch()
    size = marker_size if dims == 2 else marker_size * 0.6
    patch["data"][MAIN]["marker"]["size"] = size
    patch["data"][MAIN]["marker"]["opacity"] = point_opacity(opacity, is_halo, dims)
    patch["data"][SELECTED]["marker"]["size"] = size * 3
    patch["data"][NEIGHBOURS]["marker"]["size"] = size * 2
    return patch


def highlight_patch(coords: np.ndarray, row: int | None, neighbours: np.ndarray,
                    same: np.ndarray | None = None) -> Patch:
    """Mark ``row`` and its ``neighbours`` (rows); ``same`` (bool per neighbour) colours
    same-cluster rings black and other-cluster rings red. Sends only those points."""
    coords = check_coords(coords)
    keys = ("x", "y", "z")[: coords.shape[1]]
    patch = Patch()
    picked = coords[[row]] if row is not None else coords[:0]
    near = coords[np.asarray(neighbours, dtype=np.int64)]
    for i, key in enumerate(keys):
        patch["data"][SELECTED][key] = picked[:, i].tolist()
        patch["data"][NEIGHBOURS][key] = near[:, i].tolist()
    if same is not None:
        patch["data"][NEIGHBOURS]["marker"]["line"]["color"] = [
            SAME_COLOUR if s else OTHER_COLOUR for s in same]
    return patch


def empty_figure(message: str) -> go.Figure:
    """A blank figure with a centred message (before the first run, or on error)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper",
                       yref="paper", font={"size": 16})
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False},
                      template="plotly_white")
    return fig


def select_rows(patch: Patch, rows: list[int] | None) -> Patch:
    """``patch`` selecting the main trace's points ``rows`` (None: no selection, nothing
    dimmed), the lasso or box drawn before dropped (:func:`drop_drawn_selection`)."""
    patch["data"][MAIN]["selectedpoints"] = rows
    return drop_drawn_selection(patch)


def drop_drawn_selection(patch: Patch) -> Patch:
    """``patch`` without the lasso or box the user drew: Plotly re-applies a drawn shape
    over any ``selectedpoints`` the page sets, so a search or a highlight made after a lasso
    showed the lasso's points while every panel showed the new selection. (Plotly then
    reports a selection without a shape, which the page ignores: ``SELECTED_ROWS_JS``.)"""
    patch["layout"]["selections"] = []
    return patch
