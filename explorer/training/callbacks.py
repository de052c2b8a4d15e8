"""The representation panel's callbacks: the training job, the Weights and Start menus,
and the quality-report job."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from explorer import ids as explorer_ids
from explorer.config import AppConfig
from explorer.jobs import run_timed_job
from explorer.jobs.feedback import job_progress_outputs, register_job_feedback
from explorer.training import ids
from explorer.training.views import (
    backbone_of_weights,
    compare_job,
    quality_job,
    train_job,
    weights_menus,
)

_RUNNING_TRAINING = [(Output(ids.BUTTON, "disabled"), True, False),
                     (Output(ids.CANCEL, "disabled"), False, True)]
_RUNNING_QUALITY = [(Output(ids.QUALITY_BUTTON, "disabled"), True, False),
                    (Output(ids.QUALITY_CANCEL, "disabled"), False, True)]
_RUNNING_COMPARE = [(Output(ids.COMPARE_BUTTON, "disabled"), True, False),
                    (Output(ids.COMPARE_CANCEL, "disabled"), False, True)]


def register_training_callbacks(app: Dash, config: AppConfig) -> None:
    @app.callback(
        Output(ids.TRAINED, "data"), Output(ids.RESULT, "children"),
        Output(ids.STATUS, "children", allow_duplicate=True),
        Output(ids.ERROR, "children", allow_duplicate=True),
        Input(ids.BUTTON, "n_clicks"), State(ids.STRATEGY, "value"), State(ids.BACKBONE, "value"),
        State(ids.START, "value"), State(ids.EPOCHS, "value"), State(ids.BATCH_SIZE, "value"),
        State(ids.INPUT_SIZE, "value"), State(ids.LEARNING_RATE, "value"),
        background=True, running=_RUNNING_TRAINING, prevent_initial_call=True,
        progress=job_progress_outputs(ids.PROGRESS, ids.STATUS),
        cancel=[Input(ids.CANCEL, "n_clicks")],
    )
    def _train(set_progress, _clicks, strategy, backbone, start, epochs, batch_size, input_size,
               lr):
        return run_timed_job(lambda: train_job(set_progress, config, strategy=strategy,
                                               backbone=backbone, start=start, epochs=epochs,
                                               batch_size=batch_size, input_size=input_size,
                                               lr=lr),
                             task="The training", n_outputs=2)

    register_job_feedback(app, start=Input(ids.BUTTON, "n_clicks"), cancel_id=ids.CANCEL,
                          progress_id=ids.PROGRESS, status_id=ids.STATUS, error_id=ids.ERROR)

    # On page load and after each run: the trained weights on the server, newest first.
    @app.callback(
        Output(explorer_ids.SETTINGS_WEIGHTS, "options"),
        Output(explorer_ids.SETTINGS_WEIGHTS, "value"),
        Output(ids.START, "options"), Output(ids.START, "value"),
        Input(ids.TRAINED, "data"), State(explorer_ids.SETTINGS_WEIGHTS, "value"),
        State(ids.START, "value"))
    def _menus(trained, current, start):
        return weights_menus(config, trained, current, start)

    @app.callback(Output(explorer_ids.SETTINGS_BACKBONE, "value"),
                  Input(explorer_ids.SETTINGS_WEIGHTS, "value"), prevent_initial_call=True)
    def _backbone(name):
        return backbone_of_weights(config, name)

    @app.callback(
        Output(ids.QUALITY_SUMMARY, "children"), Output(ids.QUALITY_HEATMAP, "figure"),
        Output(ids.QUALITY_STATUS, "children", allow_duplicate=True),
        Output(ids.QUALITY_ERROR, "children", allow_duplicate=True),
        Input(ids.QUALITY_BUTTON, "n_clicks"),
        State(explorer_ids.RUN_KEY, "data"), State(explorer_ids.VIEW, "data"),
        background=True, running=_RUNNING_QUALITY, prevent_initial_call=True,
        progress=job_progress_outputs(ids.QUALITY_PROGRESS, ids.QUALITY_STATUS),
        cancel=[Input(ids.QUALITY_CANCEL, "n_clicks")],
    )
    def _quality(set_progress, _clicks, key, view):
        return run_timed_job(lambda: quality_job(set_progress, config, key, view),
                             task="The quality report", n_outputs=2)

    register_job_feedback(app, start=Input(ids.QUALITY_BUTTON, "n_clicks"),
                          cancel_id=ids.QUALITY_CANCEL, progress_id=ids.QUALITY_PROGRESS,
                          status_id=ids.QUALITY_STATUS, error_id=ids.QUALITY_ERROR)

    @app.callback(
        Output(ids.COMPARE_RESULT, "children"),
        Output(ids.COMPARE_STATUS, "children", allow_duplicate=True),
        Output(ids.COMPARE_ERROR, "children", allow_duplicate=True),
        Input(ids.COMPARE_BUTTON, "n_clicks"), State(explorer_ids.RUN_KEY, "data"),
        State(explorer_ids.VIEW, "data"),
        background=True, running=_RUNNING_COMPARE, prevent_initial_call=True,
        progress=job_progress_outputs(ids.COMPARE_PROGRESS, ids.COMPARE_STATUS),
        cancel=[Input(ids.COMPARE_CANCEL, "n_clicks")],
    )
    def _compare(set_progress, _clicks, key, view):
        return run_timed_job(lambda: (compare_job(set_progress, config, key, view),),
                             task="The comparison", n_outputs=1)

    register_job_feedback(app, start=Input(ids.COMPARE_BUTTON, "n_clicks"),
                          cancel_id=ids.COMPARE_CANCEL, progress_id=ids.COMPARE_PROGRESS,
                          status_id=ids.COMPARE_STATUS, error_id=ids.COMPARE_ERROR)
