"""Callbacks: parse inputs, call compute (through :mod:`explorer.state`), return."""

from __future__ import annotations

from dash import Dash, Input, Output, State, html, no_update

from compute.pipeline import run_pipeline
from explorer import ids
from explorer.config import AppConfig
from explorer.figures import scatter_figure
from explorer.state import load_result, pipeline_config, run_key


def thumbnail_url(image_id: str) -> str:
    return f"/thumbnails/{image_id}.png"


def compute_job(set_progress, app_config: AppConfig, backbone: str, projection: str,
                dims: int) -> tuple[str, str]:
    """Background job: run the pipeline with a progress bar; return (run key, status)."""
    config = pipeline_config(app_config, backbone=backbone, projection=projection, dims=dims)
    result = run_pipeline(config, cache_dir=app_config.cache_dir,
                          progress=lambda done, total: set_progress((str(done), str(total))))
    return run_key(config), result.dataset.summary()


def scatter_for(app_config: AppConfig, key: str | None):
    if not key:
        return no_update
    result = load_result(app_config, key)
    return scatter_figure(result.projection.coords, result.labels,
                          title=f"{result.embeddings.backbone} / {result.projection.method}")


def point_row(event: dict | None) -> int | None:
    """The dataset row of the first point of a hover/click event (from ``customdata``)."""
    if not event or not event.get("points"):
        return None
    data = event["points"][0].get("customdata")
    return int(data[0] if isinstance(data, list) else data) if data is not None else None


def instance_card(app_config: AppConfig, key: str | None, event: dict | None, *, large: bool):
    row = point_row(event)
    if key is None or row is None:
        return None
    result = load_result(app_config, key)
    record = result.dataset.usable[row]
    size = 256 if large else 128
    return html.Div(className="instance-card", children=[
        html.Img(src=thumbnail_url(record.id), width=size, height=size,
                 className="thumb", alt=record.path),
        html.Div(record.label or "(unlabelled)", className="label"),
        html.Div(record.path, className="path"),
    ])


def register_callbacks(app: Dash, app_config: AppConfig) -> None:
    @app.callback(
        Output(ids.RUN_KEY, "data"), Output(ids.DATASET_SUMMARY, "children"),
        Input(ids.RUN_BUTTON, "n_clicks"),
        State(ids.SETTINGS_BACKBONE, "value"), State(ids.SETTINGS_PROJECTION, "value"),
        State(ids.SETTINGS_DIMS, "value"),
        background=True,
        progress=[Output(ids.PROGRESS, "value"), Output(ids.PROGRESS, "max")],
        running=[(Output(ids.RUN_BUTTON, "disabled"), True, False),
                 (Output(ids.CANCEL_BUTTON, "disabled"), False, True),
                 (Output(ids.STATUS, "children"), "computing...", "")],
        cancel=[Input(ids.CANCEL_BUTTON, "n_clicks")],
    )
    def _compute(set_progress, _clicks, backbone, projection, dims):
        return compute_job(set_progress, app_config, backbone, projection, dims)

    @app.callback(Output(ids.SCATTER, "figure"), Input(ids.RUN_KEY, "data"))
    def _scatter(key):
        return scatter_for(app_config, key)

    @app.callback(Output(ids.HOVER_TOOLTIP, "show"), Output(ids.HOVER_TOOLTIP, "bbox"),
                  Output(ids.HOVER_TOOLTIP, "children"),
                  Input(ids.SCATTER, "hoverData"), State(ids.RUN_KEY, "data"))
    def _hover(event, key):
        card = instance_card(app_config, key, event, large=False)
        if card is None:
            return False, no_update, no_update
        return True, event["points"][0].get("bbox"), card

    @app.callback(Output(ids.INSTANCE_PANEL, "children"),
                  Input(ids.SCATTER, "clickData"), State(ids.RUN_KEY, "data"),
                  prevent_initial_call=True)
    def _click(event, key):
        card = instance_card(app_config, key, event, large=True)
        return card if card is not None else no_update
