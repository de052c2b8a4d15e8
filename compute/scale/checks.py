"""Cross-checks of a scale reading's independent values: metadata, bar, magnification, field.

Two readings agree when their ratio is within :data:`AGREEMENT_SIGMAS` times the sum of
their relative uncertainties (never closer than :data:`MIN_AGREEMENT`); readings that do
not give status ``conflict`` with both values and no pixel size.
"""

from __future__ import annotations

import re
from dataclasses import replace

from compute.scale.metadata import MetadataScale
from compute.scale.reading import CONFLICT, OK, ScaleReading

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


def agree(a: float, ua: float, b: float, ub: float) -> bool:
    """Whether two pixel sizes with relative uncertainties ``ua``, ``ub`` agree."""
    tolerance = max(MIN_AGREEMENT, AGREEMENT_SIGMAS * (ua + ub))
    return abs(a / b - 1.0) <= tolerance


def conflict(reading: ScaleReading, first: str, a: float, second: str, b: float,
              **values) -> ScaleReading:
    gap = abs(a / b - 1.0)
    return replace(reading, status=CONFLICT, nm_per_pixel=None, uncertainty=None,
                   confidence=0.0, **values,
                   message=f"{first} says {a:.4g} nm/px, {second} {b:.4g} nm/px: they "
                           f"disagree by {100 * gap:.1f} %; no scale group")


def maker_of(text: str) -> str | None:
    if _HITACHI_TEXT.search(text):
        return "hitachi"
    if _ZEISS_TEXT.search(text):
        return "zeiss"
    return None


def magnification_conflict(reading: ScaleReading, *, width: int, maker: str | None,
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
        if not agree(reading.nm_per_pixel_bar, reading.uncertainty or 0.0, from_field,
                      FIELD_WIDTH_UNCERTAINTY):
            return conflict(reading, "data bar", reading.nm_per_pixel_bar,
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
        return conflict(reading, "data bar", reading.nm_per_pixel_bar, what, from_mag,
                         nm_per_pixel_magnification=from_mag)
    low, high = PLAUSIBLE_REFERENCE_MM
    if low <= implied_mm <= high:
        return reading
    return replace(reading, status=CONFLICT, nm_per_pixel=None, confidence=0.0,
                   message=(f"data bar says {reading.nm_per_pixel_bar:.4g} nm/px, which with "
                            f"the printed magnification x{reading.magnification:g} means a "
                            f"{implied_mm:.0f} mm display (plausible: {low:g}-{high:g} mm); "
                            "label or magnification misread?"))


def merge_metadata(from_bar: ScaleReading, metas: list[MetadataScale]) -> ScaleReading:
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
        if not agree(meta.nm_per_pixel, meta.uncertainty, other.nm_per_pixel,
                      other.uncertainty):
            return conflict(merged, f"metadata ({meta.source})", meta.nm_per_pixel,
                             f"metadata ({other.source})", other.nm_per_pixel,
                             nm_per_pixel_metadata=meta.nm_per_pixel)
    if from_bar.status == CONFLICT:
        return replace(merged, nm_per_pixel_metadata=meta.nm_per_pixel)
    if from_bar.ok and from_bar.nm_per_pixel_bar is not None and not agree(
            from_bar.nm_per_pixel_bar, from_bar.uncertainty or 0.0, meta.nm_per_pixel,
            meta.uncertainty):
        return conflict(merged, "data bar", from_bar.nm_per_pixel_bar,
                             f"metadata ({meta.source})", meta.nm_per_pixel,
                             nm_per_pixel_metadata=meta.nm_per_pixel)
    message = None if from_bar.ok else f"data bar: {from_bar.status}"
    if meta.note:
        message = f"{message}; {meta.note}" if message else meta.note
    return replace(merged, status=OK, source=f"metadata:{meta.source}",
                   nm_per_pixel=meta.nm_per_pixel, nm_per_pixel_metadata=meta.nm_per_pixel,
                   uncertainty=meta.uncertainty, confidence=meta.confidence, message=message)
