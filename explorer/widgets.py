"""Small layout helpers shared by the panels: a labelled field, a number input and the
controls of a background job (button, Cancel, progress bar, status, error alert)."""

from __future__ import annotations

from dash import dcc, html


def field(label: str, component, *, hint: str = "", class_name: str = "") -> html.Div:
    return html.Div(className=f"field {class_name}".strip(), children=[
        html.Label(label), component, *([html.Div(hint, className="hint")] if hint else [])])


def number(id_: str, value, *, step, min_=None, max_=None, **more) -> dcc.Input:
    """A number box (``more``: e.g. persistence)."""
    return dcc.Input(id=id_, type="number", value=value, step=step, min=min_, max=max_,
                     debounce=True, className="number", **more)


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
