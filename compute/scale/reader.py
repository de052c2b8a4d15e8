"""Scale of a micrograph: nanometres per pixel from its metadata and its data bar, checked.

Every independent reading is taken and compared before anything is reported:

- the metadata the instrument wrote (:mod:`compute.scale.metadata`: TIFF tags, sidecar
  text files, native formats), read first and cheaply;
- the data bar burned into the image (found by :func:`compute.scale.databar.detect_data_bar`
  wherever it is): its scale-bar segment in pixels (:mod:`compute.scale.band`) and its
  label read by Tesseract (:mod:`compute.scale.ocr`), ``nm_per_pixel = label_nm / bar_px``;
- the field width printed in the bar (FEI "HFW", Zeiss "Width", TESCAN "View field")
  over the image width;
- the magnification printed in the bar, with the display width it refers to
  (:data:`REFERENCE_WIDTH_MM` for the makers whose reference is known, else only the broad
  :data:`PLAUSIBLE_REFERENCE_MM` range).

Two readings that disagree beyond their uncertainties give status ``conflict`` with both
values and no pixel size (so no scale group): a confidently wrong nm/px is worse than
none. When they agree the metadata's value is reported (it is the more precise).

Every image gets a :class:`ScaleReading`; failures are explicit statuses, never
exceptions: ``no_data_bar``, ``no_bar_found``, ``text_unreadable``, ``ocr_failed``,
``unreadable_image``, ``conflict``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from compute.scale.band import (
    BandInk,
    Box,
    ScaleBarSegment,
    analyse_band,
    label_boxes,
    scale_bar_candidates,
    tick_row_segment,
)
from compute.scale.groups import UNKNOWN, scale_group
from compute.scale.metadata import MetadataScale, read_metadata_scales
from compute.scale.ocr import OcrError, read_band_text, read_label_text
from compute.scale.text import (
    Length,
    find_lengths,
    is_nice_label,
    parse_fields,
    parse_label_crop,
)

log = logging.getLogger(__name__)

OK = "ok"
NO_DATA_BAR = "no_data_bar"
NO_BAR_FOUND = "no_bar_found"
TEXT_UNREADABLE = "text_unreadable"
OCR_FAILED = "ocr_failed"
UNREADABLE_IMAGE = "unreadable_image"
CONFLICT = "conflict"
STATUSES = (OK, NO_DATA_BAR, NO_BAR_FOUND, TEXT_UNREADABLE, OCR_FAILED, UNREADABLE_IMAGE,
            CONFLICT)
MAX_LABEL_BOXES = 3          # label candidates read per segment, nearest first
MAX_SEGMENTS = 2             # bar-shaped segments tried per band, longest first
AGREEMENT_SIGMAS = 2.0       # readings agree within this many times their uncertainties
MIN_AGREEMENT = 0.015        # ...and never need to agree closer than this (relative)
# Display widths (mm) a printed magnification refers to, for makers whose rule is known:
# Hitachi's 127 mm (5 in) Polaroid frame; Zeiss / LEO "Polaroid 545" (114.3 mm; older
# LEO frames come out up to 5 % wider, hence the tolerance).
REFERENCE_WIDTH_MM = {"hitachi": (127.0, 0.03), "zeiss": (114.3, 0.05)}
PLAUSIBLE_REFERENCE_MM = (60.0, 500.0)  # any maker: monitors and Polaroid frames
FIELD_WIDTH_UNCERTAINTY = 0.005  # a printed field width has 3-4 significant digits
# model names in a Hitachi bar ("SU3500", "S-4800", "TM4000"; OCR reads S as $ or 5)
_HITACHI_TEXT = re.compile(r"(?<![A-Za-z0-9])([S$5]U|S-|TM|FlexSEM|Regulus)\s?\d{3,4}",
                           re.IGNORECASE)
_ZEISS_TEXT = re.compile(r"\bMag\s*=\s*[\d.,]+\s*K?\s*X\b", re.IGNORECASE)


@dataclass(frozen=True)
class ScaleReading:
    """The scale of one image.

    ``status`` is one of :data:`STATUSES`; ``nm_per_pixel`` is set exactly when it is
    ``"ok"``, with ``uncertainty`` its relative uncertainty (0.01: +-1 %). ``source`` is
    ``"ocr"`` or ``"metadata:<kind>"`` (zeiss, fei, philips-xl, hitachi-txt, jeol-txt,
    imagej, resolution, dm, sxm, ...). ``label`` is the scale-bar label in canonical ASCII
    ("2 um") and ``label_nm`` its length; ``bar_px`` the segment length in pixels, +-
    ``bar_px_uncertainty``. ``nm_per_pixel_bar`` / ``nm_per_pixel_metadata`` /
    ``nm_per_pixel_magnification`` / ``nm_per_pixel_field`` (the printed field width
    ``field_width_nm`` over the image width) are the independent readings (None when
    absent): with status ``"conflict"`` they say what disagreed. ``magnification`` (e.g. 20000.0),
    ``eht_kv`` and ``wd_mm`` come from metadata or the bar's text. ``data_bar`` is the
    bar's box ``(left, top, right, bottom)`` in image pixels and ``data_bar_kind`` its
    layout (stripe, box, overlay); ``maker`` the instrument maker when the metadata or the
    bar's text tells it. ``confidence`` is in [0, 1] (0 on failure);
    ``message`` explains failures and inconsistencies.
    """

    status: str
    source: str | None = None
    nm_per_pixel: float | None = None
    label: str | None = None
    label_nm: float | None = None
    bar_px: float | None = None
    magnification: float | None = None
    eht_kv: float | None = None
    wd_mm: float | None = None
    confidence: float = 0.0
    image_width_px: int | None = None
    message: str | None = None
    uncertainty: float | None = None
    bar_px_uncertainty: float | None = None
    nm_per_pixel_bar: float | None = None
    nm_per_pixel_metadata: float | None = None
    nm_per_pixel_magnification: float | None = None
    nm_per_pixel_field: float | None = None
    field_width_nm: float | None = None
    data_bar: tuple[int, int, int, int] | None = None
    data_bar_kind: str | None = None
    maker: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def field_of_view_nm(self) -> float | None:
        """Width of the image in nm, when the pixel size and the width are known."""
        if self.nm_per_pixel is None or self.image_width_px is None:
            return None
        return self.nm_per_pixel * self.image_width_px

    @property
    def group(self) -> str:
        """The scale group (see :func:`compute.scale.groups.scale_group`); "unknown" for a
        conflict, whose label may be the wrong reading."""
        if self.status == CONFLICT:
            return UNKNOWN
        return scale_group(label_nm=self.label_nm, field_of_view_nm=self.field_of_view_nm)

    @property
    def no_scale_reason(self) -> str | None:
        """Why the image has no scale group, in words ("no data bar"); None when it has one."""
        if self.group != UNKNOWN:
            return None
        return UNKNOWN if self.ok else self.status.replace("_", " ")

    @property
    def group_or_reason(self) -> str:
        """The scale group, or ``"no scale (<why>)"`` when there is none, e.g.
        ``"no scale (no data bar)"`` (what the dashboard shows and filters by)."""
        reason = self.no_scale_reason
        return self.group if reason is None else f"no scale ({reason})"


def read_band(band: np.ndarray, *, read_fields: bool = True,
              segments: Sequence[ScaleBarSegment] | None = None) -> ScaleReading:
    """Read the scale from a data-bar band: a 2-D (h, w) grayscale crop of the bar only.

    ``band`` is uint8/uint16 or float in [0, 1]. With ``read_fields`` the whole band is
    also OCR'd for magnification, EHT and WD (one more Tesseract call). ``segments`` are
    scale marks already found (e.g. a tick row); None: look for bar-shaped segments.
    """
    ink = analyse_band(band)
    if segments is None:
        ruler = tick_row_segment(ink)  # a whole 10-division ruler is the scale when present
        segments = ([ruler] if ruler else []) + scale_bar_candidates(ink)[:MAX_SEGMENTS]
    segments = list(segments)
    try:
        band_text = read_band_text(ink).text if read_fields else ""
        segment, label, conf = _find_label(ink, segments, band_text)
    except OcrError as exc:
        segment = segments[0] if segments else None
        return ScaleReading(status=OCR_FAILED, bar_px=_px(segment), message=str(exc),
                            bar_px_uncertainty=segment.uncertainty_px if segment else None)
    fields = parse_fields(band_text)
    common = {"label": label.label if label else None, "label_nm": label.nm if label else None,
              "bar_px": _px(segment), "magnification": fields.magnification,
              "field_width_nm": fields.field_width_nm,
              "eht_kv": fields.eht_kv, "wd_mm": fields.wd_mm,
              "bar_px_uncertainty": segment.uncertainty_px if segment else None}
    if segment is None:
        return ScaleReading(status=NO_BAR_FOUND, **common,
                            message="no scale-bar segment in the data bar")
    if label is None:
        return ScaleReading(status=TEXT_UNREADABLE, **common,
                            message="scale-bar label not readable")
    confidence = segment.confidence * conf * (1.0 if is_nice_label(label) else 0.6)
    nm = float(label.nm / segment.length_px)
    reading = ScaleReading(status=OK, source="ocr", nm_per_pixel=nm,
                           confidence=round(float(confidence), 3),
                           uncertainty=_bar_uncertainty(segment), nm_per_pixel_bar=nm,
                           **common)
    return replace(reading, maker=_maker_of(band_text))


def _px(segment: ScaleBarSegment | None) -> float | None:
    return round(float(segment.length_px), 2) if segment is not None else None


def _bar_uncertainty(segment: ScaleBarSegment) -> float:
    """Relative uncertainty of a label / bar reading: the bar's pixel uncertainty."""
    return float(segment.uncertainty_px / max(segment.length_px, 1.0))


def _find_label(ink: BandInk, segments: list[ScaleBarSegment], band_text: str
                ) -> tuple[ScaleBarSegment | None, Length | None, float]:
    """(segment, its label, OCR confidence): the first segment with a label next to it
    (a separator line may outrun the scale bar), else the longest and a lone label."""
    for segment in segments:
        label, conf = _label_near(ink, segment)
        if label is not None:
            return segment, label, conf
    label, conf = _lone_label(band_text)
    return (segments[0] if segments else None), label, conf


def _label_near(ink: BandInk, segment: ScaleBarSegment) -> tuple[Length | None, float]:
    """The label next to the segment and Tesseract's confidence in it.

    The nearest candidate is read, then read again limited to digits and units (a "1"
    before a micro sign is often read as "t"), then the others; the first label with an
    instrument-like value (1, 2, 5 ... x 10^k) wins, else the first label read at all.
    """
    first: tuple[Length | None, float] = (None, 0.0)
    boxes = label_boxes(ink, segment)[:MAX_LABEL_BOXES]
    attempts = [(box, False) for box in boxes[:1]] + [(box, True) for box in boxes[:1]]
    attempts += [(box, False) for box in boxes[1:]]
    for box, whitelist in attempts:
        ocr = read_label_text(ink, box, whitelist=whitelist)
        label = parse_label_crop(ocr.text)
        if label is not None and is_nice_label(label):
            return label, ocr.confidence
        if label is not None and first[0] is None:
            first = (label, ocr.confidence)
    return first


def _lone_label(band_text: str) -> tuple[Length | None, float]:
    """The one length in the band's text that is not a field's value (half trust)."""
    lone = find_lengths(band_text, standalone=True)
    return (lone[0], 0.5) if len(lone) == 1 else (None, 0.0)


def _maker_of(text: str) -> str | None:
    if _HITACHI_TEXT.search(text):
        return "hitachi"
    if _ZEISS_TEXT.search(text):
        return "zeiss"
    return None


def _magnification_conflict(reading: ScaleReading, *, width: int, maker: str | None,
                            reference_mm: float | None) -> ScaleReading:
    """A reading whose bar disagrees with its printed magnification becomes a conflict.

    The field of view the magnification implies is ``reference / mag``; with a known
    reference (``reference_mm``, or the ``maker``'s in :data:`REFERENCE_WIDTH_MM`) the
    pixel sizes must agree within the uncertainties, else the implied display width must
    at least be plausible (:data:`PLAUSIBLE_REFERENCE_MM`).
    """
    if not reading.ok or reading.nm_per_pixel_bar is None:
        return reading
    if reading.field_width_nm:
        from_field = reading.field_width_nm / width
        if not _agree(reading.nm_per_pixel_bar, reading.uncertainty or 0.0, from_field,
                      FIELD_WIDTH_UNCERTAINTY):
            return _conflict(reading, "data bar", reading.nm_per_pixel_bar,
                             f"the printed field width {reading.field_width_nm:g} nm",
                             from_field, nm_per_pixel_field=from_field)
        reading = replace(reading, nm_per_pixel_field=from_field)
    if not reading.magnification:
        return reading
    implied_mm = reading.nm_per_pixel_bar * width * reading.magnification / 1e6
    known = (reference_mm, 0.02) if reference_mm else REFERENCE_WIDTH_MM.get(maker or "")
    if known is not None:
        ref, tolerance = known
        from_mag = ref * 1e6 / reading.magnification / width
        tol = max(MIN_AGREEMENT, AGREEMENT_SIGMAS * ((reading.uncertainty or 0.0) + tolerance))
        if abs(reading.nm_per_pixel_bar / from_mag - 1.0) <= tol:
            return replace(reading, nm_per_pixel_magnification=from_mag)
        what = f"the printed magnification x{reading.magnification:g} ({ref:g} mm display)"
        return _conflict(reading, "data bar", reading.nm_per_pixel_bar, what, from_mag,
                         nm_per_pixel_magnification=from_mag)
    low, high = PLAUSIBLE_REFERENCE_MM
    if low <= implied_mm <= high:
        return reading
    return replace(reading, status=CONFLICT, nm_per_pixel=None, confidence=0.0,
                   message=(f"data bar says {reading.nm_per_pixel_bar:.4g} nm/px, which with "
                            f"the printed magnification x{reading.magnification:g} means a "
                            f"{implied_mm:.0f} mm display (plausible: {low:g}-{high:g} mm); "
                            "label or magnification misread?"))


def _conflict(reading: ScaleReading, first: str, a: float, second: str, b: float,
              **values) -> ScaleReading:
    gap = abs(a / b - 1.0)
    return replace(reading, status=CONFLICT, nm_per_pixel=None, uncertainty=None,
                   confidence=0.0, **values,
                   message=f"{first} says {a:.4g} nm/px, {second} {b:.4g} nm/px: they "
                           f"disagree by {100 * gap:.1f} %; no scale group")


def read_scale(gray: np.ndarray, *, band: Box | None = None, bar=None,
               metadata: MetadataScale | Sequence[MetadataScale] | None = None,
               read_fields: bool = True) -> ScaleReading:
    """The scale of one image: ``gray`` is its (H, W) grayscale array (any numeric dtype;
    other than uint8 it is stretched to 8 bits by percentiles first).

    ``bar`` is the data bar as :func:`compute.scale.databar.detect_data_bar` finds it (None:
    detect it here); ``band`` is an alternative plain box in image pixels. ``metadata``
    is one or more readings of the file's metadata (most trusted first), cross-checked
    with the bar; when one states a pixel size the band's fields are not OCR'd (the
    metadata has them, and the bar is the independent check).
    """
    from compute.scale.databar import DataBar, detect_data_bar

    gray = np.asarray(gray)
    if gray.ndim != 2:
        raise ValueError(f"read_scale needs a 2-D grayscale image, got shape {gray.shape}; "
                         "convert colour images to gray first")
    raw = gray
    if gray.dtype != np.uint8:  # e.g. 12-bit data in uint16: put the bar's ink at the extremes
        from compute.ingest.decode import stretch_to_uint8

        gray = stretch_to_uint8(gray)
    metas = _as_metadata_list(metadata)
    width = int(gray.shape[1])
    if band is not None:
        bar = DataBar(top=band.top, bottom=band.bottom, left=band.left, right=band.right,
                      confidence=1.0, kind="box")
    elif bar is None:
        bar = detect_data_bar(raw)
    if bar is None:
        return scale_without_bar(metas, width=width)
    # with a pixel size in the metadata, the bar's label and length are the check; the
    # fields' OCR (magnification, field width) is only needed without one
    has_pixel = any(m.nm_per_pixel is not None for m in metas)
    from_bar = _read_data_bar(gray, bar, read_fields=read_fields and not has_pixel)
    maker = next((m.maker for m in metas if m.maker), None) or from_bar.maker
    reference = next((m.reference_width_mm for m in metas if m.reference_width_mm), None)
    from_bar = replace(from_bar, data_bar=(bar.left, bar.top, bar.right, bar.bottom),
                       data_bar_kind=bar.kind, image_width_px=width, maker=maker)
    from_bar = _magnification_conflict(from_bar, width=width, maker=maker,
                                       reference_mm=reference)
    return replace(_merge_metadata(from_bar, metas), image_width_px=width)


def _as_metadata_list(metadata) -> list[MetadataScale]:
    if metadata is None:
        return []
    if isinstance(metadata, MetadataScale):
        return [metadata]
    return [m for m in metadata if m is not None]


def _read_data_bar(gray: np.ndarray, bar, *, read_fields: bool) -> ScaleReading:
    """The reading of the bar's band: a crop of the panel, or the ink of an overlay."""
    if bar.kind == "overlay":
        return _read_overlay(gray, read_fields=read_fields)
    band = _trim_frame(gray[bar.top:bar.bottom, bar.left:bar.right])
    return read_band(band, read_fields=read_fields)


def _read_overlay(gray: np.ndarray, *, read_fields: bool) -> ScaleReading:
    """Read an overlay: its ink on a clean band, the tick row as the scale mark."""
    from compute.scale.databar import overlay_marks

    marks = overlay_marks(gray)
    if marks is None:
        return ScaleReading(status=NO_BAR_FOUND, message="overlay data bar not found again")
    band = _glyphs_only(marks.ink).astype(np.uint8) * 255
    segments = None
    if marks.ticks:
        for left, top, right, bottom in marks.ticks:  # the ticks are not text
            band[top - marks.top:bottom - marks.top, left:right] = 0
        first, last = marks.ticks[0], marks.ticks[-1]
        box = Box(min(t[1] for t in marks.ticks) - marks.top,
                  max(t[3] for t in marks.ticks) - marks.top, first[0], last[2])
        length = (last[0] + last[2]) / 2.0 - (first[0] + first[2]) / 2.0
        segments = [ScaleBarSegment(length_px=length, box=box, thickness_px=first[2] - first[0],
                                    component=-1, confidence=0.9, uncertainty_px=1.0,
                                    style="tick-row")]
    return read_band(band, read_fields=read_fields, segments=segments)


def _glyphs_only(ink: np.ndarray) -> np.ndarray:
    """An overlay's ink without the picture's own saturated parts: components larger than
    a glyph (taller than 1.6 or wider than 4 text heights) are dropped."""
    from scipy import ndimage

    labels, count = ndimage.label(ink, structure=np.ones((3, 3), bool))
    boxes = ndimage.find_objects(labels)
    sizes = [(s[0].stop - s[0].start, s[1].stop - s[1].start) for s in boxes]
    glyphs = [h for h, w in sizes if 6 <= h <= 60 and w <= 2 * h]
    if not glyphs:
        return ink
    height = float(np.median(glyphs))
    keep = np.zeros(count + 1, bool)
    keep[1:] = [h <= 1.6 * height and w <= 4 * height for h, w in sizes]
    return keep[labels]


def _trim_frame(band: np.ndarray) -> np.ndarray:
    """``band`` without frame lines along its edges: up to 6 uniform rows or columns at
    each edge whose level is not the band's background."""
    values, counts = np.unique(band, return_counts=True)
    background = values[counts.argmax()]
    top, bottom, left, right = 0, band.shape[0], 0, band.shape[1]

    def is_line(line: np.ndarray) -> bool:
        vals, cnts = np.unique(line, return_counts=True)
        mode = vals[cnts.argmax()]
        return bool(mode != background and cnts.max() >= 0.9 * line.size)

    for _ in range(6):
        if bottom - top > 8 and is_line(band[top, left:right]):
            top += 1
        if bottom - top > 8 and is_line(band[bottom - 1, left:right]):
            bottom -= 1
        if right - left > 8 and is_line(band[top:bottom, left]):
            left += 1
        if right - left > 8 and is_line(band[top:bottom, right - 1]):
            right -= 1
    return band[top:bottom, left:right]


def scale_without_bar(metadata: MetadataScale | Sequence[MetadataScale] | None, *,
                      width: int | None) -> ScaleReading:
    """The reading of an image with no data bar, ``width`` pixels wide: ``no_data_bar``
    unless its ``metadata`` states a pixel size."""
    no_bar = ScaleReading(status=NO_DATA_BAR, message="no data bar in the image")
    return replace(_merge_metadata(no_bar, _as_metadata_list(metadata)), image_width_px=width)


def _merge_metadata(from_bar: ScaleReading, metas: list[MetadataScale]) -> ScaleReading:
    """Merge: fields from metadata when present; the pixel size from metadata when it
    agrees with the bar (or the bar has none), a conflict when they disagree."""
    if not metas:
        return from_bar
    fields = next((m.fields for m in metas), None)
    merged = replace(from_bar,
                     magnification=(fields.magnification if fields else None)
                     or from_bar.magnification,
                     eht_kv=(fields.eht_kv if fields else None) or from_bar.eht_kv,
                     wd_mm=(fields.wd_mm if fields else None) or from_bar.wd_mm)
    with_pixel = [m for m in metas if m.nm_per_pixel is not None]
    if not with_pixel:
        return merged
    meta = with_pixel[0]
    for other in with_pixel[1:]:  # two metadata sources must agree too
        if not _agree(meta.nm_per_pixel, meta.uncertainty, other.nm_per_pixel,
                      other.uncertainty):
            return _conflict(merged, f"metadata ({meta.source})", meta.nm_per_pixel,
                             f"metadata ({other.source})", other.nm_per_pixel,
                             nm_per_pixel_metadata=meta.nm_per_pixel)
    if from_bar.status == CONFLICT:
        return replace(merged, nm_per_pixel_metadata=meta.nm_per_pixel)
    if from_bar.ok and from_bar.nm_per_pixel_bar is not None and not _agree(
            from_bar.nm_per_pixel_bar, from_bar.uncertainty or 0.0, meta.nm_per_pixel,
            meta.uncertainty):
        return _conflict(merged, "data bar", from_bar.nm_per_pixel_bar,
                             f"metadata ({meta.source})", meta.nm_per_pixel,
                             nm_per_pixel_metadata=meta.nm_per_pixel)
    message = None if from_bar.ok else f"data bar: {from_bar.status}"
    if meta.note:
        message = f"{message}; {meta.note}" if message else meta.note
    return replace(merged, status=OK, source=f"metadata:{meta.source}",
                   nm_per_pixel=meta.nm_per_pixel, nm_per_pixel_metadata=meta.nm_per_pixel,
                   uncertainty=meta.uncertainty, confidence=meta.confidence, message=message)


def _agree(a: float, ua: float, b: float, ub: float) -> bool:
    """Whether two pixel sizes with relative uncertainties ``ua``, ``ub`` agree."""
    tolerance = max(MIN_AGREEMENT, AGREEMENT_SIGMAS * (ua + ub))
    return abs(a / b - 1.0) <= tolerance


def read_scale_file(path: str | os.PathLike[str], *, read_fields: bool = True) -> ScaleReading:
    """:func:`read_scale` of an image file, with every metadata source it has; never
    raises on bad files.

    Pixels are decoded by :func:`compute.ingest.decode_image` (first page; 16-bit and
    float data stretched to 8 bits; native microscope formats through their readers), as
    for every other reader of pixels.
    """
    from compute.ingest import decode_image

    path = Path(path)
    try:
        decoded = decode_image(path)
    except Exception as exc:  # ImageDecodeError and anything odd: one row, never a crash
        return ScaleReading(status=UNREADABLE_IMAGE, message=f"not a readable image ({exc})")
    gray = np.asarray(decoded.image.convert("L"))
    metas = list(getattr(decoded, "metadata", ()) or ())
    metas += read_metadata_scales(path, image_width=int(gray.shape[1]))
    return read_scale(gray, metadata=metas, read_fields=read_fields)
