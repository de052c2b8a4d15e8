"""Representative images on the map: each cluster's peak image (its densest member) drawn
at the peak's position as a Plotly layout image, so the overview needs no hovering.

Images never cover each other: the largest clusters are placed first and an image is left
out where it would overlap one already placed; zooming in (a new axis range) makes room,
so more appear. Only in 2-D (Plotly draws layout images on 2-D axes).
"""

from __future__ import annotations

import numpy as np
from dash import Dash, Input, Output, Patch, State, dcc, no_update

from explorer import ids
from explorer.config import AppConfig
from explorer.serving import thumbnail_url

IMAGE_FRACTION = 0.09  # an image's side as a fraction of the shown axis range
SHOW_PEAKS = "show-peak-images"


def visible_range(coords: np.ndarray, relayout: dict | None) -> tuple[tuple, tuple]:
    """((x0, x1), (y0, y1)) shown: the zoomed range from Plotly's ``relayoutData``, else the
    data's extent with a margin."""
    relayout = relayout or {}
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = (hi - lo) * 0.05 + 1e-9
    x = (relayout.get("xaxis.range[0]", lo[0] - pad[0]),
         relayout.get("xaxis.range[1]", hi[0] + pad[0]))
    y = (relayout.get("yaxis.range[0]", lo[1] - pad[1]),
         relayout.get("yaxis.range[1]", hi[1] + pad[1]))
    if relayout.get("xaxis.autorange") or relayout.get("autosize"):
        x = (lo[0] - pad[0], hi[0] + pad[0])
        y = (lo[1] - pad[1], hi[1] + pad[1])
    return (float(min(x)), float(max(x))), (float(min(y)), float(max(y)))


def placed_peaks(peaks_xy: np.ndarray, populations: np.ndarray, *, x_range, y_range,
                 fraction: float = IMAGE_FRACTION) -> list[int]:
    """Which peaks (rows of ``peaks_xy`` (K, 2)) get an image: inside the shown range,
    largest ``populations`` first, none overlapping another (boxes of ``fraction`` of each
    axis' range)."""
    w = fraction * (x_range[1] - x_range[0])
    h = fraction * (y_range[1] - y_range[0])
    placed: list[int] = []
    for k in np.argsort(-np.asarray(populations), kind="stable"):
        x, y = peaks_xy[k]
        if not (x_range[0] <= x <= x_range[1] and y_range[0] <= y <= y_range[1]):
            continue
        if all(abs(x - peaks_xy[j, 0]) >= w or abs(y - peaks_xy[j, 1]) >= h for j in placed):
            placed.append(int(k))
    return placed


def layout_images(peaks_xy: np.ndarray, image_ids, placed: list[int], *, x_range, y_range,
                  fraction: float = IMAGE_FRACTION) -> list[dict]:
    """Plotly ``layout.images`` for the ``placed`` peaks (thumbnails by URL)."""
    w = fraction * (x_range[1] - x_range[0])
    h = fraction * (y_range[1] - y_range[0])
    return [{"source": thumbnail_url(image_ids[k]), "xref": "x", "yref": "y",
             "x": float(peaks_xy[k, 0]), "y": float(peaks_xy[k, 1]), "sizex": w, "sizey": h,
             "xanchor": "center", "yanchor": "middle", "sizing": "contain", "layer": "above",
             "opacity": 0.95} for k in placed]


def peak_images_view(config: AppConfig, pkey: str | None, view, relayout: dict | None,
                     show: bool) -> Patch:
    """A Patch of the scatter's ``layout.images``: the peak images that fit at this zoom
    (none on a density map: its one layout image is the map)."""
    from explorer.density_view import dense_map
    from explorer.state import load_coords, load_run, parse_projection_key

    if pkey and dense_map(config, pkey, None) is not None:
        return no_update  # a density map's layout image is its map (explorer.density_view)
    patch = Patch()
    if not pkey or not show or view is None:
        patch["layout"]["images"] = []
        return patch
    akey, params = parse_projection_key(pkey)
    if params.n_components != 2:
        patch["layout"]["images"] = []
        return patch
    coords = np.asarray(load_coords(config, pkey))
    clustering = load_run(config, akey, view).clustering
    peaks_xy = coords[np.asarray(clustering.peak_rows, dtype=np.int64)]
    populations = np.bincount(clustering.labels, minlength=clustering.n_clusters)
    x_range, y_range = visible_range(coords, relayout)
    placed = placed_peaks(peaks_xy, populations, x_range=x_range, y_range=y_range)
    peak_ids = [clustering.ids[int(r)] for r in clustering.peak_rows]
    patch["layout"]["images"] = layout_images(peaks_xy, peak_ids, placed, x_range=x_range,
                                              y_range=y_range)
    return patch


def peak_images_toggle() -> dcc.Checklist:
    return dcc.Checklist(id=SHOW_PEAKS, value=["show"], className="peak-toggle",
                         options=[{"label": " peak images on the map", "value": "show"}],
                         persistence=True, persistence_type="local")


def register_peak_image_callbacks(app: Dash, config: AppConfig) -> None:
    # The legend state comes back with every new figure: the images are patched onto it,
    # never before it (a patch sent before the figure would be lost).
    @app.callback(Output(ids.SCATTER, "figure", allow_duplicate=True),
                  Input(ids.LEGEND_STATE, "data"), Input(ids.VIEW, "data"),
                  Input(ids.SCATTER, "relayoutData"), Input(SHOW_PEAKS, "value"),
                  State(ids.PROJECTION_KEY, "data"), prevent_initial_call=True)
    def _peak_images(_legend, view, relayout, show, pkey):
        if relayout and not any(k.startswith(("xaxis", "yaxis", "autosize")) for k in relayout):
            return no_update  # a lasso or a drag mode change, not a zoom
        return peak_images_view(config, pkey, view, relayout, bool(show))
