"""Scale of a micrograph: nanometres per pixel from metadata or from its data bar.

The order of trust: the pixel size the instrument wrote into the file's metadata
(:mod:`compute.scale.metadata`), else the data bar burned into the image: its scale-bar
segment measured in pixels (:mod:`compute.scale.band`) and its label read by Tesseract
(:mod:`compute.scale.ocr`), ``nm_per_pixel = label_nm / bar_px``.

Every image gets a :class:`ScaleReading`; failures are explicit statuses, never
exceptions: ``no_data_bar``, ``no_bar_found``, ``text_unreadable``, ``ocr_failed``,
``unreadable_image``.
"""

from __future__ import annotations

import logging
import os
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
)
from compute.scale.groups import UNKNOWN, scale_group
from compute.scale.metadata import MetadataScale, read_tiff_scale
from compute.scale.ocr import OcrError, read_band_text, read_label_text
from compute.scale.text import (
    Length,
    find_lengths,
    is_nice_label,
    parse_fields,
    parse_length,
)

log = logging.getLogger(__name__)

OK = "ok"
NO_DATA_BAR = "no_data_bar"
NO_BAR_FOUND = "no_bar_found"
TEXT_UNREADABLE = "text_unreadable"
OCR_FAILED = "ocr_failed"
UNREADABLE_IMAGE = "unreadable_image"
STATUSES = (OK, NO_DATA_BAR, NO_BAR_FOUND, TEXT_UNREADABLE, OCR_FAILED, UNREADABLE_IMAGE)
MAX_LABEL_BOXES = 3          # label candidates read per segment, nearest first
MAX_SEGMENTS = 2             # bar-shaped segments tried per band, longest first
METADATA_MISMATCH = 0.05     # relative nm/px disagreement reported between metadata and bar


@dataclass(frozen=True)
class ScaleReading:
    """The scale of one image.

    ``status`` is one of :data:`STATUSES`; ``nm_per_pixel`` is set exactly when it is
    ``"ok"``. ``source`` is ``"ocr"`` or ``"metadata:<kind>"`` (zeiss, fei, imagej,
    resolution) for the pixel size, None when there is none. ``label`` is the scale-bar
    label in canonical ASCII ("2 um") and ``label_nm`` its length; ``bar_px`` the segment
    length in pixels. ``magnification`` (e.g. 20000.0), ``eht_kv`` and ``wd_mm`` come from
    metadata or the bar's text when present. ``confidence`` is in [0, 1] (0 on failure);
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
        """The scale group (see :func:`compute.scale.groups.scale_group`)."""
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


def read_band(band: np.ndarray, *, read_fields: bool = True) -> ScaleReading:
    """Read the scale from a data-bar band: a 2-D (h, w) grayscale crop of the bar only.

    ``band`` is uint8/uint16 or float in [0, 1]. With ``read_fields`` the whole band is
    also OCR'd for magnification, EHT and WD (one more Tesseract call).
    """
    ink = analyse_band(band)
    segments = scale_bar_candidates(ink)[:MAX_SEGMENTS]
    try:
        band_text = read_band_text(ink).text if read_fields else ""
        segment, label, conf = _find_label(ink, segments, band_text)
    except OcrError as exc:
        segment = segments[0] if segments else None
        return ScaleReading(status=OCR_FAILED, bar_px=_px(segment), message=str(exc))
    fields = parse_fields(band_text)
    common = {"label": label.label if label else None, "label_nm": label.nm if label else None,
              "bar_px": _px(segment), "magnification": fields.magnification,
              "eht_kv": fields.eht_kv, "wd_mm": fields.wd_mm}
    if segment is None:
        return ScaleReading(status=NO_BAR_FOUND, **common,
                            message="no scale-bar segment in the data bar")
    if label is None:
        return ScaleReading(status=TEXT_UNREADABLE, **common,
                            message="scale-bar label not readable")
    confidence = segment.confidence * conf * (1.0 if is_nice_label(label) else 0.6)
    return ScaleReading(status=OK, source="ocr",
                        nm_per_pixel=float(label.nm / segment.length_px),
                        confidence=round(float(confidence), 3), **common)


def _px(segment: ScaleBarSegment | None) -> float | None:
    return round(float(segment.length_px), 2) if segment is not None else None


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

    Candidates are read nearest first, then the nearest again limited to digits and units;
    the first label with an instrument-like value (1, 2, 5 ... x 10^k) wins, else the
    first label read at all.
    """
    first: tuple[Length | None, float] = (None, 0.0)
    boxes = label_boxes(ink, segment)[:MAX_LABEL_BOXES]
    attempts = [(box, False) for box in boxes] + [(box, True) for box in boxes[:1]]
    for box, whitelist in attempts:
        ocr = read_label_text(ink, box, whitelist=whitelist)
        label = parse_length(ocr.text)
        if label is not None and is_nice_label(label):
            return label, ocr.confidence
        if label is not None and first[0] is None:
            first = (label, ocr.confidence)
    return first


def _lone_label(band_text: str) -> tuple[Length | None, float]:
    """The one length in the band's text that is not a field's value (half trust)."""
    lone = find_lengths(band_text, standalone=True)
    return (lone[0], 0.5) if len(lone) == 1 else (None, 0.0)


def read_scale(gray: np.ndarray, *, band: Box | None = None,
               metadata: MetadataScale | None = None, read_fields: bool = True) -> ScaleReading:
    """The scale of one image: ``gray`` is its (H, W) grayscale array (any numeric dtype;
    other than uint8 it is stretched to 8 bits by percentiles first).

    ``band`` is the data bar's box in image pixels; None means detect it with
    :func:`compute.scale.databar.detect_data_bar`. ``metadata`` (from
    :func:`compute.scale.metadata.read_tiff_scale`) wins over the bar for the pixel size.
    """
    from compute.scale.databar import detect_data_bar

    gray = np.asarray(gray)
    if gray.ndim != 2:
        raise ValueError(f"read_scale needs a 2-D grayscale image, got shape {gray.shape}; "
                         "convert colour images to gray first")
    if gray.dtype != np.uint8:  # e.g. 12-bit data in uint16: put the bar's ink at the extremes
        from compute.ingest.decode import stretch_to_uint8

        gray = stretch_to_uint8(gray)
    if band is None:
        bar = detect_data_bar(gray)
        band = Box(bar.top, bar.bottom, bar.left, bar.right) if bar is not None else None
    if band is None:
        return scale_without_bar(metadata, width=int(gray.shape[1]))
    from_bar = read_band(gray[band.top:band.bottom, band.left:band.right],
                         read_fields=read_fields)
    reading = _prefer_metadata(from_bar, metadata)
    return replace(reading, image_width_px=int(gray.shape[1]))


def scale_without_bar(metadata: MetadataScale | None, *, width: int | None) -> ScaleReading:
    """The reading of an image with no data bar, ``width`` pixels wide: ``no_data_bar``
    unless its ``metadata`` states a pixel size."""
    no_bar = ScaleReading(status=NO_DATA_BAR, message="no data bar in the image")
    return replace(_prefer_metadata(no_bar, metadata), image_width_px=width)


def _prefer_metadata(from_bar: ScaleReading, metadata: MetadataScale | None) -> ScaleReading:
    """Merge: pixel size and fields from metadata when present, label and bar from OCR."""
    if metadata is None:
        return from_bar
    fields = metadata.fields
    merged = replace(from_bar,
                     magnification=fields.magnification or from_bar.magnification,
                     eht_kv=fields.eht_kv or from_bar.eht_kv,
                     wd_mm=fields.wd_mm or from_bar.wd_mm)
    if metadata.nm_per_pixel is None:
        return merged
    message = None if from_bar.ok else f"data bar: {from_bar.status}"
    if from_bar.ok and from_bar.nm_per_pixel is not None:
        gap = abs(from_bar.nm_per_pixel / metadata.nm_per_pixel - 1.0)
        if gap > METADATA_MISMATCH:
            message = (f"data bar says {from_bar.nm_per_pixel:.4g} nm/px, metadata "
                       f"{metadata.nm_per_pixel:.4g} nm/px; metadata used")
    return replace(merged, status=OK, source=f"metadata:{metadata.source}",
                   nm_per_pixel=metadata.nm_per_pixel, confidence=metadata.confidence,
                   message=message)


def read_scale_file(path: str | os.PathLike[str], *, read_fields: bool = True) -> ScaleReading:
    """:func:`read_scale` of an image file, with its TIFF metadata; never raises on bad files.

    Pixels are decoded by :func:`compute.ingest.decode_image` (first page; 16-bit and
    float data stretched to 8 bits), as for every other reader of pixels.
    """
    from compute.ingest import decode_image

    path = Path(path)
    try:
        gray = np.asarray(decode_image(path).image.convert("L"))
    except Exception as exc:  # ImageDecodeError and anything odd: one row, never a crash
        return ScaleReading(status=UNREADABLE_IMAGE, message=f"not a readable image ({exc})")
    return read_scale(gray, metadata=read_tiff_scale(path), read_fields=read_fields)
