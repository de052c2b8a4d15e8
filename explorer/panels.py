"""The right-hand panels as Dash components: one point, or a selection of points.

Images are thumbnails served by URL (``/thumbnails/<id>.png``, cached by the browser);
each tile has a pattern-matching id so a click on it focuses that row.
"""

from __future__ import annotations

import math

import numpy as np
from dash import html

from explorer import ids
from explorer.selection import group_of, nearest_outside, neighbours_of, page_of, same_group
from explorer.serving import thumbnail_url
from explorer.state import ExplorerData
from explorer.table_view import table_view

PAGE_SIZE = 24
SELECTION_HINT = "Lasso or box-select points (2-D) to see their images."
OUTSIDE_LIMIT = 12


def tile(data: ExplorerData, row: int, *, caption: str = "", badge: str | None = None,
         size: int = 72) -> html.Div:
    """A clickable thumbnail of ``row`` with a caption and an optional same/other badge.

    Two components: the caption and the corner's full-resolution button are drawn by the
    style sheet from ``data-caption`` (``assets/style.css``, ``assets/viewer.css``; the
    corner's click is ``assets/viewer.js``'s). Every component costs the page's renderer
    on each update: a lasso's panel of 36 tiles drew in about 300 ms less this way than
    with four components a tile (``benchmarks/RESULTS.md``, issue 16)."""
    classes = "tile" + (f" {badge}" if badge else "")
    return html.Div(id={"type": ids.TILE, "row": int(row)}, className=classes,
                    n_clicks=0, title=str(data.paths[row]),
                    **{"data-row": str(int(row)), "data-caption": str(caption)},
                    children=html.Img(src=thumbnail_url(data.ids[row]), width=size,
                                      height=size, className="thumb",
                                      alt=str(data.paths[row])))


def _format(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float | np.floating):
        return f"{value:.3f}"
    return str(value)


def metadata_table(data: ExplorerData, row: int) -> html.Table:
    values = [("row", row), ("path", data.paths[row]), ("id", data.ids[row])]
    values += [(name, data.columns[name].iloc[row]) for name in data.columns.columns]
    return html.Table(className="meta", children=[
        html.Tr([html.Th(name), html.Td(_format(value))]) for name, value in values])


def instance_panel(data: ExplorerData, row: int, k: int,
                   excluded: np.ndarray | None = None) -> html.Div:
    """A larger preview, metadata, and the ``k`` nearest images in the embedding space
    (rows where ``excluded``, e.g. filtered out by scale group, are not shown)."""
    near, dist = neighbours_of(data, row, k, excluded)
    same = same_group(data, row, near)
    group_name, _ = group_of(data)
    tiles = [tile(data, r, caption=f"{d:.3g}", badge="same" if s else "other")
             for r, d, s in zip(near, dist, same, strict=True)]
    return html.Div(className="instance-card", children=[
        html.Img(src=thumbnail_url(data.ids[row]), width=192, height=192,
                 style={"width": "192px", "height": "192px"}, className="thumb preview",
                 alt=str(data.paths[row]), title="click: open at full resolution"),
        metadata_table(data, row),
        html.H4(f"{len(near)} nearest in the embedding space"),
        html.Div(f"ring: black = same {group_name}, red = other {group_name}; "
                 "caption: Euclidean distance", className="hint"),
        html.Div(tiles, className="grid neighbours"),
    ])


def selection_panel(data: ExplorerData, rows: np.ndarray, page: int,
                    excluded: np.ndarray | None = None) -> html.Div:
    """A paged grid of the selected images and the nearest images outside the selection
    (never rows where ``excluded``)."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 0:
        return html.Div(SELECTION_HINT, className="hint")
    shown, page, n_pages = page_of(rows, page, PAGE_SIZE)
    outside, dist = nearest_outside(data, rows, OUTSIDE_LIMIT, excluded)
    label = data.columns["label"]
    return html.Div(className="selection-card", children=[
        html.Div(f"{len(rows)} selected - page {page + 1} of {n_pages}",
                 className="selection-count", id=ids.SELECTION_COUNT),
        html.Div([tile(data, r, caption=_format(label.iloc[r])) for r in shown],
                 className="grid selected", id=ids.SELECTION_GRID),
        table_view(len(rows)),
        html.H4("Nearest images outside the selection"),
        html.Div([tile(data, r, caption=f"{d:.3g}") for r, d in zip(outside, dist, strict=True)]
                 or [html.Div("none within the kNN graph", className="hint")],
                 className="grid outside", id=ids.OUTSIDE_GRID),
    ])
