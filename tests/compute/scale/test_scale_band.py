import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from benchmarks.synthetic_sem import BAND_TONES, LABEL_PLACES, render_frame
from compute.scale.band import analyse_band, as_unit_gray, find_scale_bar, label_boxes

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _band_of(frame):
    top, bottom, left, right = frame.truth.band
    return frame.image[top:bottom, left:right]


def _text_band(text, *, size=18, width=600, height=60, bg=0, ink=255):
    img = Image.new("L", (width, height), bg)
    draw = ImageDraw.Draw(img)
    draw.text((10, 10), text, fill=ink, font=ImageFont.load_default(size=size))
    return np.asarray(img)


def test_segment_length_is_exact_on_a_drawn_rectangle():
    band = np.zeros((40, 300), np.uint8)
    band[20:24, 37:137] = 255
    segment = find_scale_bar(band)
    assert segment is not None
    assert segment.length_px == pytest.approx(100.0)
    assert segment.thickness_px == 4
    assert (segment.box.left, segment.box.right) == (37, 137)


def test_antialiased_ends_count_by_their_fraction():
    band = np.full((40, 300), 255, np.uint8)  # dark bar on a light band
    band[20:23, 50:150] = 0
    band[20:23, 49] = 128  # half-covered pixels at both ends: 101 px long
    band[20:23, 150] = 128
    assert find_scale_bar(band).length_px == pytest.approx(101.0, abs=0.05)


@pytest.mark.parametrize("tone", BAND_TONES)
@pytest.mark.parametrize("place", LABEL_PLACES)
def test_segment_found_on_synthetic_bands(tone, place):
    rng = np.random.default_rng(hash((tone, place)) % 2**32)
    for _ in range(3):
        frame = render_frame(rng, tone=tone, label_place=place)
        segment = find_scale_bar(_band_of(frame))
        assert segment is not None, frame.truth
        assert segment.length_px == pytest.approx(frame.truth.bar_px, abs=1.0)


def test_text_alone_has_no_segment():
    band = _text_band("Mag = 20.00 K X    EHT = 10.00 kV    WD = 7.0 mm", size=30, width=900)
    assert find_scale_bar(band) is None


def test_a_frame_around_the_band_is_not_a_segment():
    band = np.zeros((60, 400), np.uint8)
    band[0:2, :] = band[-2:, :] = 255
    band[:, 0:2] = band[:, -2:] = 255
    band[15:45, 100:200] = 255  # a filled box: not bar-shaped either
    assert find_scale_bar(band) is None


def test_uniform_band_has_no_segment():
    assert find_scale_bar(np.full((50, 200), 40, np.uint8)) is None


def test_dtypes_give_the_same_segment():
    band = np.zeros((40, 300), np.uint8)
    band[10:14, 20:220] = 200
    as_uint16 = band.astype(np.uint16) * 257
    as_float = band.astype(np.float64) / 255.0
    lengths = {find_scale_bar(b).length_px for b in (band, as_uint16, as_float)}
    assert lengths == {200.0}


@pytest.mark.parametrize("bad", [np.zeros((10, 10, 3)), np.zeros(10), np.zeros((2, 50))])
def test_bad_band_shapes_raise_a_clear_error(bad):
    with pytest.raises(ValueError, match="2-D grayscale"):
        as_unit_gray(bad)


@pytest.mark.parametrize("place", LABEL_PLACES)
def test_nearest_label_box_holds_the_label(place):
    rng = np.random.default_rng(7)
    frame = render_frame(rng, label_place=place, tone="dark")
    ink = analyse_band(_band_of(frame))
    segment = find_scale_bar(ink)
    boxes = label_boxes(ink, segment)
    assert boxes
    first = boxes[0]
    bar = segment.box
    if place == "right":
        assert first.left >= bar.right and first.top < bar.bottom and first.bottom > bar.top
    else:
        above = first.bottom <= bar.top
        assert above == (place == "above")
        assert first.left < bar.right and first.right > bar.left
    assert first.height <= 2.5 * ink.text_height


def test_a_subdivided_ruler_bar_is_one_segment_of_its_full_length():
    band = np.zeros((40, 400), np.uint8)
    band[20, 50:250] = band[27, 50:250] = 255  # outline, 200 px long, 8 px high
    band[20:28, 50] = band[20:28, 249] = 255
    for k in range(0, 5, 2):  # divisions 1, 3 and 5 filled
        band[20:28, 50 + 40 * k:50 + 40 * (k + 1)] = 255
    segment = find_scale_bar(band)
    assert segment is not None and segment.style == "ruler"
    assert segment.length_px == pytest.approx(200.0, abs=0.5)


def test_a_boxed_word_is_not_a_ruler():
    img = Image.new("L", (400, 40), 0)
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 12, 260, 30), outline=255)
    draw.text((50, 14), "Signal A = InLens", fill=255, font=ImageFont.load_default(size=14))
    assert find_scale_bar(np.asarray(img)) is None


def test_end_ticks_are_measured_centre_to_centre():
    band = np.zeros((50, 300), np.uint8)
    band[30:34, 40:146] = 255  # the line reaches the ticks' outer edges: 106 px
    band[18:46, 40:44] = band[18:46, 142:146] = 255  # 4-px ticks, centres 102 px apart
    segment = find_scale_bar(band)
    assert segment.style == "ticked" and segment.length_px == pytest.approx(102.0)
    assert segment.uncertainty_px == pytest.approx(2.0)
