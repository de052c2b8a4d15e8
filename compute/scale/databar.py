"""SEM data bars: where the instrument's data bar is in a micrograph, wherever it is.

Most SEM instruments burn a "data bar" into the saved frame, with the scale bar,
magnification, voltage and date. It is not part of the sample, so it is kept out of the
network input (and handed to the scale-bar reader). Makers lay it out in three ways, and
:func:`detect_data_bar` looks for each, in this order:

``stripe`` / ``box``
    A flat panel: rows of one exact grey level (rendered, not imaged: detector noise makes
    long runs of one value rare in a micrograph) holding high-contrast text. Zeiss, Hitachi
    TM, TESCAN and JEOL draw a stripe along the bottom edge, often framed by a line and
    sometimes with picture rows below the frame; Philips/FEI XL30 draw a box floating
    inside the frame (``box``: narrower than the frame). The panel is the largest
    rectangle of background pixels (text enclosed by the background counts as inside)
    whose rows are at least :data:`PANEL_ROW_COVER` background-or-enclosed, with a
    straight top edge and text inside.
``overlay``
    No panel: text and a scale mark drawn in pure white (or black) over the picture
    (Hitachi SU series). Found as a row of equal, evenly spaced tick marks or a straight
    bar line, together with glyphs of one height, all at the extreme grey level in the
    bottom rows (:mod:`compute.scale.overlay`).

Only the bottom :data:`MAX_BAR_FRACTION` of the frame is searched; None means no bar (and
is the answer when in doubt). The box found is what the scan records, what the scale
reader reads and what :func:`crop_box_without_bar` cuts off before embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_IMAGE_SIDE = 64  # smaller images (e.g. 28x28 digits) never carry a data bar
MAX_BAR_FRACTION = 0.45  # the bar lies in this bottom fraction of the frame
LEVELS = 255  # intensities are put on a 0..255 scale by a percentile stretch
EXACT_TOLERANCE = 1  # "background" = within this many levels of the panel's value
COMPRESSED_TOLERANCE = 6  # ...or this many, for a JPEG panel when no exact one is found
COMPRESSED_MIN_BACKGROUND = 0.45  # ringing around dense text breaks its runs
MIN_RUN = 8  # ...in a horizontal run of at least this many pixels (noise makes short runs)
PANEL_ROW_COVER = 0.9  # a panel row is this much background or enclosed text
PANEL_MIN_BACKGROUND = 0.55  # ...and the panel as a whole at least this much background
PANEL_MIN_WIDTH = 0.25  # a panel spans at least this fraction of the frame width
FULL_WIDTH = 0.97  # a panel this wide is a stripe across the frame
INK_CONTRAST = 64  # an ink (text) pixel differs from the background by this many levels
JPEG_BLOCK = 8  # compression ringing reaches this many rows into the band
JPEG_TOLERANCE = 8  # ...and moves the background by up to this many levels
MAX_SEPARATOR_ROWS = 6  # uniform frame lines just above the panel belong to it
MAX_CANDIDATE_LEVELS = 3  # grey levels tried as a panel's background, commonest first
MAX_FLAT_PICTURE = 0.5  # a "picture" above the panel this flat is a drawing, not imaged
MIN_CONFIDENCE = 0.35
KINDS = ("stripe", "box", "overlay")


@dataclass(frozen=True)
class DataBar:
    """A data bar as a half-open pixel box: rows ``top:bottom``, columns ``left:right``.

    ``confidence`` in [0, 1] grows with how flat the panel is and how sharp its edge;
    ``kind`` is one of :data:`KINDS`.
    """

    top: int
    bottom: int
    left: int
    right: int
    confidence: float
    kind: str = "stripe"

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def box(self) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)``: Pillow's box order, as records store it."""
        return (self.left, self.top, self.right, self.bottom)


def detect_data_bar(gray: np.ndarray) -> DataBar | None:
    """Find the SEM data bar of ``gray``, or None if there is none.

    ``gray`` is a 2-D (H, W) intensity array of any numeric dtype (uint8, uint16, float;
    NaN counts as the minimum). A stripe's box spans the full width; rows
    ``bar.top:bar.bottom`` include frame lines drawn just above it.
    """
    x, offset = _quantised_bottom(gray)
    if x is None:
        return None
    bar = _find_panel(x, offset, int(np.asarray(gray).shape[0]))
    if bar is None:
        bar = _find_overlay(np.asarray(gray))
    return bar


def crop_box_without_bar(shape: tuple[int, ...], bar: DataBar | None) -> tuple[int, int, int, int]:
    """The PIL crop box ``(left, top, right, bottom)`` of the image without its data bar.

    ``shape`` is the array shape ``(H, W, ...)``. The picture kept is the full width above
    a bar in the lower half (rows below a bar there, e.g. under a floating box, are a thin
    sliver and are dropped too), or below a bar in the upper half; with no bar the box is
    the whole image. Raises ValueError for a bar outside the image.
    """
    H, W = int(shape[0]), int(shape[1])
    if bar is None:
        return (0, 0, W, H)
    if not (0 <= bar.top < bar.bottom <= H):
        raise ValueError(f"data bar rows {bar.top}:{bar.bottom} are not inside a {H}-row "
                         "image; pass a bar found by detect_data_bar on this image")
    if bar.top + bar.bottom >= H:  # centre in the lower half
        return (0, 0, W, bar.top)
    return (0, bar.bottom, W, H)


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


# ---------------------------------------------------------------------------- panels


def _find_panel(x: np.ndarray, offset: int, H: int) -> DataBar | None:
    """The best flat panel (stripe or box) in the quantised bottom rows ``x``."""
    rows, W = x.shape
    min_height = max(8, H // 50)
    min_area = int(PANEL_MIN_WIDTH * W * min_height * PANEL_MIN_BACKGROUND)
    best: tuple[float, DataBar] | None = None
    flat = _in_long_runs(np.abs(np.diff(x, axis=1)) <= EXACT_TOLERANCE, MIN_RUN - 1)
    # exact levels first; compressed (JPEG) panels only keep their level within a few
    for level, tolerance in _levels_and_tolerances(x, flat, min_area):
        if best is not None and best[1].confidence >= 0.6 and tolerance > EXACT_TOLERANCE:
            break  # a clean exact panel: no need to look at compressed levels
        found = _panel_of_level(x, level, min_height=min_height, tolerance=tolerance)
        if found is None:
            continue
        top, bottom, left, right, confidence = found
        if top > 0 and flat[:top].mean() > MAX_FLAT_PICTURE:
            continue  # a drawing or a binary mask, not a micrograph with a data bar
        top = _include_block_edge(x, top, level, left, right)
        top = _include_separator(x, top, left, right)
        kind = "stripe" if right - left >= FULL_WIDTH * W else "box"
        if kind == "stripe":
            left, right = 0, W
        bar = DataBar(top=top + offset, bottom=bottom + offset, left=left, right=right,
                      confidence=round(confidence, 3), kind=kind)
        score = confidence * (bottom - top) * (right - left)
        if best is None or score > best[0]:
            best = (score, bar)
    return best[1] if best else None


def _levels_and_tolerances(x: np.ndarray, flat: np.ndarray,
                           min_area: int) -> list[tuple[int, int]]:
    """(level, tolerance) pairs to try: the exact candidates, then the same levels with
    :data:`COMPRESSED_TOLERANCE` (tried only when no clean exact panel is found)."""
    levels = _candidate_levels(x, flat, min_area)
    return ([(v, EXACT_TOLERANCE) for v in levels]
            + [(v, COMPRESSED_TOLERANCE) for v in levels])


def _candidate_levels(x: np.ndarray, flat: np.ndarray, min_area: int) -> list[int]:
    """Grey levels that fill long horizontal runs (``flat``, (rows, W - 1) bool) over at
    least ``min_area`` pixels."""
    flat = x[:, 1:][flat]
    if flat.size < min_area:
        return []
    values, counts = np.unique(flat, return_counts=True)
    levels: list[int] = []
    for i in np.argsort(-counts):
        if counts[i] < min_area or len(levels) >= MAX_CANDIDATE_LEVELS:
            break
        if all(abs(int(values[i]) - v) > 2 * EXACT_TOLERANCE + 1 for v in levels):
            levels.append(int(values[i]))
    return levels


def _panel_of_level(x: np.ndarray, level: int, *, min_height: int,
                    tolerance: int = EXACT_TOLERANCE) -> tuple[int, int, int, int, float] | None:
    """(top, bottom, left, right, confidence) of the largest panel of background ``level``.

    Background pixels (in long runs) and everything they enclose (the text) form the
    panel's area; its rows are the longest block where that area covers
    :data:`PANEL_ROW_COVER` of a common column span.
    """
    from scipy import ndimage

    rows, W = x.shape
    exact = np.abs(x - level) <= tolerance
    near = _in_long_runs(exact)
    # thin background margins (a glyph two pixels from the panel's edge) still enclose text
    area = ndimage.binary_fill_holes(exact)
    labels, count = ndimage.label(area)
    best = None
    for slices in ndimage.find_objects(labels):
        if slices is None:
            continue
        rs, cs = slices
        if cs.stop - cs.start < PANEL_MIN_WIDTH * W or rs.stop - rs.start < min_height:
            continue
        own = area[rs, cs]  # a region cut off by marks touching the edge counts too
        # columns first (stray picture pixels of the same level widen the bounding box),
        # then the rows that cover them, then the columns of those rows
        cols = _panel_columns(own, max_gap=max(2, W // 100))
        if cols[1] - cols[0] < PANEL_MIN_WIDTH * W:
            continue
        full_rows = own[:, cols[0]:cols[1]].mean(axis=1) >= PANEL_ROW_COVER
        # a scale bar joined to the edge by its ticks is not enclosed either: bridge it
        block = _longest_true_run(_bridge_gaps(full_rows, max_gap=max(3, rows // 30)))
        if block[1] - block[0] < min_height:
            continue
        cols = _panel_columns(own[block[0]:block[1]], max_gap=max(2, W // 100))
        top, bottom = rs.start + block[0], rs.start + block[1]
        left, right = cs.start + cols[0], cs.start + cols[1]
        if right - left < PANEL_MIN_WIDTH * W:
            continue
        found = _judge_panel(x, near, level, top, bottom, left, right,
                             min_background=PANEL_MIN_BACKGROUND if tolerance <= EXACT_TOLERANCE
                             else COMPRESSED_MIN_BACKGROUND)
        if found is not None and (best is None or found * (bottom - top) * (right - left)
                                  > best[4] * (best[1] - best[0]) * (best[3] - best[2])):
            best = (top, bottom, left, right, found)
    return best


def _judge_panel(x: np.ndarray, near: np.ndarray, level: int, top: int, bottom: int,
                 left: int, right: int, *,
                 min_background: float = PANEL_MIN_BACKGROUND) -> float | None:
    """The confidence that rows ``top:bottom`` x columns ``left:right`` are a data panel:
    mostly background, text inside, a sharp top edge; None when they are not one."""
    background = float(near[top:bottom, left:right].mean())
    if background < min_background or background > 0.995:
        return None
    if not _has_text(x[top:bottom, left:right], level):
        return None
    if top == 0:
        return None  # it reaches above the searched rows: taller than any data bar
    above = near[max(0, top - 3):top, left:right].mean(axis=1)
    edge = 1.0 - float(above.min())
    confidence = background * edge
    return confidence if confidence >= MIN_CONFIDENCE else None


def _has_text(panel: np.ndarray, level: int) -> bool:
    """Ink on the panel shaped like text: a small share of high-contrast pixels in several
    rows, forming at least three glyph-sized components."""
    from scipy import ndimage

    ink = np.abs(panel - level) >= INK_CONTRAST
    share = float(ink.mean())
    if not (0.001 <= share <= 0.45) or ink.any(axis=1).sum() < 3:
        return False
    labels, count = ndimage.label(ink, structure=np.ones((3, 3), bool))
    height = panel.shape[0]
    glyphs = sum(1 for s in ndimage.find_objects(labels)
                 if 3 <= s[0].stop - s[0].start <= 0.9 * height
                 and s[1].stop - s[1].start <= 3 * (s[0].stop - s[0].start))
    return glyphs >= 3


def _panel_columns(own: np.ndarray, *, max_gap: int) -> tuple[int, int]:
    """(start, stop) of the widest block of columns that ``own`` (rows, cols) covers at
    least half-way; a mark touching the panel's edge is not enclosed, so narrow gaps of
    up to ``max_gap`` columns are bridged."""
    covered = own.mean(axis=0) >= 0.5
    return _longest_true_run(_bridge_gaps(covered, max_gap=max_gap))


def _bridge_gaps(mask: np.ndarray, *, max_gap: int) -> np.ndarray:
    """``mask`` (1-D bool) with runs of False no longer than ``max_gap`` between Trues set."""
    from scipy import ndimage

    closed = ndimage.binary_closing(mask, structure=np.ones(max_gap + 1, bool))
    return closed | mask


def _longest_true_run(mask: np.ndarray) -> tuple[int, int]:
    """(start, stop) of the longest run of True in a 1-D boolean array ((0, 0) if none)."""
    padded = np.concatenate(([False], np.asarray(mask, bool), [False])).astype(np.int8)
    diff = np.diff(padded)
    starts, stops = np.flatnonzero(diff == 1), np.flatnonzero(diff == -1)
    if starts.size == 0:
        return 0, 0
    best = int(np.argmax(stops - starts))
    return int(starts[best]), int(stops[best])


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


def _include_block_edge(x: np.ndarray, top: int, level: int, left: int, right: int) -> int:
    """Move ``top`` up over rows that are mostly near the background but lost long runs.

    JPEG ringing from the image above blurs the panel's first rows (one 8x8 block).
    """
    for _ in range(JPEG_BLOCK):
        if top == 0:
            break
        near = np.abs(x[top - 1, left:right] - level) <= JPEG_TOLERANCE
        if near.mean() < PANEL_MIN_BACKGROUND:
            break
        top -= 1
    return top


def _include_separator(x: np.ndarray, top: int, left: int, right: int) -> int:
    """Move ``top`` up over at most a few uniform rows (a frame line drawn above)."""
    for _ in range(MAX_SEPARATOR_ROWS):
        if top == 0:
            break
        row = x[top - 1, left:right]
        values, counts = np.unique(row, return_counts=True)
        mode = int(values[counts.argmax()])
        if (np.abs(row - mode) <= EXACT_TOLERANCE).mean() < 0.9:
            break
        top -= 1
    return top


def _find_overlay(gray: np.ndarray) -> DataBar | None:
    from compute.scale.overlay import overlay_marks

    marks = overlay_marks(gray)
    if marks is None:
        return None
    H, W = gray.shape
    return DataBar(top=marks.top, bottom=H, left=0, right=W, confidence=0.8, kind="overlay")
