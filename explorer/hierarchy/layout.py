"""The hierarchy panel's components: Z slider, the three linked pictures, the cluster card
with the naming form, lost names, export, and the diagnostics."""

from __future__ import annotations

from dash import dcc, html

from compute.naming.text import MAX_NAME, MAX_NOTE, MAX_USER
from compute.params import Z_MAX, Z_MIN, Z_STEP, AnalysisParams
from explorer.figures import empty_figure
from explorer.hierarchy import ids
from explorer.hierarchy.figures import Z_CURVE_HEIGHT_PX

_GRAPH_CONFIG = {"displaylogo": False}


def _graph(id_: str, height: str) -> dcc.Graph:
    return dcc.Graph(id=id_, figure=empty_figure("compute an analysis first"),
                     config=_GRAPH_CONFIG, style={"height": height}, clear_on_unhover=True)


def _naming_form() -> html.Div:
    return html.Div(className="hier-naming", children=[
        html.H4("Name this cluster or node"),
        dcc.Input(id=ids.USER_INPUT, placeholder="your name", maxLength=MAX_USER,
                  persistence=True, persistence_type="local", className="hier-user"),
        dcc.Input(id=ids.NAME_INPUT, placeholder='name, e.g. "vertical arrays"',
                  maxLength=MAX_NAME, className="hier-name"),
        dcc.Textarea(id=ids.NOTE_INPUT, placeholder="note (optional)", maxLength=MAX_NOTE,
                     className="hier-note"),
        html.Div(className="buttons", children=[
            html.Button("Save name", id=ids.SAVE_BUTTON, n_clicks=0, className="primary"),
            html.Button("Delete name", id=ids.DELETE_BUTTON, n_clicks=0),
            html.Button("Reload", id=ids.RELOAD_BUTTON, n_clicks=0,
                        title="load the latest saved version (your typed text stays)"),
        ]),
        html.Div(id=ids.NAME_STATUS, className="status"),
    ])


def _import_section() -> html.Details:
    from explorer.names_io import import_section  # names_io imports this package's ids

    return import_section()


def _diagnostics() -> html.Details:
    return html.Details(className="hier-diagnostics", children=[
        html.Summary("Scores and intrinsic dimension"),
        html.Div(id=ids.SCORES, className="summary"),
        _graph(ids.CONFUSION, "320px"),
        html.Div(className="hier-row", children=[_graph(ids.TWO_NN, "260px"),
                                                 _graph(ids.ID_SCALE, "260px"),
                                                 _graph(ids.PCA, "260px"),
                                                 _graph(ids.DECISION, "260px")]),
    ])


def z_marks(suggested: float | None) -> dict:
    """The slider's marks: whole Z values, and the suggested cut when known."""
    marks = {v: f"{v:g}" for v in (Z_MIN, 1.0, 2.0, 3.0, 4.0, Z_MAX)}
    if suggested is not None:
        marks[suggested] = {"label": f"suggested {suggested:g}",
                            "style": {"color": "#d62728", "whiteSpace": "nowrap"}}
    return marks


def hierarchy_panel() -> html.Div:
    """The whole panel (goes into the explorer's hierarchy slot)."""
    default = AnalysisParams()
    marks = z_marks(None)
    keep = {"persistence": True, "persistence_type": "local"}  # survives a reload
    return html.Div(className="hier-panel", children=[
        dcc.Store(id=ids.HIGHLIGHT), dcc.Store(id=ids.SELECTED), dcc.Store(id=ids.EDITING),
        dcc.Store(id=ids.NAMES_VERSION, data=0),
        dcc.Store(id=ids.Z_KEY, storage_type="local"),
        html.Div(className="hier-z", children=[
            html.Label("Z (merge significance) of the whole page: move to re-merge"),
            dcc.Slider(id=ids.Z_SLIDER, min=Z_MIN, max=Z_MAX, step=Z_STEP, value=default.z,
                       marks=marks, tooltip={"placement": "bottom"}, updatemode="mouseup",
                       **keep),
            dcc.Checklist(id=ids.HALO, options=[{"label": " mark halo images (drawn fainter: "
                                                          "near a border, below its saddle)",
                                                 "value": "halo"}],
                          value=["halo"] if default.halo else [], **keep),
            dcc.Loading(html.Div(id=ids.Z_SUMMARY, className="summary"), type="dot"),
            _graph(ids.Z_CURVE, f"{Z_CURVE_HEIGHT_PX}px"),  # the figure's own height
        ]),
        dcc.Loading(type="circle", delay_show=300, children=html.Div(
            className="hier-row", children=[
                html.Div([_graph(graph, "360px"), dcc.Tooltip(id=ids.tooltip(graph))])
                for graph in (ids.DENDROGRAM, ids.MDS, ids.HEATMAP)])),
        html.Div(className="hier-row", children=[
            html.Div(id=ids.CARD, className="hier-card-slot",
                     children="Click a cluster or a node to see its images."),
            html.Div(className="hier-side", children=[
                _naming_form(),
                html.Div(id=ids.LOST_NAMES),
                html.Div(className="buttons", children=[
                    html.Button("Export labelled names (.zip)", id=ids.EXPORT_BUTTON,
                                n_clicks=0, title="one zip: the per-image CSV, the tree CSV "
                                "and the run's .json")]),
                dcc.Download(id=ids.EXPORT_ZIP), _import_section(),
            ]),
        ]),
        _diagnostics(),
    ])
