"""Pure figure builders: arrays in, ``plotly.graph_objects.Figure`` out. No Dash here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

UNLABELLED = "(unlabelled)"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39")


def scatter_figure(coords: np.ndarray, groups: Sequence[str | None], *,
                   title: str = "", marker_size: float = 4.0, opacity: float = 0.8) -> go.Figure:
    """One WebGL trace per group so the legend toggles classes.

    ``coords`` is (N, 2) or (N, 3); ``groups[i]`` is the colour group of row i (None ->
    unlabelled). Each point carries its row index in ``customdata``, which is what
    callbacks read back from hover, click and selection events. ``customdata`` is sent
    as a plain list: Dash's event filter cannot index Plotly's base64 typed arrays, so a
    NumPy ``customdata`` would vanish from hoverData.
    """
    coords = np.asarray(coords)
    if coords.ndim != 2 or coords.shape[1] not in (2, 3) or len(coords) != len(groups):
        raise ValueError(f"coords must be (N, 2|3) with N = len(groups); got {coords.shape} "
                         f"and {len(groups)} groups")
    names = np.array([UNLABELLED if g is None else str(g) for g in groups], dtype=object)
    order = sorted(set(names), key=lambda n: (n == UNLABELLED, n))
    fig = go.Figure()
    for i, name in enumerate(order):
        rows = np.flatnonzero(names == name)
        customdata = rows.tolist()
        color = "#c7c7c7" if name == UNLABELLED else PALETTE[i % len(PALETTE)]
        marker = {"size": marker_size, "color": color, "opacity": opacity}
        if coords.shape[1] == 2:
            trace = go.Scattergl(x=coords[rows, 0], y=coords[rows, 1], mode="markers",
                                 name=name, customdata=customdata, marker=marker, hoverinfo="none")
        else:
            trace = go.Scatter3d(x=coords[rows, 0], y=coords[rows, 1], z=coords[rows, 2],
                                 mode="markers", name=name, customdata=customdata,
                                 marker={**marker, "size": marker_size * 0.6},
                                 hoverinfo="none")
        fig.add_trace(trace)
    fig.update_layout(title=title or None, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"itemsizing": "constant"}, dragmode="lasso",
                      uirevision="scatter", template="plotly_white")
    return fig


def empty_figure(message: str) -> go.Figure:
    """A blank figure with a centred message (before the first run, or on error)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper",
                       yref="paper", font={"size": 16})
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False},
                      template="plotly_white")
    return fig
