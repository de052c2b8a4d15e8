"""Facets: counts per cluster, known label, scale group and one metadata column, as compact
bar lists beside the map, that filter the scatter and each other and follow the selection
(``bottom-right 17/20``: 17 of the 20 shown images of that label are selected).

A click on a bar keeps only that category (several in one facet: any of them); the map
hides every other image, as the scale-group filter does (:func:`row_filter` joins both
into the page's one row filter, :data:`explorer.ids.ROW_FILTER`). Each facet counts the
images that pass the *other* facets' choices, so the facets filter each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from compute.scale.table import GROUP_COLUMN
from explorer import ids
from explorer.config import AppConfig
from explorer.state import CLUSTER_COLUMN, ExplorerData

FIXED_FACETS = (CLUSTER_COLUMN, "label", GROUP_COLUMN)
BARS_SHOWN = 8          # categories listed per facet (the largest); the rest summed
SCALE_KEY = "scale groups"  # the scale-group dropdown's part of the row filter
FACET = "facet-bar"     # pattern-matching {"type": FACET, "column": str, "value": str}


@dataclass(frozen=True)
class FacetBar:
    """One category of a facet: its images that pass the other filters (``shown``) and
    of those how many are selected; ``chosen`` if the user keeps only such images."""

    value: str
    shown: int
    selected: int
    chosen: bool


@lru_cache(maxsize=64)
def categories(data: ExplorerData, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes (N,) int64, names (K,) object): the column as category codes, its values as
    text ("(none)" for missing ones); computed once per column."""
    codes, names = pd.factorize(data.columns[column].astype(object), use_na_sentinel=True)
    names = np.array([str(v) for v in names] + ["(none)"], dtype=object)
    return np.where(codes < 0, len(names) - 1, codes).astype(np.int64), names


def chosen_mask(data: ExplorerData, choices: dict[str, list[str]] | None, *,
                skip: str | None = None) -> np.ndarray:
    """Bool (N,): rows in one of the chosen categories of every facet but ``skip``."""
    keep = np.ones(data.n_rows, dtype=bool)
    for column, values in (choices or {}).items():
        if column == skip or not values or column not in data.columns:
            continue
        codes, names = categories(data, column)
        keep &= np.isin(codes, np.flatnonzero(np.isin(names, list(values))))
    return keep


def facet_bars(data: ExplorerData, column: str, *, passing: np.ndarray,
               selected: np.ndarray, chosen: list[str] | None = None,
               limit: int = BARS_SHOWN) -> tuple[list[FacetBar], int]:
    """The ``limit`` largest categories of ``column`` among the ``passing`` rows (bool (N,)),
    each with its count of ``selected`` rows (bool (N,)), chosen ones always listed; and
    how many categories were left out."""
    codes, names = categories(data, column)
    counts = np.bincount(codes[passing], minlength=len(names))
    picked = np.bincount(codes[passing & selected], minlength=len(names))
    chosen = set(chosen or [])
    present = [i for i in range(len(names)) if counts[i] or names[i] in chosen]
    order = sorted(present, key=lambda i: (names[i] not in chosen, -counts[i], names[i]))
    shown = order[:max(limit, len(chosen & {names[i] for i in present}))]
    bars = [FacetBar(value=str(names[i]), shown=int(counts[i]), selected=int(picked[i]),
                     chosen=str(names[i]) in chosen) for i in shown]
    return bars, len(present) - len(shown)


def row_filter(scale_groups: list[str] | None, choices: dict | None) -> dict:
    """The page's row filter: the scale groups shown and the facets' choices."""
    return {SCALE_KEY: list(scale_groups or []),
            **{c: list(v) for c, v in (choices or {}).items() if v}}


def toggled(choices: dict | None, column: str, value: str) -> dict:
    """``choices`` with ``value`` of ``column`` chosen, or no longer chosen."""
    choices = {c: list(v) for c, v in (choices or {}).items()}
    values = choices.setdefault(column, [])
    (values.remove if value in values else values.append)(value)
    return {c: v for c, v in choices.items() if v}


def facet_columns(data: ExplorerData, extra: str | None) -> list[str]:
    """The facets shown: cluster, known label, scale group (those present) and ``extra``."""
    columns = [c for c in FIXED_FACETS if c in data.columns]
    if extra and extra in data.columns and extra not in columns:
        columns.append(extra)
    return columns


def facet_panel(data: ExplorerData, *, selected_rows, choices: dict | None,
                removed: np.ndarray | None, extra: str | None) -> list:
    """The facets' bar lists for ``data`` (rows ``removed`` by the scale-group filter are
    not counted)."""
    selected = np.zeros(data.n_rows, dtype=bool)
    selected[np.asarray(selected_rows if selected_rows is not None else [], dtype=np.int64)] = True
    base = np.ones(data.n_rows, dtype=bool) if removed is None else ~removed
    blocks = []
    for column in facet_columns(data, extra):
        passing = base & chosen_mask(data, choices, skip=column)
        bars, more = facet_bars(data, column, passing=passing, selected=selected,
                                chosen=(choices or {}).get(column))
        blocks.append(_facet_block(column, bars, more, any_selected=bool(selected.any())))
    return blocks


def _facet_block(column: str, bars: list[FacetBar], more: int, *, any_selected: bool):
    """One facet: a heading and one button a bar. The count (``data-count``, room kept
    for it on the right) and the filled share (``--fill``) are drawn by the style sheet
    (``assets/feedback.css``): one component a bar, as every component costs the page's
    renderer on each selection."""
    top = max((b.shown for b in bars), default=1)
    rows = []
    for bar in bars:
        count = f"{bar.selected}/{bar.shown}" if any_selected else str(bar.shown)
        fill = (bar.selected if any_selected else bar.shown) / max(top, 1)
        rows.append(html.Button(
            bar.value, id={"type": FACET, "column": column, "value": bar.value}, n_clicks=0,
            className="facet-bar" + (" chosen" if bar.chosen else ""),
            title=f"{column} = {bar.value}: click to show only these (again to undo)",
            style={"--fill": f"{100 * fill:.0f}%", "paddingRight": f"calc({len(count)}ch + 8px)"},
            **{"data-count": count}))
    if more:
        rows.append(html.Div(f"{more} more", className="hint"))
    return html.Div(className="facet", children=[html.H4(column), *rows])


def facets_section() -> html.Details:
    """The facets panel (below the map)."""
    return html.Details(className="panel facets", open=True, children=[
        html.Summary("Facets: click a bar to keep only those images"),
        html.Div(className="facet-controls", children=[
            dcc.Dropdown(id=ids.FACET_COLUMN, placeholder="add a metadata column",
                         options=[], value=None, className="facet-column"),
            html.Button("Clear facet filters", id=ids.FACET_CLEAR, n_clicks=0),
        ]),
        html.Div(id=ids.FACETS, className="facet-row"),
        dcc.Store(id=ids.FACET_CHOICES, data={}),
        dcc.Store(id=ids.ROW_FILTER, data=row_filter([], {})),
    ])


def facets_view(config: AppConfig, pkey: str | None, view: dict | None, points,
                folder: str | None, filters: dict | None, extra: str | None,
                legend: dict | None):
    """(facet panel, the metadata columns offered) for the page's selection ``points``
    made on the folder tagged ``folder``: a selection kept from another folder counts as
    none, as in the selection panel (:func:`explorer.config.kept_selection`)."""
    from explorer.config import kept_selection
    from explorer.views import data_for, removed_rows, selection_rows

    if not pkey:
        return no_update, no_update
    data = data_for(config, pkey, view)
    scale_only = {SCALE_KEY: (filters or {}).get(SCALE_KEY, [])}
    rows = selection_rows(config, pkey, legend, kept_selection(config, points, folder),
                          scale_only, view)
    choices = {c: v for c, v in (filters or {}).items() if c != SCALE_KEY}
    others = [c for c in data.columns.columns if c not in FIXED_FACETS]
    return (facet_panel(data, selected_rows=rows, choices=choices,
                        removed=removed_rows(data, scale_only), extra=extra), others)


def register_facet_callbacks(app: Dash, config: AppConfig) -> None:
    @app.callback(Output(ids.FACETS, "children"), Output(ids.FACET_COLUMN, "options"),
                  Input(ids.PROJECTION_KEY, "data"), Input(ids.VIEW, "data"),
                  Input(ids.SELECTED_POINTS, "data"), Input(ids.ROW_FILTER, "data"),
                  Input(ids.FACET_COLUMN, "value"), State(ids.LEGEND_STATE, "data"),
                  State(ids.SELECTION_FOLDER, "data"))
    def _facets(pkey, view, points, filters, extra, legend, folder):
        return facets_view(config, pkey, view, points, folder, filters, extra, legend)

    @app.callback(Output(ids.FACET_CHOICES, "data"),
                  Input({"type": FACET, "column": ALL, "value": ALL}, "n_clicks"),
                  Input(ids.FACET_CLEAR, "n_clicks"), State(ids.FACET_CHOICES, "data"),
                  prevent_initial_call=True)
    def _choose(_clicks, _clear, choices):
        trigger = ctx.triggered_id
        if trigger == ids.FACET_CLEAR:
            return {}
        if not isinstance(trigger, dict) or not ctx.triggered[0].get("value"):
            return no_update  # the bars were redrawn, not clicked
        return toggled(choices, trigger["column"], trigger["value"])

    @app.callback(Output(ids.ROW_FILTER, "data"), Input(ids.SCALE_FILTER, "value"),
                  Input(ids.FACET_CHOICES, "data"))
    def _row_filter(groups, choices):
        return row_filter(groups, choices)
