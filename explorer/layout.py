"""The page: settings and job controls on the left, the latent space in the centre, the
selected image on the right."""

from __future__ import annotations

from dash import dcc, html

from compute.embed import BACKBONES
from compute.projection import METHODS
from explorer import ids
from explorer.figures import empty_figure


def _settings() -> html.Div:
    return html.Div(className="panel settings", children=[
        html.H2("Topograph"),
        html.Div(id=ids.DATASET_SUMMARY, className="summary"),
        html.Label("Backbone"),
        dcc.Dropdown(id=ids.SETTINGS_BACKBONE, options=sorted(BACKBONES), value="pixels",
                     clearable=False),
        html.Label("Projection"),
        dcc.Dropdown(id=ids.SETTINGS_PROJECTION, options=list(METHODS), value="pca",
                     clearable=False),
        dcc.RadioItems(id=ids.SETTINGS_DIMS, options=[{"label": "2-D", "value": 2},
                                                      {"label": "3-D", "value": 3}],
                       value=2, inline=True),
        html.Div(className="buttons", children=[
            html.Button("Compute", id=ids.RUN_BUTTON, n_clicks=0),
            html.Button("Cancel", id=ids.CANCEL_BUTTON, n_clicks=0),
        ]),
        html.Progress(id=ids.PROGRESS, value="0", max="1000"),
        html.Div(id=ids.STATUS, className="status"),
    ])


def build_layout() -> html.Div:
    return html.Div(className="page", children=[
        dcc.Store(id=ids.RUN_KEY),
        _settings(),
        html.Div(className="panel centre", children=[
            dcc.Graph(id=ids.SCATTER, figure=empty_figure("computing the embedding..."),
                      clear_on_unhover=True, style={"height": "85vh"}),
            dcc.Tooltip(id=ids.HOVER_TOOLTIP),
        ]),
        html.Div(id=ids.INSTANCE_PANEL, className="panel instance",
                 children=html.P("Click a point to see its image.")),
    ])
