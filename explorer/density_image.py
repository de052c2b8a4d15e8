"""The density image of a large collection's map: what the scatter shows instead of one
WebGL trace of every point when the collection is large (numpy and Pillow only; no Dash).

A page of more than :attr:`explorer.config.AppConfig.density_image_above` images, drawn in
2-D, shows a server-drawn picture of its points (:func:`density_rgba`: each pixel the mean
colour of the points that fall in it, more opaque where more points fall), and the points
themselves only once the user has zoomed in to a window of at most :data:`POINTS_ON_ZOOM`
points (:func:`rows_in_window`). Those points carry their row numbers, so hover, click and
highlight still name image rows.
"""

from __future__ import annotations

import base64
import io

import numpy as np

#: The most points the zoomed-in scatter draws as markers: a zoom window holding more
#: shows the density image (software WebGL redraws ~10 000 points in about 0.1 s).
POINTS_ON_ZOOM = 10_000
#: Width and height, in pixels, of the density image (stretched over the plot area).
IMAGE_PIXELS = (640, 480)
#: Opacity of a pixel holding one point; the most crowded pixel is fully opaque.
FAINTEST_ALPHA = 0.35


def window_of(coords: np.ndarray, pad: float = 0.02) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the extent of ``coords`` (N, 2) widened by ``pad`` of its size on
    every side (what the overview shows). Remembered for the last arrays seen (the page's
    coordinates are one array per projection; a million rows take ~50 ms to scan)."""
    key = (id(coords), coords.shape, pad)
    known = _WINDOWS.get(key)
    if known is not None and known[0] is coords:
        return known[1]
    window = _extent(coords, pad)
    if len(_WINDOWS) >= 8:
        _WINDOWS.clear()
    _WINDOWS[key] = (coords, window)
    return window


_WINDOWS: dict[tuple, tuple[np.ndarray, tuple[float, float, float, float]]] = {}


def _extent(coords: np.ndarray, pad: float) -> tuple[float, float, float, float]:
    lo, hi = coords[:, :2].min(axis=0), coords[:, :2].max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad * span, hi + pad * span
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def in_window(coords: np.ndarray, window: tuple[float, float, float, float]) -> np.ndarray:
    """Bool (N,): the points of ``coords`` (N, 2) inside ``window`` (x0, x1, y0, y1; the
    bounds may come in either order, as Plotly's reversed axes give them)."""
    x0, x1, y0, y1 = window
    x, y = coords[:, 0], coords[:, 1]
    return ((x >= min(x0, x1)) & (x <= max(x0, x1)) & (y >= min(y0, y1))
            & (y <= max(y0, y1)))


def rows_in_window(coords: np.ndarray, window, limit: int = POINTS_ON_ZOOM) -> np.ndarray | None:
    """The rows (sorted int64) of ``coords`` (N, 2) inside ``window`` when there are at
    most ``limit`` of them, else None (the window is drawn as the density image). None
    for no window (the overview)."""
    if window is None:
        return None
    rows = np.flatnonzero(in_window(coords, window))
    return rows if len(rows) <= limit else None


def rgb_of(colours) -> np.ndarray:
    """(K, 3) uint8 from CSS colours '#rrggbb' or 'rgb(r, g, b)' / 'rgba(...)'."""
    out = np.zeros((len(colours), 3), dtype=np.uint8)
    for i, colour in enumerate(colours):
        text = colour.strip()
        if text.startswith("#"):
            out[i] = [int(text[j:j + 2], 16) for j in (1, 3, 5)]
        else:
            parts = text[text.index("(") + 1:text.index(")")].split(",")
            out[i] = [round(float(p)) for p in parts[:3]]
    return out


def density_rgba(coords: np.ndarray, rgb: np.ndarray, window, *,
                 weights: np.ndarray | None = None,
                 pixels: tuple[int, int] = IMAGE_PIXELS) -> np.ndarray:
    """The density image (H, W, 4) uint8 of the points ``coords`` (N, 2) over ``window``
    (x0, x1, y0, y1), row 0 at the top (largest y), ``pixels`` = (W, H).

    ``rgb`` (N, 3) uint8 is each point's colour; ``weights`` (N,) float >= 0 its share (0:
    not drawn, e.g. hidden; a halo point less than 1; None: all 1). A pixel's colour is
    the weighted mean colour of its points; its opacity grows with the log of their
    weight, from :data:`FAINTEST_ALPHA` for one point to 1 for the most crowded pixel
    (:func:`_alpha`).
    Points outside the window are not drawn."""
    width, height = pixels
    x0, x1, y0, y1 = (float(v) for v in window)
    weights = np.ones(len(coords), np.float64) if weights is None else np.asarray(weights, float)
    keep = in_window(coords, window) & (weights > 0)
    x, y, w = coords[keep, 0], coords[keep, 1], weights[keep]
    col = np.clip(((x - min(x0, x1)) / max(abs(x1 - x0), 1e-12) * width).astype(np.int64),
                  0, width - 1)
    row = np.clip(((max(y0, y1) - y) / max(abs(y1 - y0), 1e-12) * height).astype(np.int64),
                  0, height - 1)
    pixel = row * width + col
    total = np.bincount(pixel, weights=w, minlength=width * height)
    image = np.zeros((width * height, 4), dtype=np.uint8)
    filled = total > 0
    for channel in range(3):
        summed = np.bincount(pixel, weights=w * rgb[keep, channel], minlength=width * height)
        image[filled, channel] = np.round(summed[filled] / total[filled]).astype(np.uint8)
    if filled.any():
        image[filled, 3] = np.round(255 * _alpha(total[filled])).astype(np.uint8)
    return image.reshape(height, width, 4)


def _alpha(total: np.ndarray) -> np.ndarray:
    """Opacity in (0, 1] of pixels holding ``total`` (> 0) weight of points:
    ``FAINTEST_ALPHA`` times the weight up to one point, then growing with the log of the
    weight to 1 for the most crowded pixel."""
    crowd = np.log(np.maximum(total, 1.0)) / np.log(max(float(total.max()), 2.0))
    return np.clip(FAINTEST_ALPHA * np.minimum(total, 1.0) + (1 - FAINTEST_ALPHA) * crowd,
                   0.0, 1.0)


def png_data_uri(rgba: np.ndarray) -> str:
    """``rgba`` (H, W, 4) uint8 as a ``data:image/png;base64,...`` URI."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
