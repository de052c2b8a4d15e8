"""Hierarchy callbacks: parse inputs, call :mod:`explorer.hierarchy.views`, return."""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, no_update

from explorer import ids as main_ids
from explorer.config import AppConfig, kept_selection
from explorer.hierarchy import ids
from explorer.hierarchy.views import (
    card_view,
    dimension_view,
    export_view,
    highlight_from_event,
    highlight_from_row,
    hover_view,
    pictures_view,
    save_view,
    scatter_patch,
    scores_view,
    suggested_cut_view,
)
from explorer.signin import signed_in_user
from explorer.state import View

_PICTURES = (ids.DENDROGRAM, ids.MDS, ids.HEATMAP)


def register_hierarchy_callbacks(app: Dash, config: AppConfig) -> None:
    """Wire the hierarchy panel to the explorer's analysis key, scatter and focus."""

    @app.callback(Output(ids.Z_SLIDER, "value"), Output(ids.Z_SLIDER, "marks"),
                  Output(ids.Z_KEY, "data"), Input(main_ids.RUN_KEY, "data"),
                  State(ids.Z_SLIDER, "value"), State(ids.Z_KEY, "data"))
    def _suggested_cut(key, current_z, z_key):
        """A new analysis starts at its suggested cut, marked on the slider; a reload of
        the same analysis keeps the Z the user chose."""
        value, marks = suggested_cut_view(config, key, current_z,
                                          key_changed=bool(key) and key != z_key)
        return value, marks, key or no_update

    @app.callback(Output(main_ids.VIEW, "data"), Input(ids.Z_SLIDER, "value"),
                  Input(ids.HALO, "value"), Input(ids.NAMES_VERSION, "data"))
    def _view(z, halo, names):
        """The page's cut: one Z (and halo) for every panel, file and export."""
        return View(z=z, halo=bool(halo), names=names or 0).store() if z is not None \
            else no_update

    @app.callback(*(Output(i, "figure") for i in _PICTURES), Output(ids.Z_SUMMARY, "children"),
                  Output(ids.Z_CURVE, "figure"), Output(ids.LOST_NAMES, "children"),
                  Input(main_ids.RUN_KEY, "data"), Input(main_ids.VIEW, "data"),
                  Input(ids.HIGHLIGHT, "data"), Input(ids.RELOAD_BUTTON, "n_clicks"),
                  Input(main_ids.SCALE_FILTER, "value"))
    def _pictures(key, view, highlight, _reload, groups):
        return pictures_view(config, key, view, highlight, groups)

    @app.callback(Output(ids.HIGHLIGHT, "data"), Output(ids.SELECTED, "data"),
                  *(Input(i, "clickData") for i in _PICTURES),
                  *(Input(i, "hoverData") for i in _PICTURES),
                  Input(main_ids.FOCUS_ROW, "data"), Input(main_ids.VIEW, "data"),
                  Input(main_ids.RUN_KEY, "data"), State(ids.SELECTED, "data"),
                  prevent_initial_call=True)
    def _highlight(*args):
        selected, key, view, row = args[-1], args[-2], args[-3], args[-4]
        fired = {t["prop_id"]: t["value"] for t in ctx.triggered}
        if f"{main_ids.RUN_KEY}.data" in fired or (
                f"{main_ids.VIEW}.data" in fired and not same_cut(selected, view)):
            return None, None  # node ids belong to one clustering: start afresh
        if f"{main_ids.FOCUS_ROW}.data" in fired:
            node = highlight_from_row(config, key, view, row)
            return node, with_cut(node, view)
        clicks = [highlight_from_event(v) for p, v in fired.items() if p.endswith("clickData")]
        hovers = [highlight_from_event(v) for p, v in fired.items() if p.endswith("hoverData")]
        click = next((h for h in clicks if h is not None), None)
        if click is not None:
            return click, (with_cut(click, view) if "node" in click else no_update)
        hover = next((h for h in hovers if h is not None), None)
        return (hover, no_update) if hover is not None else (no_update, no_update)

    for graph in _PICTURES:
        _register_tooltip(app, config, graph)

    @app.callback(Output(main_ids.SCATTER, "figure", allow_duplicate=True),
                  Input(ids.HIGHLIGHT, "data"), State(main_ids.RUN_KEY, "data"),
                  State(main_ids.VIEW, "data"), State(main_ids.SELECTED_POINTS, "data"),
                  State(main_ids.SELECTION_FOLDER, "data"), State(main_ids.PROJECTION_KEY, "data"),
                  prevent_initial_call=True)
    def _scatter(highlight, key, view, points, folder, pkey):
        selected = kept_selection(config, points, folder)
        return scatter_patch(config, key, view, highlight, selected=selected, pkey=pkey)

    @app.callback(Output(ids.CARD, "children"), Output(ids.NAME_INPUT, "value"),
                  Output(ids.NOTE_INPUT, "value"), Output(ids.EDITING, "data"),
                  Input(ids.SELECTED, "data"), Input(ids.RELOAD_BUTTON, "n_clicks"),
                  Input(main_ids.VIEW, "data"), Input(main_ids.SCALE_FILTER, "value"),
                  State(main_ids.RUN_KEY, "data"))
    def _card(selected, _reload, view, groups, key):
        card, name, note, editing = card_view(config, key, view, selected, groups)
        if ctx.triggered_id == ids.RELOAD_BUTTON:  # newest version, the typed text stays
            return card, no_update, no_update, editing
        return card, name, note, editing

    @app.callback(Output(ids.NAME_STATUS, "children"), Output(ids.NAMES_VERSION, "data"),
                  Input(ids.SAVE_BUTTON, "n_clicks"), Input(ids.DELETE_BUTTON, "n_clicks"),
                  State(ids.NAME_INPUT, "value"), State(ids.NOTE_INPUT, "value"),
                  State(ids.USER_INPUT, "value"), State(ids.EDITING, "data"),
                  State(main_ids.RUN_KEY, "data"), State(main_ids.VIEW, "data"),
                  State(ids.NAMES_VERSION, "data"), prevent_initial_call=True)
    def _save(_save, _delete, name, note, user, editing, key, view, version):
        user = signed_in_user() or user or ""  # signed in: that name, whatever was typed
        message, saved = save_view(config, key, view, editing, name=name or "", note=note or "",
                                   user=user, delete=ctx.triggered_id == ids.DELETE_BUTTON)
        return message, (version or 0) + 1 if saved else no_update

    @app.callback(Output(ids.EXPORT_ZIP, "data"), Input(ids.EXPORT_BUTTON, "n_clicks"),
                  State(main_ids.RUN_KEY, "data"), State(main_ids.VIEW, "data"),
                  prevent_initial_call=True)
    def _export(_clicks, key, view):
        return export_view(config, key, view)

    @app.callback(Output(ids.SCORES, "children"), Output(ids.CONFUSION, "figure"),
                  Input(main_ids.RUN_KEY, "data"), Input(main_ids.VIEW, "data"),
                  Input(main_ids.SCALE_FILTER, "value"))
    def _scores(key, view, groups):
        return scores_view(config, key, view, groups)

    @app.callback(Output(ids.TWO_NN, "figure"), Output(ids.ID_SCALE, "figure"),
                  Output(ids.PCA, "figure"), Output(ids.DECISION, "figure"),
                  Input(main_ids.RUN_KEY, "data"))
    def _dimension(key):
        return dimension_view(config, key)


def with_cut(node: dict | None, view: dict | None) -> dict | None:
    """A selected node with the cut it belongs to (node ids are those of one clustering)."""
    if not node or "node" not in node:
        return node
    cut = View.of(view)
    return {"node": node["node"], "z": cut.z, "halo": cut.halo}


def same_cut(selected: dict | None, view: dict | None) -> bool:
    """True if ``selected`` was chosen at the view's Z and halo (a name save keeps it)."""
    if not selected:
        return True
    cut = View.of(view)
    return (selected.get("z"), selected.get("halo")) == (cut.z, cut.halo)


def _register_tooltip(app: Dash, config: AppConfig, graph: str) -> None:
    tip = ids.tooltip(graph)

    @app.callback(Output(tip, "show"), Output(tip, "bbox"), Output(tip, "children"),
                  Input(graph, "hoverData"), State(main_ids.RUN_KEY, "data"),
                  State(main_ids.VIEW, "data"))
    def _hover(event, key, view):
        return hover_view(config, key, view, event)
