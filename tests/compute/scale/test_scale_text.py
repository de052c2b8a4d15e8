import pytest

from compute.scale.text import (
    Length,
    find_lengths,
    is_nice_label,
    normalise_units,
    parse_fields,
    parse_length,
)


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("2 \u00b5m", 2, "um"), ("2 \u03bcm", 2, "um"), ("2 um", 2, "um"), ("2um", 2, "um"),
    ("2 pm", 2, "um"), ("3 yum", 3, "um"), ("2 urn", 2, "um"), ("lpm", 1, "um"), ("Sum", 5, "um"),
    ("200 nm", 200, "nm"), ("200nrn", 200, "nm"), ("2O0 nm", 200, "nm"),
    ("1 mm", 1, "mm"), ("1.5 \u00b5m", 1.5, "um"), ("0,5 um", 0.5, "um"),
    ("  100 nm  ", 100, "nm"),
])
def test_parse_length_reads_labels_and_ocr_misreadings(text, value, unit):
    length = parse_length(text)
    assert length is not None
    assert (length.value, length.unit) == (value, unit)
    scale = {"nm": 1.0, "um": 1e3, "mm": 1e6}[unit]
    assert length.nm == pytest.approx(value * scale)
    assert length.label == f"{value:g} {unit}"


@pytest.mark.parametrize("text", ["", "EHT = 10.00 kV", "Signal A = InLens", "Date :12 Mar",
                                  "nm", "2 kV", "m"])
def test_parse_length_is_none_without_a_length(text):
    assert parse_length(text) is None


def test_normalise_units_keeps_words_intact():
    assert normalise_units("Signal A = InLens  Mag = 20 K X") == \
        "Signal A = InLens  Mag = 20 K X"


def test_standalone_lengths_skip_field_values():
    text = "WD = 7.0 mm  200 nm  Pixel Size = 2.2 nm"
    assert [x.label for x in find_lengths(text)] == ["7 mm", "200 nm", "2.2 nm"]
    assert [x.label for x in find_lengths(text, standalone=True)] == ["200 nm"]


@pytest.mark.parametrize(("text", "mag"), [
    ("Mag = 20.00 K X", 20000.0), ("Mag = 500 X", 500.0), ("mag 20 000 x", 20000.0),
    ("Mag= 1.50 M X", 1.5e6), ("Mag = 20,000 X", 20000.0), ("Mag = 2,50 K X", 2500.0),
])
def test_parse_fields_magnification(text, mag):
    assert parse_fields(text).magnification == pytest.approx(mag)


def test_parse_fields_reads_eht_and_wd_in_their_units():
    fields = parse_fields("EHT = 10.00 kV   WD = 7.5 mm\nSignal A = InLens")
    assert (fields.eht_kv, fields.wd_mm, fields.magnification) == (10.0, 7.5, None)
    fei = parse_fields("HV 500 V  WD 800 um")
    assert fei.eht_kv == pytest.approx(0.5)
    assert fei.wd_mm == pytest.approx(0.8)


def test_parse_fields_empty_text_gives_no_fields():
    assert parse_fields("") == parse_fields("no fields here")
    assert parse_fields("").magnification is None


@pytest.mark.parametrize(("value", "nice"), [(1, True), (2, True), (200, True), (0.5, True),
                                             (2.5, True), (65, False), (38, False), (7, False)])
def test_is_nice_label(value, nice):
    assert is_nice_label(Length(value=value, unit="nm", nm=value)) is nice


@pytest.mark.parametrize(("text", "mag"), [
    ("SU3500 15.0kV 9.1mm X3.50k BSE-COMP", 3500.0), ("SEI 15kV WD10mm x5,000 5um", 5000.0),
    ("Magn\n35000x", 35000.0), ("SEM MAG: 10.0 kx", 10000.0), ("x8. 2k SE", None),
    ("Mag = 1128 K X", None), ("2x zoom", None),
])
def test_magnification_without_the_word_mag(text, mag):
    from compute.scale.text import parse_magnification

    assert parse_magnification(text) == (pytest.approx(mag) if mag else None)


@pytest.mark.parametrize(("text", "nm"), [
    ("WD = 4.6 mm   Width = 20.00 \u00b5m", 20000.0), ("HV 5.00 kV | HFW 12.7 \u00b5m", 12700.0),
    ("View field: 20.8 \u00b5m", 20800.0), ("Pixel Size = 2 nm", None),
])
def test_printed_field_width(text, nm):
    assert parse_fields(text).field_width_nm == (pytest.approx(nm) if nm else None)


@pytest.mark.parametrize(("text", "label"), [
    ("2.00uUmM", "2 um"), ("2.00u4m", "2 um"), ("500nrn", "500 nm"), ("10.0\u00b5m", "10 um"),
    ("SU8230", None), ("2.00", None), ("50 nA", None), ("5 kV", None),
])
def test_label_crops_are_read_by_the_unit_first_letters(text, label):
    from compute.scale.text import parse_label_crop

    found = parse_label_crop(text)
    assert (found.label if found else None) == label
