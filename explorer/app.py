"""The app factory: a configured Dash app with its thumbnail route."""

from __future__ import annotations

import re

from dash import Dash
from flask import abort, send_from_directory

from explorer.callbacks import register_callbacks
from explorer.config import REPO_ROOT, AppConfig
from explorer.hierarchy import register_hierarchy_callbacks
from explorer.jobs import make_background_manager
from explorer.layout import build_layout

_THUMB_NAME = re.compile(r"^[0-9a-f]{32}\.png$")


def create_app(config: AppConfig | None = None) -> Dash:
    """Build the dashboard for ``config`` (the demo set by default)."""
    config = config or AppConfig()
    config.cache_dir.mkdir(parents=True, exist_ok=True)
    app = Dash(__name__, title="Topograph", assets_folder=str(REPO_ROOT / "assets"),
               background_callback_manager=make_background_manager(config.cache_dir))
    app.layout = build_layout(config)
    register_callbacks(app, config)
    register_hierarchy_callbacks(app, config)
    _add_thumbnail_route(app, config)
    return app


def _add_thumbnail_route(app: Dash, config: AppConfig) -> None:
    @app.server.route("/thumbnails/<name>")
    def thumbnail(name: str):
        # Names are content ids only: no path separators, no traversal.
        if not _THUMB_NAME.match(name):
            abort(404)
        return send_from_directory(config.thumbnail_dir, name, max_age=86400)
