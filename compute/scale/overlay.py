"""Overlay data bars: text and a scale mark drawn over the picture, with no panel.

Hitachi's SU series writes its fields and a ruler of 11 ticks (10 divisions of the
labelled length) in pure white over the bottom rows of the picture; other instruments
draw a bar line the same way. The overlay's ink is the pixels at the extreme grey level
(grown into slightly softer neighbours for JPEG files); it is an overlay when that ink
holds a scale mark (a whole tick ruler, or a straight line) and a line of glyphs of one
height. :func:`compute.scale.databar.detect_data_bar` calls :func:`overlay_marks` when it
finds no panel; the scale reader reads the overlay's ink as a clean band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OVERLAY_FRACTION = 0.15  # an overlay's text and ticks lie in this bottom fraction
OVERLAY_EXTREME = 6  # overlay ink is within this many 8-bit levels of 0 or 255
OVERLAY_GROW = 56  # ...and ink grows from there into pixels this close to it (JPEG)
MIN_TICKS = 4  # a tick row has at least this many marks
TICK_DIVISIONS = (10,)  # rulers (Hitachi) divide the labelled length in 10: 11 marks


@dataclass(frozen=True)
class OverlayMarks:
    """What an overlay data bar is made of, in image pixels.

    ``ink`` is the (rows, W) boolean mask of the overlay's ink in rows ``top:top+rows``;
    ``ticks`` the (left, top, right, bottom) boxes of a tick row (empty when the scale mark
    is a bar line); ``bright`` whether the ink is white (else black).
    """

    top: int
    ink: np.ndarray
    ticks: tuple[tuple[int, int, int, int], ...]
    bright: bool


def overlay_marks(gray: np.ndarray) -> OverlayMarks | None:
    """The overlay data bar of ``gray`` (text and a tick row or bar line drawn at the
    extreme grey level over the bottom rows), or None when there is none."""
    arr = np.asarray(gray)
    H, W = arr.shape
    start = H - max(int(OVERLAY_FRACTION * H), 24)
    bottom = _to_uint8(arr[start:])
    for bright, grow in ((True, False), (True, True), (False, False), (False, True)):
        level = bottom if bright else 255 - bottom
        ink = _hysteresis(level) if grow else level >= 255 - OVERLAY_EXTREME
        found = _overlay_from_ink(ink)
        if found is not None:
            top, ticks = found
            shifted = tuple((a, b + start, c, d + start) for a, b, c, d in ticks)
            return OverlayMarks(top=start + top, ink=ink[top:], ticks=shifted, bright=bright)
    return None


def _hysteresis(level: np.ndarray) -> np.ndarray:
    """Ink of an overlay drawn at 255 in ``level`` (uint8): pixels within
    :data:`OVERLAY_EXTREME` of it, grown into connected pixels within :data:`OVERLAY_GROW`
    (compression softens a mark's edges and, in small marks, its core)."""
    from scipy import ndimage

    strong = level >= 255 - OVERLAY_EXTREME
    weak = level >= 255 - OVERLAY_GROW
    labels, count = ndimage.label(weak, structure=np.ones((3, 3), bool))
    if count == 0:
        return strong
    keep = np.zeros(count + 1, bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    return keep[labels]


def _to_uint8(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    from compute.ingest.decode import stretch_to_uint8

    return stretch_to_uint8(a, percentiles=(0.0, 100.0))


def _overlay_from_ink(ink: np.ndarray) -> tuple[int, tuple] | None:
    """(first row of the overlay, tick boxes) when ``ink`` holds a scale mark and a line of
    text; None otherwise."""
    from scipy import ndimage

    share = float(ink.mean())
    if share < 0.001 or share > 0.2:
        return None
    labels, count = ndimage.label(ink, structure=np.ones((3, 3), bool))
    boxes = [(s[1].start, s[0].start, s[1].stop, s[0].stop) for s in ndimage.find_objects(labels)]
    fills = ndimage.sum_labels(ink, labels, index=np.arange(1, count + 1))
    solid = [b for b, f in zip(boxes, fills, strict=True)
             if f >= 0.8 * (b[2] - b[0]) * (b[3] - b[1])]
    ticks = complete_tick_row(ink, tick_row(solid))
    lines = [b for b in solid if b[2] - b[0] >= 30 and b[2] - b[0] >= 6 * (b[3] - b[1])]
    if not ticks and not lines:
        return None
    text = _text_line(boxes)
    if text is None:
        return None
    mark = ticks or (max(lines, key=lambda b: b[2] - b[0]),)
    top = min(min(b[1] for b in mark), text[0])
    return max(0, top - 2), tuple(ticks)


def tick_row(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The longest row of equal, evenly spaced, upright marks among component boxes
    ``(left, top, right, bottom)``, left to right; [] when there are fewer than
    :data:`MIN_TICKS`."""
    marks = sorted((b for b in boxes if b[3] - b[1] >= 3 and b[3] - b[1] >= 1.5 * (b[2] - b[0])),
                   key=lambda b: b[0])
    best: list = []
    for i, first in enumerate(marks):
        same = [b for b in marks[i:] if abs(b[1] - first[1]) <= 1 and abs(b[3] - first[3]) <= 1
                and abs((b[2] - b[0]) - (first[2] - first[0])) <= 1]
        row = _evenly_spaced(same)
        if len(row) > len(best):
            best = row
    return best if len(best) >= MIN_TICKS else []


def complete_tick_row(ink: np.ndarray, ticks: list[tuple[int, int, int, int]]
                      ) -> list[tuple[int, int, int, int]]:
    """``ticks`` with the marks a bright picture merged into other components put back:
    every position one step further left or right (and between two found marks) where
    the tick's rectangle is ink and at least one side of it is not. [] for a row that
    then has a number of divisions rulers do not have (:data:`TICK_DIVISIONS`): part of
    a ruler would give a wrong length."""
    if len(ticks) < 2:
        return ticks
    width = int(round(np.median([b[2] - b[0] for b in ticks])))
    top, bottom = min(b[1] for b in ticks), max(b[3] for b in ticks)
    centres = [(b[0] + b[2]) / 2.0 for b in ticks]
    step = float(np.median(np.diff(centres)))
    first, last = centres[0], centres[-1]
    found = {round((c - first) / step): b for c, b in zip(centres, ticks, strict=True)}

    def mark_at(k: int) -> tuple[int, int, int, int] | None:
        left = int(round(first + k * step - width / 2.0))
        if left - width < 0 or left + 2 * width > ink.shape[1]:
            return None
        inside = ink[top:bottom, left:left + width].mean()
        beside = (ink[top:bottom, left - width:left].mean(),
                  ink[top:bottom, left + width:left + 2 * width].mean())
        return (left, top, left + width, bottom) if inside >= 0.8 and min(beside) < 0.5 \
            else None

    k = -1
    while (box := mark_at(k)) is not None:
        found[k], k = box, k - 1
    k = round((last - first) / step) + 1
    while (box := mark_at(k)) is not None:
        found[k], k = box, k + 1
    for k in range(min(found), max(found)):
        if k not in found and (box := mark_at(k)) is not None:
            found[k] = box
    row = [found[k] for k in sorted(found)]
    if len(row) - 1 not in TICK_DIVISIONS or len(found) != max(found) - min(found) + 1:
        return []
    return row


def _evenly_spaced(marks: list[tuple[int, int, int, int]]) -> list:
    """The longest run from ``marks[0]`` on whose centre spacing stays within 1.5 px."""
    if len(marks) < 2:
        return marks
    centres = [(b[0] + b[2]) / 2 for b in marks]
    best = marks[:1]
    for j in range(1, len(marks)):
        step = centres[j] - centres[0]
        if step < 3:
            continue
        row, expected = [marks[0]], centres[0] + step
        for b, c in zip(marks[j:], centres[j:], strict=True):
            if abs(c - expected) <= 1.5:
                row.append(b)
                expected = c + step
        if len(row) > len(best):
            best = row
    return best


def _text_line(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int] | None:
    """(top, bottom) rows of a line of at least four glyphs of one height sharing a
    baseline, or None."""
    glyphs = [b for b in boxes if 6 <= b[3] - b[1] <= 60 and b[2] - b[0] <= 2 * (b[3] - b[1])]
    for g in glyphs:
        height = g[3] - g[1]
        same = [b for b in glyphs if abs(b[3] - g[3]) <= 2 and abs((b[3] - b[1]) - height)
                <= max(2, 0.25 * height)]
        if len(same) >= 4:
            return min(b[1] for b in same), max(b[3] for b in same)
    return None
