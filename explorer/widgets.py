"""Small layout helpers shared by the panels: a labelled field, a number input and the
controls of a background job (button, Cancel, progress bar, status, error alert)."""

from __future__ import annotations

from dash import dcc, html


def field(label: str, component, *, hint: str = "", class_name: str = "") -> html.Div:
    return html.Div(className=f"field {class_name}".strip(), children=[
        html.Label(label), component, *([html.Div(hint, className="hint")] if hint else [])])


def number(id_: str, value, **more) -> dcc.Input:
    """A number box (``more``: e.g. persistence) that sends whatever number is typed.

    No browser-side min, max or step: the browser turns a value that breaks them into an
    empty one, which the server cannot tell from an empty box, so 1 typed as max k would
    silently become the default. The server checks each value with the parameters' own
    validation and says what is wrong next to the control."""
    return dcc.Input(id=id_, type="number", value=value, step="any", debounce=True,
                     className="number", **more)


def job_controls(button: html.Button | None, cancel_id: str, progress_id: str,
                 status_id: str, error_id: str) -> html.Div:
    return html.Div(className="job", children=[
        html.Div(className="buttons", children=[
            *([button] if button is not None else []),
            html.Button("Cancel", id=cancel_id, n_clicks=0, disabled=True)]),
        html.Progress(id=progress_id, value="0", max="1000"),
        html.Div(id=status_id, className="status"),
        html.Div(id=error_id, className="job-error", role="alert"),
    ])
