"""The words around a background job's wait, in the browser: "starting..." the moment
its button is pressed, and "Cancelled" in its alert the moment Cancel is pressed (with
the bar back at zero: a cancelled job leaves no frozen bar). While it runs, the job's
:class:`explorer.jobs.progress.JobProgress` writes the bar and the status line; when it
ends, :func:`explorer.jobs.run_timed_job` writes "done in ..." or the failure."""

from __future__ import annotations

from dash import Dash, Input, Output

from explorer.jobs.progress import BAR_MAX

STARTING = "starting..."
CANCELLED = "Cancelled: the job was stopped; the page still shows the previous results."

_RESET_JS = """function (_value) { return [%r, "0", %r]; }"""


def register_job_feedback(app: Dash, *, start: Input, cancel_id: str, progress_id: str,
                          status_id: str, error_id: str, on_load: bool = False) -> None:
    """Two client-side callbacks: ``start`` (the job's trigger) clears the alert and says
    :data:`STARTING`; a click on ``cancel_id`` says :data:`CANCELLED` in the alert and
    resets the bar and the status line. ``on_load``: the job also runs when the page
    opens."""
    app.clientside_callback(
        _RESET_JS % (STARTING, ""),
        Output(status_id, "children", allow_duplicate=True),
        Output(progress_id, "value", allow_duplicate=True),
        Output(error_id, "children", allow_duplicate=True),
        start, prevent_initial_call="initial_duplicate" if on_load else True)
    app.clientside_callback(
        _RESET_JS % ("", CANCELLED),
        Output(status_id, "children", allow_duplicate=True),
        Output(progress_id, "value", allow_duplicate=True),
        Output(error_id, "children", allow_duplicate=True),
        Input(cancel_id, "n_clicks"), prevent_initial_call=True)


def job_progress_outputs(progress_id: str, status_id: str) -> list[Output]:
    """The ``progress=`` outputs of a job callback: the bar's value and max (out of
    :data:`explorer.jobs.progress.BAR_MAX`) and the status line."""
    return [Output(progress_id, "value"), Output(progress_id, "max"),
            Output(status_id, "children")]


__all__ = ["BAR_MAX", "CANCELLED", "STARTING", "job_progress_outputs", "register_job_feedback"]
