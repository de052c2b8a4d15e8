"""The app factory: a configured Dash app with its thumbnail route and security checks."""

from __future__ import annotations

from dash import Dash
from flask import abort, send_file

from explorer.callbacks import register_callbacks
from explorer.config import REPO_ROOT, AppConfig
from explorer.facets import register_facet_callbacks
from explorer.habits import register_habits
from explorer.help import register_help_route, with_help
from explorer.hierarchy import register_hierarchy_callbacks
from explorer.jobs import make_background_manager, show_callback_error
from explorer.layout import build_layout
from explorer.names_io import register_names_io_callbacks
from explorer.peak_images import register_peak_image_callbacks
from explorer.security import install_security
from explorer.serving import THUMBNAIL_MAX_AGE, THUMBNAIL_ROUTE, thumbnail_file
from explorer.signin import install_sign_in, register_sign_in_callbacks
from explorer.training import register_training_callbacks
from explorer.viewer import register_viewer


def create_app(config: AppConfig | None = None) -> Dash:
    """Build the dashboard for ``config`` (the demo set by default)."""
    config = config or AppConfig()
    config.cache_dir.mkdir(parents=True, exist_ok=True)
    _import_before_serving()
    jobs = make_background_manager(config.cache_dir, config.redis_url)
    app = Dash(__name__, title="Topograph", assets_folder=str(REPO_ROOT / "assets"),
               background_callback_manager=jobs,
               on_error=show_callback_error)
    app.layout = with_help(build_layout(config))
    register_callbacks(app, config)
    register_hierarchy_callbacks(app, config)
    register_training_callbacks(app, config)
    register_viewer(app, config)
    register_help_route(app)
    register_names_io_callbacks(app, config)
    register_facet_callbacks(app, config)
    register_peak_image_callbacks(app, config)
    register_habits(app)
    _add_thumbnail_route(app, config)
    install_security(app.server, bind_host=config.host)
    install_sign_in(app.server, config)
    register_sign_in_callbacks(app, config)
    return app


def _import_before_serving() -> None:
    """Plotly's JSON encoder looks for ``sys.modules["PIL.Image"]`` without importing it;
    a request thread that encodes a figure while another thread imports Pillow sees a
    half-imported module and fails (an HTTP 500 seen in the load test). Imported here,
    before the first request, it is never half-imported."""
    import PIL.Image  # noqa: F401


def _add_thumbnail_route(app: Dash, config: AppConfig) -> None:
    @app.server.route(THUMBNAIL_ROUTE)
    def thumbnail(name: str):
        path = thumbnail_file(config.thumbnail_dir, name)  # content ids only, see serving
        if path is None:
            abort(404)
        return send_file(path, mimetype="image/png", max_age=THUMBNAIL_MAX_AGE)

    @app.server.route("/thumbnails/<path:_anything>")
    def not_a_thumbnail(_anything: str):
        abort(404)  # a name with a separator in it, not Dash's page for unknown paths
