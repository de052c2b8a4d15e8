"""Pure figure builders of the viewer: an image at full resolution with a scale bar.

The image is a Plotly layout image in data coordinates (x to the right, y downwards, one
unit = one image pixel), so scroll-zoom and pan work on it and the scale bar, drawn in the
same coordinates, keeps its true length at every zoom.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from compute.scale.groups import bar_length_for_field

BAR_COLOUR, BAR_EDGE = "#ffffff", "#000000"
BAR_THICKNESS = 0.012   # of the image height
BAR_MARGIN = 0.03       # of the image width, from the picture's lower left corner
_UNITS = ((1e6, "mm"), (1e3, "µm"), (1.0, "nm"))


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar of a round length: ``length_nm`` nanometres = ``length_px`` pixels."""

    length_nm: float
    length_px: float
    label: str


def length_label(length_nm: float) -> str:
    """``500 nm``, ``2 µm``, ``1.5 mm``: a length in the largest unit that keeps it >= 1."""
    for factor, unit in _UNITS:
        if length_nm >= factor:
            return f"{length_nm / factor:g} {unit}"
    return f"{length_nm:g} nm"


def scale_bar(nm_per_pixel: float | None, width_px: int) -> ScaleBar | None:
    """The bar an instrument would draw on an image ``width_px`` wide at ``nm_per_pixel``:
    the largest 1-2-5 length within a fifth of the field of view
    (:func:`compute.scale.groups.bar_length_for_field`). None without a pixel size."""
    if nm_per_pixel is None or not nm_per_pixel > 0 or width_px < 1:
        return None
    length_nm = bar_length_for_field(nm_per_pixel * width_px)
    return ScaleBar(length_nm=length_nm, length_px=length_nm / nm_per_pixel,
                    label=length_label(length_nm))


def image_figure(url: str, width: int, height: int, *, bar: ScaleBar | None = None,
                 picture: tuple[int, int, int, int] | None = None) -> go.Figure:
    """The image at ``url`` (``width`` x ``height`` px) filling the figure, aspect kept.

    ``bar``: drawn at the lower left of ``picture`` (left, top, right, bottom in image
    pixels: the part above a data bar; default the whole image), with its label above it.
    """
    fig = go.Figure(layout=go.Layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, dragmode="pan", showlegend=False,
        plot_bgcolor="#111", paper_bgcolor="#111", uirevision=url,
        xaxis={"range": [0, width], "visible": False, "constrain": "domain"},
        yaxis={"range": [height, 0], "visible": False, "scaleanchor": "x",
               "constrain": "domain"}))
    fig.add_layout_image(source=url, xref="x", yref="y", x=0, y=0, sizex=width,
                         sizey=height, xanchor="left", yanchor="top", sizing="stretch",
                         layer="below", name="image")
    # invisible corners: the axes know the image's extent (double-click fits it again)
    fig.add_trace(go.Scatter(x=[0, width], y=[0, height], mode="markers", hoverinfo="skip",
                             marker={"opacity": 0}, name="extent"))
    if bar is not None:
        _draw_bar(fig, bar, picture or (0, 0, width, height))
    return fig


def _draw_bar(fig: go.Figure, bar: ScaleBar, picture: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = picture
    thick = max(2.0, BAR_THICKNESS * (bottom - top))
    x0 = left + BAR_MARGIN * (right - left)
    y1 = bottom - BAR_MARGIN * (right - left)
    fig.add_shape(type="rect", x0=x0, x1=x0 + bar.length_px, y0=y1 - thick, y1=y1,
                  xref="x", yref="y", fillcolor=BAR_COLOUR, line={"color": BAR_EDGE, "width": 1},
                  name="scale bar")
    fig.add_annotation(x=x0 + bar.length_px / 2, y=y1 - thick, xref="x", yref="y",
                       text=bar.label, showarrow=False, yanchor="bottom",
                       font={"color": BAR_COLOUR, "size": 14}, bgcolor="rgba(0,0,0,0.55)",
                       name="scale bar label")
