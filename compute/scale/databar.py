"""SEM data bars: find the uniform band with text at the bottom of a micrograph.

Most SEM instruments burn a "data bar" into the saved frame: a band, typically 60-80 px
of a 1024x768 frame, on a flat dark or light background with the scale bar, magnification,
voltage and date written on it. It is not part of the sample, so it is kept out of the
network input (and handed to the scale-bar reader).

The detector looks for what a rendered band has and a micrograph does not: rows whose
pixels are mostly *exactly* one background value (detector noise makes that rare in an
image), a sharp upper edge, and some high-contrast "ink" (text, scale bar) on the band.
It scans only the bottom ``MAX_BAR_FRACTION`` of the frame and returns None when in doubt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_IMAGE_SIDE = 64  # smaller images (e.g. 28x28 digits) never carry a data bar
MAX_BAR_FRACTION = 0.4  # the band is at most this fraction of the frame height
LEVELS = 255  # intensities are put on a 0..255 scale by a percentile stretch
EXACT_TOLERANCE = 1  # "background" = within this many levels of the band's value
MIN_RUN = 8  # ...in a horizontal run of at least this many pixels (noise makes short runs)
BAR_ROW_MIN_BACKGROUND = 0.25  # a band row has at least this share of background in long runs
BAND_MIN_BACKGROUND = 0.6  # ...and the band as a whole at least this fraction
INK_CONTRAST = 64  # an ink (text) pixel differs from the background by this many levels
JPEG_BLOCK = 8  # compression ringing reaches this many rows into the band
JPEG_TOLERANCE = 8  # ...and moves the background by up to this many levels
MAX_SEPARATOR_ROWS = 4  # uniform separator lines just above the band belong to it
MIN_CONFIDENCE = 0.35


@dataclass(frozen=True)
class DataBar:
    """A data bar as a half-open pixel box: rows ``top:bottom``, columns ``left:right``.

    ``confidence`` in [0, 1] grows with how flat the band is and how different the image
    just above it is.
    """

    top: int
    bottom: int
    left: int
    right: int
    confidence: float

    @property
    def height(self) -> int:
        return self.bottom - self.top


def detect_data_bar(gray: np.ndarray) -> DataBar | None:
    """Find the SEM data bar at the bottom of ``gray``, or None if there is none.

    ``gray`` is a 2-D (H, W) intensity array of any numeric dtype (uint8, uint16, float;
    NaN counts as the minimum). The returned box spans the full width; rows
    ``bar.top:bar.bottom`` (``bottom == H``) include separator lines drawn just above it.
    """
    x, offset = _quantised_bottom(gray)
    if x is None:
        return None
    H, W = offset + x.shape[0], x.shape[1]
    region = x[-int(MAX_BAR_FRACTION * H):]
    background = _mode(region[-max(4, H // 32):])
    near = _in_long_runs(np.abs(region - background) <= EXACT_TOLERANCE)
    row_background = near.mean(axis=1)
    height = _band_height(row_background)
    min_height = max(8, H // 50)
    if height < min_height or height >= len(region):
        return None
    top = x.shape[0] - height
    band_near = near[-height:]
    if band_near.mean() < BAND_MIN_BACKGROUND or not _has_ink(x[top:], background):
        return None
    above = row_background[len(region) - height - min(16, len(region) - height):
                           len(region) - height]
    confidence = float(band_near.mean() * (1.0 - above.mean()))
    if confidence < MIN_CONFIDENCE:
        return None
    top = _include_block_edge(x, top, background)
    top = _include_separator(x, top) + offset
    return DataBar(top=top, bottom=H, left=0, right=W, confidence=round(confidence, 3))


def crop_box_without_bar(shape: tuple[int, ...], bar: DataBar | None) -> tuple[int, int, int, int]:
    """The PIL crop box ``(left, top, right, bottom)`` of the image without its data bar.

    ``shape`` is the array shape ``(H, W, ...)``. A bar at the bottom (or top) cuts the
    rows it covers; with no bar the box is the whole image.
    """
    H, W = int(shape[0]), int(shape[1])
    if bar is None:
        return (0, 0, W, H)
    if bar.bottom >= H and bar.top > 0:
        return (0, 0, W, bar.top)
    if bar.top <= 0 and bar.bottom < H:
        return (0, bar.bottom, W, H)
    raise ValueError(f"data bar rows {bar.top}:{bar.bottom} do not touch the top or bottom "
                     f"of a {H}-row image; pass a bar found by detect_data_bar")


def _quantised_bottom(gray: np.ndarray) -> tuple[np.ndarray | None, int]:
    """The bottom rows of ``gray`` on a 0..255 scale (int32) and the first row's index.

    The scale comes from the 0.5-99.5 percentiles (not min/max, so that a few hot pixels
    do not squeeze the image into a handful of levels); values outside are not clipped.
    Returns ``(None, 0)`` for images too small or flat to carry a bar.
    """
    arr = np.asarray(gray)
    if arr.ndim != 2:
        raise ValueError(f"detect_data_bar needs a 2-D grayscale array, got shape {arr.shape}; "
                         "convert colour images to grayscale first")
    H = arr.shape[0]
    if min(arr.shape) < MIN_IMAGE_SIDE:
        return None, 0
    sample = arr[::4, ::4].astype(np.float64)
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return None, 0
    lo, hi = np.percentile(sample, [0.5, 99.5])
    if hi <= lo:
        lo, hi = sample.min(), sample.max()
        if hi <= lo:
            return None, 0
    offset = max(0, H - int(MAX_BAR_FRACTION * H) - JPEG_BLOCK - MAX_SEPARATOR_ROWS)
    a = arr[offset:].astype(np.float64)
    a = np.where(np.isfinite(a), a, lo)
    return np.rint((a - lo) * (LEVELS / (hi - lo))).astype(np.int32), offset


def _mode(x: np.ndarray) -> int:
    values, counts = np.unique(x, return_counts=True)
    return int(values[counts.argmax()])


def _in_long_runs(mask: np.ndarray, run: int = MIN_RUN) -> np.ndarray:
    """``mask`` (H, W) bool kept only where it is part of a row run of ``run`` True pixels."""
    H, W = mask.shape
    if run > W:
        return np.zeros_like(mask)
    csum = np.zeros((H, W + 1), np.int32)
    np.cumsum(mask, axis=1, out=csum[:, 1:])
    full = (csum[:, run:] - csum[:, :-run]) == run  # window starting at column j is all True
    starts = np.zeros((H, W + 1), np.int32)
    np.cumsum(np.pad(full, ((0, 0), (0, run - 1))), axis=1, out=starts[:, 1:])
    # pixel j is covered if some full window starts in [j - run + 1, j]
    lo = np.maximum(np.arange(W) - run + 1, 0)
    return (starts[:, np.arange(W) + 1] - starts[:, lo]) > 0


def _band_height(row_background: np.ndarray) -> int:
    """Number of consecutive bar-like rows counted up from the last row."""
    not_bar = np.flatnonzero(row_background[::-1] < BAR_ROW_MIN_BACKGROUND)
    return int(not_bar[0]) if not_bar.size else len(row_background)


def _has_ink(band: np.ndarray, background: int) -> bool:
    """Text or a scale bar: a few rows with a small share of high-contrast pixels."""
    ink = np.abs(band - background) >= INK_CONTRAST
    share = ink.mean()
    return bool(0.001 <= share <= 0.5 and (ink.any(axis=1).sum() >= 3))


def _include_block_edge(x: np.ndarray, top: int, background: int) -> int:
    """Move ``top`` up over rows that are mostly near the background but lost long runs.

    JPEG ringing from the image above blurs the band's first rows (one 8x8 block).
    """
    for _ in range(JPEG_BLOCK):
        near = np.abs(x[top - 1] - background) <= JPEG_TOLERANCE if top > 0 else None
        if near is None or near.mean() < BAND_MIN_BACKGROUND:
            break
        top -= 1
    return top


def _include_separator(x: np.ndarray, top: int) -> int:
    """Move ``top`` up over at most a few uniform rows (a line drawn above the band)."""
    for _ in range(MAX_SEPARATOR_ROWS):
        if top == 0:
            break
        row = x[top - 1]
        if (np.abs(row - _mode(row)) <= EXACT_TOLERANCE).mean() < 0.9:
            break
        top -= 1
    return top
