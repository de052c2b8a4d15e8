"""The viewer's callbacks and its file route (thin: see :mod:`explorer.viewer.views`)."""

from __future__ import annotations

from dash import Dash, Input, Output, State
from flask import abort, send_file

from explorer import ids as page_ids
from explorer.config import AppConfig
from explorer.serving import FULL_IMAGE_ROUTE, THUMBNAIL_MAX_AGE
from explorer.viewer import ids
from explorer.viewer.views import full_image_file, viewer_view

OPEN_CLASS_JS = "(request) => request ? 'viewer open' : 'viewer'"
PIN_JS = "(_clicks, request) => request ? request.id : null"
PIN_LABEL_JS = "(pinned) => pinned ? 'Kept for comparison \u2713' : 'Keep for comparison'"


def register_viewer(app: Dash, config: AppConfig) -> None:
    """The viewer's callbacks and the ``/images/<id>.png`` route."""
    app.clientside_callback(OPEN_CLASS_JS, Output(ids.VIEWER, "className"),
                            Input(ids.REQUEST, "data"))
    app.clientside_callback(PIN_JS, Output(ids.PINNED, "data"), Input(ids.PIN, "n_clicks"),
                            State(ids.REQUEST, "data"), prevent_initial_call=True)
    app.clientside_callback("() => null", Output(ids.PINNED, "data", allow_duplicate=True),
                            Input(ids.UNPIN, "n_clicks"), prevent_initial_call=True)
    app.clientside_callback(PIN_LABEL_JS, Output(ids.PIN, "children"),  # the kept one is told
                            Input(ids.PINNED, "data"), prevent_initial_call=True)
    app.clientside_callback("() => null", Output(ids.REQUEST, "data", allow_duplicate=True),
                            Input(ids.CLOSE, "n_clicks"), prevent_initial_call=True)

    @app.callback(Output(ids.TITLE, "children"), Output(ids.MAIN, "figure"),
                  Output(ids.MAIN_META, "children"), Output(ids.COMPARE, "figure"),
                  Output(ids.COMPARE_META, "children"), Output(ids.COMPARE_PANE, "hidden"),
                  Input(ids.REQUEST, "data"), Input(ids.OPTIONS, "value"),
                  Input(ids.PINNED, "data"), State(page_ids.PROJECTION_KEY, "data"),
                  State(page_ids.VIEW, "data"), prevent_initial_call=True)
    def _view(request, options, pinned, pkey, view):
        return viewer_view(config, pkey, request, pinned, options, view)

    @app.server.route(FULL_IMAGE_ROUTE)
    def full_image(name: str):
        path = full_image_file(config, name)  # ids of the loaded analysis only
        if path is None:
            abort(404)
        return send_file(path, mimetype="image/png", max_age=THUMBNAIL_MAX_AGE)

    @app.server.route("/images/<path:_anything>")
    def not_an_image(_anything: str):
        abort(404)
