"""Pixel size and acquisition fields from the metadata instruments write into TIFF files.

Read in this order, the first that states a pixel size wins:

1. Zeiss SmartSEM, TIFF tag 34118 (``CZ_SEM``): ``AP_PIXEL_SIZE`` / ``Image Pixel Size =
   2.233 nm``, plus ``Mag = 20.00 K X``, ``EHT = 10.00 kV``, ``WD = 7.0 mm``.
2. FEI / Thermo Fisher, tags 34682 (``FEI_HELIOS``) or 34680 (``FEI_SFEG``): INI text with
   ``[Scan] PixelWidth`` in metres, ``[EBeam] HV`` in volts, ``WD`` in metres.
3. ImageJ: ``unit=micron`` (or nm, mm) in the description with ``XResolution`` in pixels
   per unit.
4. Standard ``XResolution`` with ``ResolutionUnit`` inch or centimetre, only when it is
   meaningful: a pixel of at most 10 um that is not a screen or printer resolution (72,
   96, 300, ... dpi), which is what most software writes by default.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compute.scale.text import UNIT_NM, InstrumentFields, parse_fields

log = logging.getLogger(__name__)

TIFF_SUFFIXES = frozenset({".tif", ".tiff"})
ZEISS_TAG, FEI_TAGS = 34118, (34682, 34680)
COMMON_DPI = frozenset({72, 75, 96, 100, 120, 144, 150, 200, 240, 254, 300, 400, 600, 720,
                        800, 1200, 2400, 4800, 9600})
MAX_RESOLUTION_PIXEL_NM = 10_000.0  # coarser "pixels" are page layout, not microscopy
_VALUE_WITH_UNIT = re.compile(r"[=:]\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*(pm|nm|um|mm|m)\b")
_IMAGEJ_UNITS = {"micron": "um", "microns": "um", "um": "um", "\u00b5m": "um",
                 "\\u00b5m": "um", "nm": "nm", "nanometer": "nm", "mm": "mm"}


@dataclass(frozen=True)
class MetadataScale:
    """What the file's own metadata says about its scale.

    ``nm_per_pixel`` is None when the metadata has acquisition fields but no pixel size.
    ``source`` is ``"zeiss"``, ``"fei"``, ``"imagej"`` or ``"resolution"``;
    ``confidence`` is 1.0 for instrument tags, lower for generic resolution tags.
    """

    nm_per_pixel: float | None
    source: str
    fields: InstrumentFields
    confidence: float


def read_tiff_scale(path: str | os.PathLike[str]) -> MetadataScale | None:
    """The metadata scale of a TIFF file; None for other files or TIFFs without one.

    A TIFF that cannot be parsed is logged and treated as having no metadata (the image
    may still be readable by Pillow, and its data bar can still be read).
    """
    path = Path(path)
    if path.suffix.lower() not in TIFF_SUFFIXES:
        return None
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            tags = {tag.code: tag.value for tag in page.tags.values()}
            imagej = tif.imagej_metadata
    except Exception as exc:  # tifffile raises many types for damaged files
        log.warning("cannot read TIFF metadata of %s: %s", path, exc)
        return None
    return scale_from_tags(tags, imagej=imagej)


def scale_from_tags(tags: Mapping[int, Any], *,
                    imagej: Mapping[str, Any] | None = None) -> MetadataScale | None:
    """The scale stated by TIFF tag values (tag code -> value as tifffile parses them)."""
    readers = (lambda: _zeiss(tags.get(ZEISS_TAG)),
               lambda: _fei(next((tags[c] for c in FEI_TAGS if c in tags), None)),
               lambda: _imagej(tags, imagej),
               lambda: _resolution(tags))
    fallback = None
    for read in readers:
        found = read()
        if found is not None and found.nm_per_pixel is not None:
            return found
        fallback = fallback or found
    return fallback


def zeiss_text(value: Any) -> str:
    """The CZ_SEM tag as ``name = value unit`` lines (tifffile gives a dict of tuples)."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return ""
    lines = []
    for key, item in value.items():
        if key and isinstance(item, tuple) and len(item) >= 2:
            lines.append(f"{item[0]} = " + " ".join(str(v) for v in item[1:]))
    return "\n".join(lines)


def _zeiss(value: Any) -> MetadataScale | None:
    text = zeiss_text(value)
    if not text:
        return None
    pixel = next((nm for line in text.splitlines()
                  if "pixel size" in line.lower() and (nm := _length_nm(line)) is not None),
                 None)
    return MetadataScale(nm_per_pixel=pixel, source="zeiss", fields=parse_fields(text),
                         confidence=1.0)


def _length_nm(line: str) -> float | None:
    """``... = 2.233 nm`` with any unit of :data:`UNIT_NM` (pm and m included), in nm."""
    match = _VALUE_WITH_UNIT.search(line.replace("\u00b5", "u").replace("\u03bc", "u"))
    if match is None:
        return None
    try:
        nm = float(match.group(1)) * UNIT_NM[match.group(2)]
    except ValueError:
        return None
    return nm if nm > 0 else None


def _fei(value: Any) -> MetadataScale | None:
    if not isinstance(value, Mapping) or not value:
        return None

    def number(section: str, key: str) -> float | None:
        item = value.get(section, {}).get(key)
        try:
            return float(item) if item is not None and float(item) > 0 else None
        except (TypeError, ValueError):
            return None

    width_m = number("Scan", "PixelWidth") or number("EScan", "PixelWidth")
    hv = number("EBeam", "HV") or number("Beam", "HV")
    wd_m = number("EBeam", "WD") or number("Stage", "WorkingDistance")
    fields = InstrumentFields(magnification=None, eht_kv=hv / 1000 if hv else None,
                              wd_mm=wd_m * 1000 if wd_m else None)
    return MetadataScale(nm_per_pixel=width_m * 1e9 if width_m else None, source="fei",
                         fields=fields, confidence=1.0)


def _ratio(value: Any) -> float | None:
    """A TIFF RATIONAL (tuple numerator, denominator) or number as float; None if invalid."""
    try:
        if isinstance(value, tuple):
            return value[0] / value[1] if value[1] else None
        return float(value)
    except (TypeError, ValueError, IndexError):
        return None


def _imagej(tags: Mapping[int, Any], imagej: Mapping[str, Any] | None) -> MetadataScale | None:
    if not imagej or "unit" not in imagej:
        return None
    unit = _IMAGEJ_UNITS.get(str(imagej["unit"]).strip().lower())
    per_unit = _ratio(tags.get(282))  # XResolution: pixels per unit
    if unit is None or not per_unit or per_unit <= 0:
        return None
    return MetadataScale(nm_per_pixel=UNIT_NM[unit] / per_unit, source="imagej",
                         fields=InstrumentFields(), confidence=0.9)


def _resolution(tags: Mapping[int, Any]) -> MetadataScale | None:
    per_unit = _ratio(tags.get(282))
    unit = tags.get(296, 2)  # ResolutionUnit: 1 none, 2 inch (default), 3 centimetre
    unit = getattr(unit, "value", unit)
    if not per_unit or per_unit <= 0 or unit not in (2, 3):
        return None
    per_inch = per_unit if unit == 2 else per_unit * 2.54
    if round(per_inch) in COMMON_DPI and abs(per_inch - round(per_inch)) < 1e-6:
        return None
    nm = (25.4e6 if unit == 2 else 1e7) / per_unit
    if nm > MAX_RESOLUTION_PIXEL_NM:
        return None
    return MetadataScale(nm_per_pixel=nm, source="resolution", fields=InstrumentFields(),
                         confidence=0.6)
