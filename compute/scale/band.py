"""Geometry of an instrument data bar: its ink, the scale-bar segment, the label's place.

Everything here works on the band alone: a 2-D grayscale crop of the data bar, as
``uint8``/``uint16`` (scaled by the dtype's maximum) or float in ``[0, 1]``. Coordinates
are band pixels, ``(row, column)`` with exclusive ``bottom``/``right`` ends.

The band's background is its most common grey level; ink is every pixel far from it
(bright text on a dark bar or dark text on a light one). The scale bar is the ink
component with the longest straight horizontal run whose pixels lie mostly in that run
(end ticks allowed): letters, '=' signs and frames fail one of those tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_INK_CONTRAST = 0.12  # in [0, 1] grey units: weaker marks are noise, not ink
BESIDE_GAP_HEIGHTS = 8.0  # a label beside its bar is at most this many text heights away
LABEL_MAX_HEIGHTS = 7.0  # a label ("500 nm", "10.0 um") is at most this many heights wide
INK_FRACTION = 0.3  # ink differs from the background by this fraction of the strongest ink


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in band pixels; ``bottom`` and ``right`` are exclusive."""

    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def union(self, other: Box) -> Box:
        return Box(min(self.top, other.top), max(self.bottom, other.bottom),
                   min(self.left, other.left), max(self.right, other.right))


@dataclass(frozen=True)
class BandInk:
    """The ink of a band: mask, connected components and grey levels.

    ``gray`` is the band as float32 in [0, 1], shape (H, W); ``mask`` the ink pixels;
    ``components`` one :class:`Box` per 8-connected ink component (``labels`` holds their
    1-based indices); ``text_height`` the median height of glyph-like components (px).
    """

    gray: np.ndarray
    mask: np.ndarray
    labels: np.ndarray
    components: tuple[Box, ...]
    background: float
    ink: float
    text_height: float


@dataclass(frozen=True)
class ScaleBarSegment:
    """The scale-bar segment found in a band.

    ``length_px`` is the length the label stands for, in pixels: from the centre of one
    end tick to the centre of the other when the bar has end ticks (as Zeiss, FEI and
    Philips draw them, straddling the ends), else the horizontal extent of the line
    (sub-pixel: anti-aliased ends count by their ink fraction), or from the first to the
    last mark of a tick row. ``uncertainty_px`` is how far off that can be. ``box`` is its
    bounding box (ticks included); ``thickness_px`` the height of the straight part;
    ``component`` its index in :attr:`BandInk.components` (-1: not one component, e.g. a
    tick row); ``confidence`` in [0, 1] from how bar-like the shape is; ``style`` is
    ``"line"``, ``"ticked"``, ``"ruler"`` (an outline with alternate divisions filled:
    its full length) or ``"tick-row"``.
    """

    length_px: float
    box: Box
    thickness_px: int
    component: int
    confidence: float
    uncertainty_px: float = 1.0
    style: str = "line"
    members: tuple[int, ...] = ()  # the components of a tick row (not text either)


def as_unit_gray(band: np.ndarray) -> np.ndarray:
    """``band`` as float32 in [0, 1]; raises ValueError for anything but a 2-D array."""
    band = np.asarray(band)
    if band.ndim != 2 or min(band.shape) < 4:
        raise ValueError(f"a data-bar band must be a 2-D grayscale array of at least 4x4 "
                         f"pixels; got shape {band.shape} (convert colour images to gray "
                         "and crop the band first)")
    if np.issubdtype(band.dtype, np.integer):
        return band.astype(np.float32) / float(np.iinfo(band.dtype).max)
    if np.issubdtype(band.dtype, np.floating):
        return np.clip(band.astype(np.float32), 0.0, 1.0)
    if band.dtype == np.bool_:
        return band.astype(np.float32)
    raise ValueError(f"unsupported band dtype {band.dtype}: pass uint8, uint16 or float")


def analyse_band(band: np.ndarray) -> BandInk:
    """Background, ink mask and ink components of a data-bar band."""
    from scipy import ndimage

    gray = as_unit_gray(band)
    hist, edges = np.histogram(gray, bins=64, range=(0.0, 1.0))
    peak = int(np.argmax(hist))
    in_peak = (gray >= edges[peak]) & (gray <= edges[peak + 1])
    background = float(np.median(gray[in_peak]))
    contrast = np.abs(gray - background)
    far = float(np.percentile(contrast, 99.8))
    # a grey-green bar on white (contrast 0.4) is ink next to black text (contrast 1)
    threshold = max(MIN_INK_CONTRAST, INK_FRACTION * far)
    mask = contrast > threshold
    if not mask.any():
        ink = background
    else:
        # ink sits on one side of the background: the side holding most strong pixels
        strong = contrast > max(threshold, 0.75 * far)
        brighter = np.count_nonzero(strong & (gray > background)) >= \
            np.count_nonzero(strong & (gray < background))
        mask &= (gray > background) if brighter else (gray < background)
        ink = float(np.median(gray[mask])) if mask.any() else background
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    boxes = tuple(Box(s[0].start, s[0].stop, s[1].start, s[1].stop)
                  for s in ndimage.find_objects(labels))
    assert len(boxes) == count
    return BandInk(gray=gray, mask=mask, labels=labels, components=boxes,
                   background=background, ink=ink, text_height=_text_height(boxes))


def _text_height(boxes: tuple[Box, ...]) -> float:
    """Median height of glyph-sized components (neither specks nor long lines)."""
    heights = [b.height for b in boxes if b.height >= 4 and b.width <= 3 * b.height]
    return float(np.median(heights)) if heights else 0.0


def _longest_run(row: np.ndarray) -> tuple[int, int]:
    """(start, stop) of the longest run of True in a 1-D boolean array."""
    padded = np.concatenate(([False], row, [False])).astype(np.int8)
    diff = np.diff(padded)
    starts, stops = np.flatnonzero(diff == 1), np.flatnonzero(diff == -1)
    if starts.size == 0:
        return 0, 0
    best = int(np.argmax(stops - starts))
    return int(starts[best]), int(stops[best])


def _segment_of(ink: BandInk, index: int, *, min_length: float) -> ScaleBarSegment | None:
    """The component ``index`` as a scale-bar segment, or None if it is not bar-shaped."""
    box = ink.components[index]
    if box.width < min_length or box.width > 0.9 * ink.mask.shape[1]:
        return None
    own = ink.labels[box.top:box.bottom, box.left:box.right] == index + 1
    runs = [_longest_run(row) for row in own]
    lengths = np.array([stop - start for start, stop in runs])
    longest = int(lengths.max())
    core = np.flatnonzero(lengths >= 0.9 * longest)
    thickness = int(core.size)
    if longest < min_length:
        return None
    style = "line"
    if core[-1] - core[0] + 1 != thickness:
        if not _is_outlined_ruler(own, core, runs, ink.text_height):
            return None  # long rows that are not one straight band (a frame)
        core = np.arange(core[0], core[-1] + 1)  # the ruler's whole height is its line
        thickness, style = int(core.size), "ruler"
    aspect = longest / thickness
    row = core[0] if style == "ruler" else core[thickness // 2]  # a ruler: its outline
    start, stop = runs[row]
    ticks = _end_ticks(own, core, start, stop)
    # pixels that make the bar: its line (a ruler: all of it) and end ticks
    shaped = float(own.sum() if style == "ruler" else lengths[core].sum())
    if ticks is not None:
        (left, left_width), (right, right_width) = ticks
        for centre, width in ticks:
            first = int(round(centre - (width - 1) / 2.0))
            shaped += float(own[:, first:first + width].sum()
                            - own[core[0]:core[-1] + 1, first:first + width].sum())
    in_core = shaped / float(own.sum())
    if aspect < 4.0 or in_core < 0.6:
        return None
    length = _subpixel_length(ink, box.top + row, box.left + start, box.left + stop)
    confidence = float(min(1.0, in_core) * min(1.0, aspect / 8.0))
    if ticks is not None:
        return ScaleBarSegment(length_px=right - left, box=box, thickness_px=thickness,
                               component=index, confidence=confidence,
                               uncertainty_px=max(1.0, 0.5 * max(left_width, right_width)),
                               style="ticked")
    return ScaleBarSegment(length_px=length, box=box, thickness_px=thickness,
                           component=index, confidence=confidence, style=style)


def _is_outlined_ruler(own: np.ndarray, core: np.ndarray, runs: list[tuple[int, int]],
                       text_height: float) -> bool:
    """Whether a component whose long rows are its top and bottom edges is a subdivided
    (ruler) bar: an outline no taller than a line of text, closed at both ends, with
    alternate divisions filled (a boxed word has its letters as other components)."""
    top, bottom = int(core[0]), int(core[-1])
    if bottom - top + 1 > max(12.0, 1.5 * text_height) or bottom - top < 2:
        return False
    (start, stop), (start2, stop2) = runs[top], runs[bottom]
    if abs(start - start2) > 1 or abs(stop - stop2) > 1:
        return False
    inside = own[top + 1:bottom, start:stop]
    if inside.size == 0 or inside[:, 0].mean() < 0.8 or inside[:, -1].mean() < 0.8:
        return False
    middle = inside[inside.shape[0] // 2]
    switches = int(np.count_nonzero(np.diff(middle.astype(np.int8))))
    return 0.2 <= float(inside.mean()) <= 0.8 and switches >= 4


def _end_ticks(own: np.ndarray, core: np.ndarray, start: int, stop: int
               ) -> tuple[tuple[float, int], tuple[float, int]] | None:
    """((centre, width), (centre, width)) of the marks that stick out of the line's rows
    at both of its ends (columns in the component's box), or None without two.

    A tick is a run of columns holding ink above or below the line that touches the
    line's first (or last) column; the centre is the mean of its columns.
    """
    outside = np.ones(own.shape[0], bool)
    outside[core[0]:core[-1] + 1] = False
    if not outside.any():
        return None
    sticking = own[outside].any(axis=0)
    left = _run_at(sticking, start, step=1)
    right = _run_at(sticking, stop - 1, step=-1)
    if left is None or right is None or left[1] >= right[0]:
        return None
    widths = (left[1] - left[0], right[1] - right[0])
    if max(widths) > 0.25 * (stop - start):
        return None  # a wide block at an end is not a tick
    return ((left[0] + left[1] - 1) / 2.0, widths[0]), ((right[0] + right[1] - 1) / 2.0,
                                                        widths[1])


def _run_at(mask: np.ndarray, column: int, *, step: int) -> tuple[int, int] | None:
    """(start, stop) of the run of True in ``mask`` that begins within 1 px of ``column``
    (searching inwards by ``step``), or None."""
    for c in (column, column + step):
        if 0 <= c < mask.size and mask[c]:
            lo = hi = c
            while lo > 0 and mask[lo - 1]:
                lo -= 1
            while hi + 1 < mask.size and mask[hi + 1]:
                hi += 1
            return lo, hi + 1
    return None


def _subpixel_length(ink: BandInk, row: int, start: int, stop: int) -> float:
    """Run length where the one-pixel margins count by their fraction of full ink."""
    line = ink.gray[row]
    full = ink.ink - ink.background
    if abs(full) < 1e-6:
        return float(stop - start)
    frac = np.clip((line - ink.background) / full, 0.0, 1.0)
    left = frac[start - 1] if start > 0 else 0.0
    right = frac[stop] if stop < line.size else 0.0
    # the run's end pixels may be partly covered too (anti-aliasing above the ink threshold)
    ends = frac[start] + frac[stop - 1] if stop - start >= 2 else 2.0
    return (float(stop - start - 2) + float(ends) + float(left) * (left < 0.5)
            + float(right) * (right < 0.5))


def scale_bar_candidates(band: np.ndarray | BandInk, *,
                         min_length_px: float = 16.0) -> list[ScaleBarSegment]:
    """Every bar-shaped ink component of a band, longest first.

    ``band`` is the band as a 2-D array (see :func:`as_unit_gray`) or its
    :func:`analyse_band` result. A segment must be at least ``min_length_px`` long and
    longer than 1.2 text heights (so '=' signs and dashes do not count).
    """
    ink = band if isinstance(band, BandInk) else analyse_band(band)
    min_length = max(min_length_px, 1.2 * ink.text_height)
    found = (_segment_of(ink, index, min_length=min_length)
             for index, box in enumerate(ink.components) if box.width >= min_length)
    return sorted((s for s in found if s is not None), key=lambda s: -s.length_px)


def find_scale_bar(band: np.ndarray | BandInk, *,
                   min_length_px: float = 16.0) -> ScaleBarSegment | None:
    """The scale-bar segment of a band (the longest candidate), or None when there is none."""
    candidates = scale_bar_candidates(band, min_length_px=min_length_px)
    return candidates[0] if candidates else None


def tick_row_segment(ink: BandInk) -> ScaleBarSegment | None:
    """A ruler of 11 equal, evenly spaced marks (Hitachi's scale in a stripe) as a
    segment from the first mark's centre to the last one's, or None."""
    from compute.scale.overlay import complete_tick_row, tick_row

    boxes = [(b.left, b.top, b.right, b.bottom) for b in ink.components]
    solid = [box for i, box in enumerate(boxes)
             if (ink.labels[box[1]:box[3], box[0]:box[2]] == i + 1).mean() >= 0.8]
    ticks = complete_tick_row(ink.mask, tick_row(solid))
    if not ticks:
        return None
    first, last = ticks[0], ticks[-1]
    box = Box(min(t[1] for t in ticks), max(t[3] for t in ticks), first[0], last[2])
    members = tuple(i for i, b in enumerate(boxes)
                    if b[0] >= box.left and b[2] <= box.right and b[1] >= box.top
                    and b[3] <= box.bottom)
    return ScaleBarSegment(length_px=(last[0] + last[2]) / 2.0 - (first[0] + first[2]) / 2.0,
                           box=box, thickness_px=first[2] - first[0], component=-1,
                           confidence=0.9, uncertainty_px=1.0, style="tick-row",
                           members=members)


def _lines_of_text(ink: BandInk, skip: int | tuple[int, ...]) -> list[Box]:
    """Glyph components merged into phrases: same line, gaps under 0.9 text heights;
    components ``skip`` (the scale mark's) are left out."""
    skipped = set(skip) if isinstance(skip, tuple) else {skip}
    h = max(ink.text_height, 4.0)
    glyphs = sorted((b for i, b in enumerate(ink.components)
                     if i not in skipped and b.height >= 0.25 * h and b.height <= 3 * h),
                    key=lambda b: b.left)
    phrases: list[Box] = []
    for glyph in glyphs:
        for k, phrase in enumerate(phrases):
            overlap = min(phrase.bottom, glyph.bottom) - max(phrase.top, glyph.top)
            gap = glyph.left - phrase.right
            if overlap > 0.4 * min(phrase.height, glyph.height) and gap < 0.9 * h:
                phrases[k] = phrase.union(glyph)
                break
        else:
            phrases.append(glyph)
    return [p for p in phrases if p.height >= 0.5 * h]


def label_boxes(ink: BandInk, segment: ScaleBarSegment) -> list[Box]:
    """Boxes that may hold the segment's label, most likely first.

    A label sits above or below the segment (overlapping it horizontally) or beside it on
    the same line; phrases further than three text heights above or below, or eight
    beside (Philips XL30 print the label at a fixed place right of a bar whose length
    varies), are not considered. Each
    near phrase is offered joined with its same-line neighbours closer than two text
    heights (a wide space, as monospaced fonts draw it, splits "200 nm" in two), then alone.
    Phrases wider than :data:`LABEL_MAX_HEIGHTS` text heights (lines of fields) come last.
    """
    h = max(ink.text_height, 4.0)
    bar = segment.box
    phrases = _lines_of_text(ink, skip=segment.members or segment.component)
    scored = []
    for phrase in phrases:
        h_gap = max(phrase.left - bar.right, bar.left - phrase.right, 0)
        v_gap = max(phrase.top - bar.bottom, bar.top - phrase.bottom, 0)
        if h_gap == 0 and v_gap <= 3 * h:
            scored.append((v_gap, phrase))
        elif v_gap == 0 and h_gap <= BESIDE_GAP_HEIGHTS * h:
            scored.append((h_gap, phrase))
    def too_long(box: Box) -> bool:  # a line of fields, not a label
        return box.width > LABEL_MAX_HEIGHTS * h

    boxes: list[Box] = []
    for _, phrase in sorted(scored, key=lambda item: (too_long(item[1]), item[0])):
        joined = _join_same_line(phrase, phrases, max_gap=2.0 * h, avoid=bar)
        pair = (phrase, joined) if too_long(joined) else (joined, phrase)
        boxes.extend(b for b in pair if b not in boxes)
    return boxes


def _join_same_line(phrase: Box, phrases: list[Box], *, max_gap: float, avoid: Box) -> Box:
    """``phrase`` grown by same-line neighbours closer than ``max_gap`` (not across ``avoid``)."""
    grown = phrase
    changed = True
    while changed:
        changed = False
        for other in phrases:
            if other == grown or _inside(other, grown):
                continue
            overlap = min(grown.bottom, other.bottom) - max(grown.top, other.top)
            gap = max(other.left - grown.right, grown.left - other.right)
            between = Box(grown.top, grown.bottom, min(grown.right, other.right),
                          max(grown.left, other.left))
            if (overlap > 0.4 * min(grown.height, other.height) and 0 <= gap < max_gap
                    and not _overlaps(between, avoid)):
                grown, changed = grown.union(other), True
    return grown


def _inside(inner: Box, outer: Box) -> bool:
    return (inner.top >= outer.top and inner.bottom <= outer.bottom
            and inner.left >= outer.left and inner.right <= outer.right)


def _overlaps(a: Box, b: Box) -> bool:
    return a.top < b.bottom and b.top < a.bottom and a.left < b.right and b.left < a.right
