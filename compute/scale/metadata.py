"""Pixel size and acquisition fields from the metadata instruments write beside the pixels.

Every source is read (:func:`read_metadata_scales`), so the reader can cross-check them
against each other and against the data bar; :func:`read_metadata_scale` gives the most
trusted one. Sources, most trusted first:

1. Zeiss SmartSEM, TIFF tag 34118 (``CZ_SEM``). ``Image Pixel Size`` is the pixel of the
   stored image; ``Width`` (the field of view) divided by the image width must agree with
   it. ``Pixel Size`` alone refers to SmartSEM's 1024-pixel reference raster, not to the
   stored resolution (a 2048 x 1536 frame says 19.53 nm there for 9.766 nm pixels), so it
   is used only through ``Width`` or, without either, on 1024-pixel-wide images (where
   both meanings agree).
   ``FIB Pixel Size`` and ``Argon Pixel Size`` belong to other columns and are never used.
2. FEI / Thermo Fisher xT, TIFF tag 34682 (``FEI_HELIOS``) or 34680 (``FEI_SFEG``): INI
   text, ``[Scan] PixelWidth`` in metres for ``[Image] ResolutionX`` pixels (checked against
   ``[EBeam] HFW``), ``[EBeam] HV`` in volts, ``WD`` in metres.
3. Philips / FEI XL series, TIFF tag 34680 in the XL binary layout: no pixel size, but the
   magnification (``Vector.Magnification``) and the size of the display it refers to
   (``ImageDevice.SizeY`` in mm times ``RatioXY``): ``nm/px = display width / mag / width``.
4. Sidecar text files with the image's stem (``name.txt``): Hitachi (``PixelSize=`` in nm for
   ``DataSize=WxH``, ``Magnification=``) and JEOL (``$$SM_MICRON_BAR`` pixels for
   ``$$SM_MICRON_MARKER``, on a ``$CM_FULL_SIZE`` raster).
5. ImageJ: ``unit=micron`` (or nm, mm) in the description with ``XResolution`` in pixels
   per unit.
6. Standard ``XResolution`` with ``ResolutionUnit`` inch or centimetre, only when it is
   meaningful: a pixel of at most 10 um that is not a screen or printer resolution (72,
   96, 300, ... dpi), which is what most software writes by default.

Where the stored image was resized after the instrument saved it (its width differs from
the raster the metadata describes), the pixel size is scaled to the stored width.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compute.scale.text import UNIT_NM, InstrumentFields, parse_fields, parse_magnification

log = logging.getLogger(__name__)

TIFF_SUFFIXES = frozenset({".tif", ".tiff"})
ZEISS_TAG, FEI_TAGS = 34118, (34682, 34680)
COMMON_DPI = frozenset({72, 75, 96, 100, 120, 144, 150, 200, 240, 254, 300, 400, 600, 720,
                        800, 1200, 2400, 4800, 9600})
MAX_RESOLUTION_PIXEL_NM = 10_000.0  # coarser "pixels" are page layout, not microscopy
SIDECAR_MAX_BYTES = 1 << 20  # a sidecar larger than this is not an instrument's text file
# Relative uncertainty of each kind of pixel size (half-width of the range it is right in).
UNCERTAINTY = {"zeiss": 0.005, "fei": 0.005, "philips-xl": 0.015, "hitachi-txt": 0.005,
               "jeol-txt": 0.01, "imagej": 0.01, "resolution": 0.02, "zeiss-raster": 0.03}
# Display widths (mm) that printed magnifications refer to, by the reference's name.
REFERENCE_WIDTH_MM = {"polaroid 545": 114.3}
_VALUE_WITH_UNIT = re.compile(r"[=:]\s*(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*(pm|nm|um|mm|m)\b")
_IMAGEJ_UNITS = {"micron": "um", "microns": "um", "um": "um", "\u00b5m": "um",
                 "\\u00b5m": "um", "nm": "nm", "nanometer": "nm", "mm": "mm"}
_SIZE = re.compile(r"(\d+)\s*[x*X ]\s*(\d+)")


@dataclass(frozen=True)
class MetadataScale:
    """What one metadata source says about the image's scale.

    ``nm_per_pixel`` is None when the source has acquisition fields but no pixel size.
    ``source`` names the source (``"zeiss"``, ``"fei"``, ``"philips-xl"``,
    ``"hitachi-txt"``, ``"jeol-txt"``, ``"imagej"``, ``"resolution"``, or a native format
    such as ``"dm"``); ``confidence`` is 1.0 for instrument tags, lower for generic
    resolution tags; ``uncertainty`` is the relative range the pixel size is right within
    (0.005: +-0.5 %). ``maker`` names the instrument maker when the source tells it, and
    ``reference_width_mm`` the display width its magnification refers to, when known.
    """

    nm_per_pixel: float | None
    source: str
    fields: InstrumentFields
    confidence: float
    uncertainty: float = 0.01
    maker: str | None = None
    reference_width_mm: float | None = None
    note: str | None = None


def read_metadata_scales(path: str | os.PathLike[str], *,
                         image_width: int | None = None) -> tuple[MetadataScale, ...]:
    """Every metadata source of the image at ``path``: its TIFF tags and a sidecar text
    file, most trusted first (those stating a pixel size before those with fields only).

    ``image_width`` is the stored image's width in pixels (read from the TIFF when None).
    Never raises: an unreadable source is logged and skipped.
    """
    path = Path(path)
    found: list[MetadataScale] = []
    if path.suffix.lower() in TIFF_SUFFIXES:
        tags, imagej, width = _tiff_tags(path)
        image_width = image_width or width
        if tags is not None:
            found.extend(scales_from_tags(tags, imagej=imagej, image_width=image_width))
    sidecar = _sidecar_scale(path, image_width=image_width)
    if sidecar is not None:
        found.append(sidecar)
    return tuple(sorted(found, key=lambda s: s.nm_per_pixel is None))


def read_metadata_scale(path: str | os.PathLike[str], *,
                        image_width: int | None = None) -> MetadataScale | None:
    """The most trusted metadata source of ``path`` (see :func:`read_metadata_scales`),
    None when it has none."""
    scales = read_metadata_scales(path, image_width=image_width)
    return scales[0] if scales else None


def read_tiff_scale(path: str | os.PathLike[str]) -> MetadataScale | None:
    """The metadata scale of a TIFF file's own tags; None for other files or TIFFs without
    one. A TIFF that cannot be parsed is logged and treated as having no metadata."""
    path = Path(path)
    if path.suffix.lower() not in TIFF_SUFFIXES:
        return None
    tags, imagej, width = _tiff_tags(path)
    if tags is None:
        return None
    return scale_from_tags(tags, imagej=imagej, image_width=width)


def _tiff_tags(path: Path) -> tuple[dict[int, Any] | None, Any, int | None]:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages.first
            tags = {tag.code: tag.value for tag in page.tags.values()}
            return tags, tif.imagej_metadata, int(page.imagewidth)
    except Exception as exc:  # tifffile raises many types for damaged files
        log.warning("cannot read TIFF metadata of %s: %s", path, exc)
        return None, None, None


def scale_from_tags(tags: Mapping[int, Any], *, imagej: Mapping[str, Any] | None = None,
                    image_width: int | None = None) -> MetadataScale | None:
    """The most trusted scale stated by TIFF tag values (tag code -> value as tifffile
    parses them); ``image_width`` is the stored width in pixels (None: unknown)."""
    scales = scales_from_tags(tags, imagej=imagej, image_width=image_width)
    with_pixel = [s for s in scales if s.nm_per_pixel is not None]
    return (with_pixel or scales or [None])[0]


def scales_from_tags(tags: Mapping[int, Any], *, imagej: Mapping[str, Any] | None = None,
                     image_width: int | None = None) -> list[MetadataScale]:
    """Every scale stated by TIFF tags, in :mod:`this module's <compute.scale.metadata>`
    order; generic resolution tags only when no instrument tag states a pixel size."""
    fei = next((tags[c] for c in FEI_TAGS if c in tags), None)
    found = [s for s in (_zeiss(tags.get(ZEISS_TAG), image_width),
                         _fei(fei, image_width), _philips_xl(fei, image_width))
             if s is not None]
    if not any(s.nm_per_pixel is not None for s in found):
        generic = _imagej(tags, imagej) or _resolution(tags)
        if generic is not None:
            found.append(generic)
    return found


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


def zeiss_fields(text: str) -> dict[str, str]:
    """``{lower-case field name: value text}`` of ``name = value`` lines."""
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _zeiss(value: Any, image_width: int | None) -> MetadataScale | None:
    text = zeiss_text(value)
    if not text:
        return None
    fields = zeiss_fields(text)
    store = _SIZE.search(fields.get("store resolution", ""))
    store_width = int(store.group(1)) if store else None
    reference = REFERENCE_WIDTH_MM.get(fields.get("reference mag", "").strip().lower())
    # the named fields, not the first line that looks like one ("FIB EHT = 0.0 kV")
    named = parse_fields("\n".join(f"{k.upper()} = {fields[k]}" for k in ("mag", "eht", "wd")
                                   if k in fields))
    common = {"source": "zeiss", "fields": named, "confidence": 1.0,
              "maker": "zeiss", "reference_width_mm": reference}
    image_pixel = _length_nm(fields.get("image pixel size"))
    field_width = _length_nm(fields.get("width"))
    width = image_width or store_width
    if image_pixel is not None:
        # the value is for the stored raster; scale it when the file was resized since
        nm = image_pixel * (store_width / image_width if store_width and image_width else 1)
        note = None
        if field_width and width and abs(field_width / width / nm - 1) > 0.02:
            note = (f"Image Pixel Size {nm:.4g} nm and Width/{width} px "
                    f"{field_width / width:.4g} nm disagree")
        return MetadataScale(nm_per_pixel=nm, uncertainty=UNCERTAINTY["zeiss"], note=note,
                             **common)
    if field_width is not None and width:
        return MetadataScale(nm_per_pixel=field_width / width,
                             uncertainty=UNCERTAINTY["zeiss"], **common)
    raster = _length_nm(fields.get("pixel size"))
    if raster is not None and image_width == 1024:
        # on a 1024-pixel image both readings of "Pixel Size" (stored image, or SmartSEM's
        # 1024 raster) are the same; on others it is ambiguous and not used
        return MetadataScale(nm_per_pixel=raster, uncertainty=UNCERTAINTY["zeiss-raster"],
                             note="from Pixel Size (no Image Pixel Size, no Width)",
                             **{**common, "confidence": 0.7})
    return MetadataScale(nm_per_pixel=None, **common)


def _length_nm(text: str | None) -> float | None:
    """``2.233 nm`` (or ``... = 2.233 nm``) with any unit of :data:`UNIT_NM`, in nm."""
    if not text:
        return None
    text = text if "=" in text or ":" in text else "= " + text
    match = _VALUE_WITH_UNIT.search(text.replace("\u00b5", "u").replace("\u03bc", "u"))
    if match is None:
        return None
    try:
        nm = float(match.group(1)) * UNIT_NM[match.group(2)]
    except ValueError:
        return None
    return nm if nm > 0 else None


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _fei(value: Any, image_width: int | None) -> MetadataScale | None:
    """FEI / Thermo xT INI metadata (sections ``Scan``, ``EBeam``, ``Image``)."""
    if not isinstance(value, Mapping) or not any(k in value for k in ("Scan", "EScan",
                                                                       "EBeam", "Beam")):
        return None

    def number(section: str, key: str) -> float | None:
        item = value.get(section, {})
        return _positive(item.get(key)) if isinstance(item, Mapping) else None

    width_m = number("Scan", "PixelWidth") or number("EScan", "PixelWidth")
    hv = number("EBeam", "HV") or number("Beam", "HV")
    wd_m = number("EBeam", "WD") or number("Stage", "WorkingDistance")
    raster = number("Image", "ResolutionX") or number("Scan", "ResolutionX")
    hfw_m = number("EBeam", "HFW") or number("Scan", "HorFieldsize")
    fields = InstrumentFields(eht_kv=hv / 1000 if hv else None,
                              wd_mm=wd_m * 1000 if wd_m else None)
    nm = width_m * 1e9 if width_m else None
    if nm is None and hfw_m and raster:
        nm = hfw_m * 1e9 / raster
    if nm is not None and raster and image_width and int(raster) != image_width:
        nm *= raster / image_width  # the image was resized after the instrument saved it
    note = None
    if nm and width_m and hfw_m and raster and abs(hfw_m / raster / width_m - 1) > 0.02:
        note = "PixelWidth and HFW / ResolutionX disagree"
    return MetadataScale(nm_per_pixel=nm, source="fei", fields=fields, confidence=1.0,
                         uncertainty=UNCERTAINTY["fei"], maker="fei", note=note)


def _philips_xl(value: Any, image_width: int | None) -> MetadataScale | None:
    """Philips / FEI XL-series binary metadata (tag 34680 as tifffile parses it)."""
    if not isinstance(value, Mapping) or "Vector" not in value:
        return None
    vector, device = value.get("Vector") or {}, value.get("ImageDevice") or {}
    databar = value.get("DatabarData") or {}
    mag = _positive(vector.get("Magnification"))
    hv = _positive(vector.get("HighTension") or databar.get("flAccV"))
    wd = _positive(vector.get("FWD") or databar.get("flWD"))
    fields = InstrumentFields(magnification=mag, eht_kv=hv / 1000 if hv else None, wd_mm=wd)
    height_mm, ratio = _positive(device.get("SizeY")), _positive(device.get("RatioXY"))
    display_mm = height_mm * ratio if height_mm and ratio else None
    nm = display_mm * 1e6 / mag / image_width if display_mm and mag and image_width else None
    return MetadataScale(nm_per_pixel=nm, source="philips-xl", fields=fields, confidence=0.9,
                         uncertainty=UNCERTAINTY["philips-xl"], maker="philips",
                         reference_width_mm=display_mm,
                         note="from the magnification and the display size")


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
                         fields=InstrumentFields(), confidence=0.9,
                         uncertainty=UNCERTAINTY["imagej"])


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
                         confidence=0.6, uncertainty=UNCERTAINTY["resolution"])


def sidecar_path(path: str | os.PathLike[str]) -> Path | None:
    """The instrument's text file beside ``path`` (same stem, ``.txt`` in any case)."""
    path = Path(path)
    for suffix in (".txt", ".TXT", ".Txt"):
        candidate = path.with_suffix(suffix)
        if candidate != path and candidate.is_file():
            return candidate
    return None


def _sidecar_scale(path: Path, *, image_width: int | None) -> MetadataScale | None:
    text_path = sidecar_path(path)
    if text_path is None:
        return None
    try:
        if text_path.stat().st_size > SIDECAR_MAX_BYTES:
            return None
        text = text_path.read_bytes().decode("latin-1")
    except OSError as exc:
        log.warning("cannot read %s: %s", text_path, exc)
        return None
    return parse_sidecar(text, image_width=image_width)


def parse_sidecar(text: str, *, image_width: int | None = None) -> MetadataScale | None:
    """The scale in a Hitachi (``Key=Value``) or JEOL (``$KEY value``) sidecar text, or
    None when ``text`` is neither."""
    if "$$SM_MICRON_BAR" in text or "$CM_MAG" in text:
        return _jeol(text, image_width)
    if re.search(r"^\s*(PixelSize|Magnification|InstructName)\s*=", text, re.M):
        return _hitachi(text, image_width)
    return None


def _hitachi(text: str, image_width: int | None) -> MetadataScale:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values.setdefault(key.strip().lower(), value.strip())
    nm = _positive(_first_number(values.get("pixelsize")))
    size = _SIZE.search(values.get("datasize", ""))
    if nm is not None and size and image_width and int(size.group(1)) != image_width:
        nm *= int(size.group(1)) / image_width
    hv = _positive(_first_number(values.get("acceleratingvoltage")))
    wd = _positive(_first_number(values.get("workingdistance")))
    wd_unit = values.get("workingdistance", "").lower()
    fields = InstrumentFields(
        magnification=_positive(_first_number(values.get("magnification"))),
        eht_kv=hv / 1000 if hv and hv > 100 else hv,
        wd_mm=(wd / 1000 if wd and "um" in wd_unit else wd))
    return MetadataScale(nm_per_pixel=nm, source="hitachi-txt", fields=fields, confidence=1.0,
                         uncertainty=UNCERTAINTY["hitachi-txt"], maker="hitachi")


def _jeol(text: str, image_width: int | None) -> MetadataScale:
    values = {}
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0].startswith("$"):
            values.setdefault(parts[0].upper(), parts[1].strip())
    bar_px = _positive(_first_number(values.get("$$SM_MICRON_BAR")))
    marker = values.get("$$SM_MICRON_MARKER", "")
    from compute.scale.text import parse_length

    length = parse_length(marker.replace("um", " um").replace("nm", " nm"))
    nm = length.nm / bar_px if length is not None and bar_px else None
    full = _SIZE.search(values.get("$CM_FULL_SIZE", ""))
    if nm is not None and full and image_width and int(full.group(1)) != image_width:
        nm *= int(full.group(1)) / image_width
    kv = _positive(_first_number(values.get("$CM_ACCEL_VOLT")))
    fields = InstrumentFields(
        magnification=_positive(_first_number(values.get("$CM_MAG")))
        or parse_magnification(f"mag {values.get('$CM_MAG', '')} x"),
        eht_kv=kv / 1000 if kv and kv > 100 else kv,
        wd_mm=_positive(_first_number(values.get("$$SM_WD") or values.get("$SM_WD"))))
    return MetadataScale(nm_per_pixel=nm, source="jeol-txt", fields=fields, confidence=1.0,
                         uncertainty=UNCERTAINTY["jeol-txt"], maker="jeol")


def _first_number(text: str | None) -> float | None:
    match = re.search(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", text or "")
    return float(match.group(0)) if match else None

