"""Reading lengths and instrument fields out of text (OCR output or TIFF metadata).

Lengths are returned in nanometres. OCR confusions are normalised first: the micro sign
(U+00B5), the Greek mu (U+03BC) and the usual misreadings of either ('u', 'p', 'y' before
'm') all mean micrometre; 'O'/'o' inside numbers is a zero, 'l'/'I' a one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT_NM = {"pm": 1e-3, "nm": 1.0, "um": 1e3, "mm": 1e6, "cm": 1e7, "m": 1e9}

# one or two letters (not n, m, r) between a number and 'm' are a misread micro sign
_MICRO = re.compile(r"(?<=[\d\s.,])[^\W\d_nNmMrR]{1,2}\s?[mM](?![a-zA-Z])")
_LEADING_DIGIT = re.compile(r"(?<![\w.])([lI|SO])(?=\d*\s?[^\W\d_]?m(?![a-zA-Z]))")
_DIGIT_OF = {"l": "1", "I": "1", "|": "1", "S": "5", "O": "0"}
_RN = re.compile(r"(?<=[\d\s.,])([µμuUpyYnm]?)rn(?![a-zA-Z])")
_NANO = re.compile(r"(?<=[\d\s.,])(?:nm|NM|Nm|nM|rm|hm)(?![a-zA-Z])")
_MILLI = re.compile(r"(?<=[\d\s.,])(?:mm|MM|rnrn|mrn|rnm)(?![a-zA-Z])")
_LABEL = re.compile(r"(?<![\d.])(\d{1,4}(?:[.,]\d{1,3})?)\s*(nm|um|mm)(?![a-zA-Z])")


@dataclass(frozen=True)
class Length:
    """A length read from text: ``value`` in ``unit`` equals ``nm`` nanometres."""

    value: float
    unit: str
    nm: float

    @property
    def label(self) -> str:
        """Canonical ASCII form, e.g. ``"2 um"``, ``"200 nm"``, ``"1.5 mm"``."""
        return f"{self.value:g} {self.unit}"


@dataclass(frozen=True)
class InstrumentFields:
    """Optional acquisition fields printed in a data bar or stored in metadata."""

    magnification: float | None = None  # e.g. 20000.0 for "Mag = 20.00 K X"
    eht_kv: float | None = None          # accelerating voltage in kV
    wd_mm: float | None = None           # working distance in mm
    field_width_nm: float | None = None  # printed width of the field of view, in nm


def normalise_units(text: str) -> str:
    """Rewrite OCR spellings of nm / µm / mm as ASCII ``nm`` / ``um`` / ``mm``."""
    text = text.replace("\u00b5", "u").replace("\u03bc", "u")
    text = _LEADING_DIGIT.sub(lambda m: _DIGIT_OF[m.group(1)], text)  # "lpm": "1 um"
    text = _RN.sub(r"\1m", text)  # 'rn' is OCR's usual misreading of 'm'
    text = _MICRO.sub("um", text)
    text = _NANO.sub("nm", text)
    return _MILLI.sub("mm", text)


def _fix_digits(text: str) -> str:
    """'O'/'o' between or after digits -> 0, 'l'/'I'/'|' next to digits -> 1."""
    text = re.sub(r"(?<=\d)[Oo]|[Oo](?=\d)", "0", text)
    text = re.sub(r"(?<=\d)[lI|]|[lI|](?=\d)", "1", text)
    return re.sub(r"(?<=\d)S|S(?=\d)", "5", text)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def find_lengths(text: str, *, standalone: bool = False) -> list[Length]:
    """Every ``<number> <nm|um|mm>`` in ``text``, in reading order (after normalising).

    With ``standalone`` only lengths that are not a field's value (not after ``=`` or
    ``:``, as in ``WD = 7.0 mm`` or ``Pixel Size = 2 nm``): how a lone label looks.
    """
    text = normalise_units(_fix_digits(text))
    found = []
    for match in _LABEL.finditer(text):
        if standalone and text[:match.start()].rstrip().endswith(("=", ":")):
            continue
        value = _number(match.group(1))
        if value > 0:
            unit = match.group(2)
            found.append(Length(value=value, unit=unit, nm=value * UNIT_NM[unit]))
    return found


def parse_length(text: str) -> Length | None:
    """The first length in ``text`` (a scale-bar label such as ``"2 µm"``), or None."""
    lengths = find_lengths(text)
    return lengths[0] if lengths else None


_LABEL_ALONE = re.compile(r"^\s*(\d{1,4}(?:[.,]\d{1,3})?)\s*([^\s\d.,]\S{0,3})\s*$")


def parse_label_crop(text: str) -> Length | None:
    """A scale-bar label read from a crop that holds only the label: :func:`parse_length`,
    else the number and a unit told by its first letters, whatever OCR made of the rest of
    the micro sign ("2.00uUmM", "2.00u4m" -> 2 um; "500nrn" -> 500 nm; "1mrn" -> 1 mm)."""
    found = parse_length(text)
    if found is not None:
        return found
    match = _LABEL_ALONE.match(_fix_digits(text))
    if match is None:
        return None
    token = match.group(2)
    first, rest = token[0], token[1:].lower()
    if first in "uU\u00b5\u03bcyp" and "m" in rest:
        unit = "um"
    elif first in "nN" and rest[:1] in ("m", "r"):
        unit = "nm"
    elif first in "mM" and rest[:1] in ("m", "r"):
        unit = "mm"
    else:
        return None
    value = _number(match.group(1))
    return Length(value=value, unit=unit, nm=value * UNIT_NM[unit]) if value > 0 else None


def is_nice_label(length: Length) -> bool:
    """True for the values instruments put on scale bars: 1, 1.5, 2, 2.5, 3, 4, 5 x 10^k."""
    mantissa = length.value / 10 ** _decade(length.value)
    return any(abs(mantissa - m) < 1e-6 for m in (1, 1.5, 2, 2.5, 3, 4, 5))


def _decade(value: float) -> int:
    import math

    return math.floor(math.log10(value) + 1e-9)


_MAG = re.compile(r"\bmag\w*\s*[=:]?\s*(\d[\d\s.,]*?)\s*([kKM])?\s*[xX×](?![a-wyzA-WYZ])",
                  re.IGNORECASE)
_EHT = re.compile(r"\b(?:EHT|HV|Voltage|Acc\.?\s*V)\s*[=:]?\s*(\d+(?:[.,]\d+)?)\s*(kV|V)\b",
                  re.IGNORECASE)
_WD = re.compile(r"\bW\.?\s?D\.?\s*[=:]?\s*(\d+(?:[.,]\d+)?)\s*(mm|um)(?![a-zA-Z])",
                 re.IGNORECASE)


# without the word "Mag": Hitachi "X3.50k", JEOL "x5,000", Philips/FEI "35000x"
# (a number never ends in its separator: "x8. 2k" is a misread, not x8)
_MAG_BEFORE = re.compile(r"(?<![\w.,])[xX\u00d7]\s?(\d+(?:[.,]\d+)*)\s?([kK])?(?![\w.,])")
_MAG_AFTER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)\s?([kK])?\s?[xX\u00d7](?![\w.,])")
MIN_BARE_MAGNIFICATION = 5.0  # "2x" without the word Mag is too likely something else


def parse_magnification(text: str) -> float | None:
    """``"Mag = 20.00 K X"`` -> 20000.0; ``"mag 5 000 x"`` -> 5000.0; without the word:
    ``"X3.50k"`` -> 3500.0, ``"x5,000"`` -> 5000.0, ``"35000x"`` -> 35000.0; None if
    absent."""
    text = _fix_digits(text)
    match = _MAG.search(text)
    if match is not None:
        return _magnification_value(match)
    for pattern in (_MAG_BEFORE, _MAG_AFTER):
        for match in pattern.finditer(text):
            value = _magnification_value(match)
            if value is not None and value >= MIN_BARE_MAGNIFICATION:
                return value
    return None


def _magnification_value(match: re.Match) -> float | None:
    digits = re.sub(r"\s", "", match.group(1)).rstrip(".,")
    if not digits:
        return None
    factor = {"k": 1e3, "m": 1e6}.get((match.group(2) or "").lower(), 1.0)
    if factor > 1.0 and len(digits) > 3 and not re.search(r"[.,]", digits):
        return None  # "1128 K X": instruments print "11.28 K X"; the point was lost
    try:
        # a bare comma is a thousands separator ("20,000 X"); with a K it is a decimal comma
        value = float(digits.replace(",", "." if match.group(2) else ""))
    except ValueError:
        return None
    return value * factor if value > 0 else None


# the width of the field of view as makers print it: FEI/Thermo "HFW 12.7 um", Zeiss
# "Width = 20.00 um", TESCAN "View field: 20.8 um", others "FOV"
_FIELD_WIDTH = re.compile(r"\b(?:HFW|Width|View\s*field|Field\s*of\s*view|FOV)\s*[=:]?\s*"
                          r"(\d+(?:[.,]\d+)?)\s*(nm|um|mm)(?![a-zA-Z])", re.IGNORECASE)


def parse_fields(text: str) -> InstrumentFields:
    """Magnification, EHT, working distance and field width found anywhere in ``text``."""
    text = normalise_units(_fix_digits(text))
    field = _FIELD_WIDTH.search(text)
    field_nm = _number(field.group(1)) * UNIT_NM[field.group(2).lower()] if field else None
    eht = _EHT.search(text)
    wd = _WD.search(text)
    eht_kv = None
    if eht:
        eht_kv = _number(eht.group(1)) / (1.0 if eht.group(2).lower() == "kv" else 1000.0)
    wd_mm = None
    if wd:
        wd_mm = _number(wd.group(1)) * (1.0 if wd.group(2).lower() == "mm" else 1e-3)
    return InstrumentFields(magnification=parse_magnification(text), eht_kv=eht_kv,
                            wd_mm=wd_mm, field_width_nm=field_nm or None)
