"""The right-hand panels as Dash components: one point, or a selection of points.

Images are thumbnails served by URL (``/thumbnails/<id>.png``, cached by the browser).
A grid of thumbnails is ONE component (:func:`thumbnail_grid`): each Dash component
costs the page's renderer on every update, and a lasso's panel with 36 tiles of four
components each (153 components) took two renderer tasks of 150-180 ms to draw
(``benchmarks/RESULTS.md``, issue 16). A click on a tile focuses its row
(``assets/tiles.js``: the tile's ``data-row`` into :data:`explorer.ids.FOCUS_ROW`).
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
from dash import dcc, html
from dash.development.base_component import Component

from explorer import ids
from explorer.selection import group_of, nearest_outside, neighbours_of, page_of, same_group
from explorer.serving import thumbnail_url
from explorer.state import ExplorerData
from explorer.table_view import table_view

PAGE_SIZE = 24
SELECTION_HINT = "Lasso or box-select points (2-D) to see their images."
OUTSIDE_LIMIT = 12


def thumbnail_grid(data: ExplorerData, rows, captions, *, class_name: str,
                   grid_id: str | None = None, badges=None, empty: str = "") -> Component:
    """The tiles of ``rows`` (clickable thumbnails, each with its caption and an optional
    same/other ``badge``) as one component: their HTML in a ``dcc.Markdown`` (Dash's
    JSX parser renders it, dropping ``on*`` attributes and scripts; every text in it is
    escaped by :func:`tile_html` besides). ``empty``: the hint shown for no rows."""
    extra = {"id": grid_id} if grid_id else {}
    if len(rows) == 0:
        return html.Div(html.Div(empty, className="hint") if empty else [],
                        className=class_name, **extra)
    badges = badges if badges is not None else [None] * len(rows)
    tiles = "".join(tile_html(data, r, caption=c, badge=b)
                    for r, c, b in zip(rows, captions, badges, strict=True))
    return dcc.Markdown(tiles, dangerously_allow_html=True, className=class_name, **extra)


def tile_html(data: ExplorerData, row: int, *, caption: str = "", badge: str | None = None,
              size: int = 72) -> str:
    """One tile: ``<div class="tile" data-row data-caption title><img class="thumb">
    </div>`` on one line. Its caption and the corner's full-resolution button are drawn
    by the style sheet (``assets/style.css``, ``assets/viewer.css``; the corner's click is
    ``assets/viewer.js``'s). Every text is escaped, control characters included (a blank
    line would end the Markdown's HTML block), so a file name or label is only text."""
    classes = "tile" + (f" {badge}" if badge else "")
    path = _attribute(data.paths[row])
    return (f'<div class="{classes}" data-row="{int(row)}" '
            f'data-caption="{_attribute(caption)}" title="{path}">'
            f'<img src="{_attribute(thumbnail_url(data.ids[row]))}" width="{size}" '
            f'height="{size}" class="thumb" alt="{path}"/></div>')


def _attribute(value) -> str:
    """``value`` as the text of a quoted HTML attribute: markup characters and control
    characters as character references."""
    text = escape(str(value), quote=True)
    return "".join(f"&#{ord(c)};" if ord(c) < 32 or ord(c) == 127 else c for c in text)


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
    tiles = thumbnail_grid(data, near, [f"{d:.3g}" for d in dist], class_name="grid neighbours",
                           badges=["same" if s else "other" for s in same])
    return html.Div(className="instance-card", children=[
        html.Img(src=thumbnail_url(data.ids[row]), width=192, height=192,
                 style={"width": "192px", "height": "192px"}, className="thumb preview",
                 alt=str(data.paths[row]), title="click: open at full resolution"),
        metadata_table(data, row),
        html.H4(f"{len(near)} nearest in the embedding space"),
        html.Div(f"ring: black = same {group_name}, red = other {group_name}; "
                 "caption: Euclidean distance", className="hint"),
        tiles,
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
        thumbnail_grid(data, shown, [_format(label.iloc[r]) for r in shown],
                       class_name="grid selected", grid_id=ids.SELECTION_GRID),
        table_view(len(rows)),
        html.H4("Nearest images outside the selection"),
        thumbnail_grid(data, outside, [f"{d:.3g}" for d in dist], class_name="grid outside",
                       grid_id=ids.OUTSIDE_GRID, empty="none within the kNN graph"),
    ])
