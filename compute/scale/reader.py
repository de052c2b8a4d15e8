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
none (:mod:`compute.scale.checks`). When they agree the metadata's value is reported (it
is the more precise).

Every image gets a :class:`ScaleReading`; failures are explicit statuses, never
exceptions: ``no_data_bar``, ``no_bar_found``, ``text_unreadable``, ``ocr_failed``,
``unreadable_image``, ``conflict``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
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
from compute.scale.checks import magnification_conflict, maker_of, merge_metadata
from compute.scale.metadata import MetadataScale, read_metadata_scales
from compute.scale.ocr import OcrError, read_band_text, read_label_text
from compute.scale.reading import (  # noqa: F401  (the statuses are re-exported)
    CONFLICT,
    NO_BAR_FOUND,
    NO_DATA_BAR,
    OCR_FAILED,
    OK,
    STATUSES,
    TEXT_UNREADABLE,
    UNREADABLE_IMAGE,
    ScaleReading,
)
from compute.scale.text import (
    Length,
    find_lengths,
    is_nice_label,
    parse_fields,
    parse_label_crop,
)

log = logging.getLogger(__name__)

MAX_LABEL_BOXES = 3          # label candidates read per segment, nearest first
MAX_SEGMENTS = 2             # bar-shaped segments tried per band, longest first



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
    return replace(reading, maker=maker_of(band_text))


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
    from_bar = magnification_conflict(from_bar, width=width, maker=maker,
                                       reference_mm=reference)
    return replace(merge_metadata(from_bar, metas), image_width_px=width)


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
    from compute.scale.overlay import overlay_marks

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
    return replace(merge_metadata(no_bar, _as_metadata_list(metadata)), image_width_px=width)


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
