"""Pure figure builders of the representation panel."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go


def png_data_uri(rgb: np.ndarray) -> str:
    """A ``data:image/png;base64,...`` URI of an (H, W, 3) uint8 image."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, format="PNG",
                                                                    optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def distance_heatmap_figure(rgb: np.ndarray, classes: tuple[str, ...],
                            boundaries: np.ndarray, *, pearson_r: float) -> go.Figure:
    """The label-sorted distance matrix as one PNG image, class names at the block centres.

    rgb: (n, n, 3) uint8 from :func:`compute.evaluation.quality.heatmap_rgb`; boundaries:
    (len(classes) + 1,) row offsets of the class blocks. A PNG (tens of kB) rather than a
    heatmap trace, whose n x n numbers would be megabytes of JSON.
    """
    centres = ((np.asarray(boundaries[:-1]) + np.asarray(boundaries[1:])) / 2).tolist()
    fig = go.Figure(go.Image(source=png_data_uri(rgb), hoverinfo="skip"))
    axis = {"tickvals": centres, "ticktext": list(classes), "showgrid": False}
    fig.update_layout(
        title={"text": f"distances sorted by label (dark = near); r = {pearson_r:.3f}",
               "font": {"size": 13}},
        xaxis={**axis, "tickangle": -45}, yaxis=axis, template="plotly_white",
        margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig
