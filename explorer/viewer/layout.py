"""The viewer as a Dash component: a modal over the page with one or two image panes."""

from __future__ import annotations

from dash import dcc, html

from explorer.figures import empty_figure
from explorer.viewer import ids

GRAPH_CONFIG = {"scrollZoom": True, "displaylogo": False, "doubleClick": "reset",
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d",
                                           "toggleSpikelines"]}
HINT = ("Scroll to zoom, drag to pan, double-click to fit. Keep an image for comparison, "
        "then open another: they show side by side. Esc closes.")


def _pane(graph_id: str, meta_id: str, *, class_name: str) -> list:
    return [dcc.Graph(id=graph_id, figure=empty_figure(""), config=GRAPH_CONFIG,
                      className=f"viewer-graph {class_name}"),
            html.Div(id=meta_id, className="viewer-meta-slot")]


def viewer_modal() -> html.Div:
    """The viewer (hidden until an image is opened) and its two stores."""
    return html.Div(children=[
        dcc.Store(id=ids.REQUEST, data=None), dcc.Store(id=ids.PINNED, data=None),
        html.Div(id=ids.VIEWER, className="viewer", role="dialog",
                 **{"aria-modal": "true", "aria-label": "image viewer"}, children=[
            html.Div(className="viewer-box", children=[
                html.Div(className="viewer-head", children=[
                    html.H3(id=ids.TITLE, className="viewer-title"),
                    dcc.Checklist(id=ids.OPTIONS, inline=True,
                                  value=[ids.SCALE_BAR, ids.LINK_ZOOM],
                                  persistence=True, persistence_type="local", options=[
                                      {"label": " scale bar", "value": ids.SCALE_BAR},
                                      {"label": " data bar", "value": ids.DATA_BAR},
                                      {"label": " linked zoom", "value": ids.LINK_ZOOM}]),
                    html.Button("Keep for comparison", id=ids.PIN, n_clicks=0,
                                title="show this image beside the next one you open"),
                    html.Button("Clear comparison", id=ids.UNPIN, n_clicks=0),
                    html.Button("×", id=ids.CLOSE, n_clicks=0, className="viewer-close",
                                title="close (Esc)"),
                ]),
                html.Div(className="viewer-panes", children=[
                    html.Div(className="viewer-pane", children=_pane(
                        ids.MAIN, ids.MAIN_META, class_name="main")),
                    html.Div(id=ids.COMPARE_PANE, className="viewer-pane", hidden=True,
                             children=_pane(ids.COMPARE, ids.COMPARE_META,
                                            class_name="compare")),
                ]),
                html.Div(HINT, className="hint"),
            ]),
        ]),
    ])
