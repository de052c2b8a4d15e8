"""SEM data bar detection on synthetic frames and on real (bar-free) micrographs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from compute.scale.databar import DataBar, crop_box_without_bar, detect_data_bar
from tests.compute._image_fixtures import NANOWIRES, NANOWIRES_REASON

needs_nanowires = pytest.mark.skipif(not NANOWIRES.is_dir(), reason=NANOWIRES_REASON)


def _micrograph(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A noisy SEM-like texture: smooth blobs plus shot noise, uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 90 + 40 * np.sin(xx / 23.0) * np.cos(yy / 17.0)
    return np.clip(base + rng.normal(0, 12, (h, w)), 0, 255).astype(np.uint8)


def _with_bar(image: np.ndarray, bar_height: int, *, dark: bool,
              separator: bool = False) -> np.ndarray:
    """Append a data bar with text and a scale bar below ``image`` (like a 1024x768 frame)."""
    h, w = image.shape
    bg, ink = (0, 255) if dark else (235, 10)
    frame = Image.new("L", (w, h + bar_height), color=bg)
    frame.paste(Image.fromarray(image), (0, 0))
    draw = ImageDraw.Draw(frame)
    font = ImageFont.load_default(size=max(10, bar_height // 3))
    y = h + bar_height // 4
    draw.text((10, y), "EHT = 5.00 kV   WD = 4.1 mm   Mag = 8.00 K X", fill=ink, font=font)
    draw.text((w - 260, y), "Signal A = InLens", fill=ink, font=font)
    draw.rectangle((w // 2, y + bar_height // 3, w // 2 + 120, y + bar_height // 3 + 4), fill=ink)
    if separator:
        draw.line((0, h, w, h), fill=255 - bg, width=2)
    return np.asarray(frame)


@pytest.mark.parametrize("dark", [True, False])
def test_finds_dark_and_light_bars_on_1024x768_frames(dark: bool) -> None:
    frame = _with_bar(_micrograph(690, 1024), 78, dark=dark)
    bar = detect_data_bar(frame)
    assert bar is not None
    assert (bar.top, bar.bottom, bar.left, bar.right) == (690, 768, 0, 1024)
    assert 0.5 < bar.confidence <= 1.0
    assert crop_box_without_bar(frame.shape, bar) == (0, 0, 1024, 690)


def test_separator_line_belongs_to_the_bar() -> None:
    frame = _with_bar(_micrograph(700, 1024, seed=1), 68, dark=True, separator=True)
    bar = detect_data_bar(frame)
    assert bar is not None and bar.top == 700 and bar.bottom == 768


def test_sixteen_bit_and_float_frames() -> None:
    frame = _with_bar(_micrograph(600, 800, seed=2), 64, dark=True).astype(np.uint16) * 257
    bar16 = detect_data_bar(frame)
    bar_float = detect_data_bar(frame.astype(np.float32) / 65535.0)
    assert bar16 is not None and bar16.top == 600
    assert bar_float == bar16


@pytest.mark.parametrize(("dark", "quality"), [(True, 50), (False, 50), (False, 95)])
def test_survives_jpeg_compression(dark: bool, quality: int) -> None:
    frame = _with_bar(_micrograph(690, 1024, seed=3), 78, dark=dark)
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="JPEG", quality=quality)
    decoded = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    bar = detect_data_bar(decoded)
    assert bar is not None
    assert abs(bar.top - 690) <= 2 and bar.bottom == 768


@pytest.mark.parametrize("make", [
    lambda: _micrograph(768, 1024),
    lambda: np.zeros((768, 1024), np.uint8),  # constant
    lambda: np.tile(np.linspace(0, 1, 1024), (768, 1)),  # gradient
    lambda: np.zeros((28, 28), np.uint8),  # too small to carry a bar
])
def test_none_without_a_bar(make) -> None:
    assert detect_data_bar(make()) is None


def test_noisy_16_bit_image_with_hot_pixels_has_no_bar() -> None:
    image = (1000 + 40 * _micrograph(768, 1024, seed=4).astype(np.uint16)) // 8
    image[::31, ::13] = 65535  # 0.25 % hot pixels look like ink on a flat band
    assert detect_data_bar(image) is None


def test_flat_band_without_text_is_not_a_bar() -> None:
    frame = np.vstack([_micrograph(690, 1024), np.zeros((78, 1024), np.uint8)])
    assert detect_data_bar(frame) is None


def test_rejects_colour_arrays_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="2-D grayscale"):
        detect_data_bar(np.zeros((100, 100, 3), np.uint8))


def test_crop_box_without_bar() -> None:
    assert crop_box_without_bar((768, 1024), None) == (0, 0, 1024, 768)
    top_bar = DataBar(top=0, bottom=40, left=0, right=1024, confidence=1.0)
    assert crop_box_without_bar((768, 1024, 3), top_bar) == (0, 40, 1024, 768)
    floating = DataBar(top=690, bottom=730, left=40, right=600, confidence=1.0, kind="box")
    assert crop_box_without_bar((768, 1024), floating) == (0, 0, 1024, 690)
    assert crop_box_without_bar((768, 1024), DataBar(10, 20, 0, 1024, 1.0)) == (0, 20, 1024, 768)
    with pytest.raises(ValueError, match="not inside"):
        crop_box_without_bar((768, 1024), DataBar(700, 800, 0, 1024, 1.0))


@needs_nanowires
def test_real_nanowire_micrographs_have_no_bar() -> None:
    files = sorted(NANOWIRES.glob("*.png"))
    assert files
    found = {f.name: detect_data_bar(np.asarray(Image.open(f).convert("L"))) for f in files}
    assert {name: bar for name, bar in found.items() if bar is not None} == {}


@needs_nanowires
@pytest.mark.parametrize("dark", [True, False])
def test_bar_added_to_a_real_micrograph_is_found(dark: bool) -> None:
    image = np.asarray(Image.open(NANOWIRES / "datasets_NWs-8kMag-fullres_140nm_10_cropped.png")
                       .convert("L"))
    frame = _with_bar(image, 80, dark=dark)
    bar = detect_data_bar(frame)
    assert bar is not None and (bar.top, bar.bottom) == (image.shape[0], frame.shape[0])


def _box_in_frame(dark: bool = True) -> np.ndarray:
    """A 484x712 micrograph with a data box floating inside it (picture below and beside),
    as the Philips XL30 draws it."""
    frame = Image.fromarray(_micrograph(484, 712, seed=6))
    box = Image.new("L", (576, 40), 0 if dark else 255)
    draw = ImageDraw.Draw(box)
    font = ImageFont.load_default(size=12)
    ink = 255 if dark else 0
    draw.text((4, 4), "E Beam  Spot  Magn    WD", fill=ink, font=font)
    draw.text((4, 22), "5.00 kV  3.0  35000x  4.9  University", fill=ink, font=font)
    draw.rectangle((250, 8, 410, 9), fill=ink)
    draw.rectangle((248, 0, 249, 16), fill=ink)  # end ticks touching the box's edge
    draw.rectangle((410, 0, 411, 16), fill=ink)
    frame.paste(box, (43, 423))
    return np.asarray(frame)


@pytest.mark.parametrize("dark", [True, False])
def test_a_box_floating_inside_the_frame_is_found(dark: bool) -> None:
    bar = detect_data_bar(_box_in_frame(dark))
    assert bar is not None and bar.kind == "box"
    assert (bar.left, bar.top, bar.right, bar.bottom) == (43, 423, 619, 463)
    assert crop_box_without_bar((484, 712), bar) == (0, 0, 712, 423)


def test_a_framed_stripe_with_picture_rows_below_is_found() -> None:
    frame = _with_bar(_micrograph(690, 1024, seed=7), 78, dark=False).copy()
    frame[690, :] = frame[-3, :] = 0  # frame lines above and below the stripe
    frame[-2:] = _micrograph(2, 1024, seed=8)  # two picture rows under it
    bar = detect_data_bar(frame)
    assert bar is not None and bar.kind == "stripe"
    assert (bar.top, bar.bottom) == (690, 765)


def test_a_jpeg_box_is_found() -> None:
    buf = io.BytesIO()
    Image.fromarray(_box_in_frame()).save(buf, format="JPEG", quality=70)
    bar = detect_data_bar(np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L")))
    assert bar is not None and bar.kind == "box" and abs(bar.top - 423) <= 1


def _overlay(ticks: int = 11, step: int = 35) -> np.ndarray:
    """Hitachi SU style: a tick row, a label and fields drawn in white over the picture."""
    frame = Image.fromarray(_micrograph(960, 1280, seed=9))
    draw = ImageDraw.Draw(frame)
    font = ImageFont.load_default(size=28)
    x0 = 1250 - (ticks - 1) * step
    for k in range(ticks):
        draw.rectangle((x0 + k * step - 2, 896, x0 + k * step + 1, 907), fill=255)
    draw.text((1250, 950), "10.0um", fill=255, font=font, anchor="rd")
    draw.text((10, 950), "SU3500 15.0kV 9.1mm X3.50k BSE", fill=255, font=font, anchor="ld")
    return np.asarray(frame)


def test_an_overlay_with_a_tick_row_is_found() -> None:
    from compute.scale.overlay import overlay_marks

    gray = _overlay()
    bar = detect_data_bar(gray)
    assert bar is not None and bar.kind == "overlay" and bar.bottom == 960
    marks = overlay_marks(gray)
    centres = [(t[0] + t[2]) / 2 for t in marks.ticks]
    assert len(centres) == 11 and centres[-1] - centres[0] == pytest.approx(350.0)


def test_a_tick_row_that_is_not_a_whole_ruler_is_refused() -> None:
    from compute.scale.overlay import overlay_marks

    marks = overlay_marks(_overlay(ticks=8))  # part of a ruler would give a wrong length
    assert marks is None or not marks.ticks


def test_a_flat_drawing_is_not_a_data_bar() -> None:
    drawing = np.full((400, 500), 255, np.uint8)
    drawing[100:300, 100:400] = 0
    img = Image.fromarray(drawing)
    ImageDraw.Draw(img).text((150, 250), "A B C D", fill=255, font=ImageFont.load_default(size=20))
    assert detect_data_bar(np.asarray(img)) is None
