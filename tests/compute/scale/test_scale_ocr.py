import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from compute.scale.band import Box, analyse_band
from compute.scale.ocr import OcrError, prepare_crop, read_label_text, run_tesseract
from compute.scale.text import parse_length

FONTS = ("dejavu/DejaVuSans.ttf", "liberation/LiberationSerif-Regular.ttf",
         "dejavu/DejaVuSansMono.ttf")


def _label_band(text, font, *, size=22, bg=10, ink=240):
    fnt = ImageFont.truetype(f"/usr/share/fonts/truetype/{font}", size=size)
    img = Image.new("L", (260, 60), bg)
    ImageDraw.Draw(img).text((20, 15), text, fill=ink, font=fnt)
    band = np.asarray(img)
    rows, cols = np.nonzero(np.abs(band.astype(int) - bg) > 60)
    return band, Box(rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)


def test_prepare_crop_gives_dark_text_on_white_for_both_polarities():
    for bg, ink in ((10, 240), (245, 5)):
        band, box = _label_band("200 nm", FONTS[0], bg=bg, ink=ink)
        page = prepare_crop(analyse_band(band), box)
        assert page.dtype == np.uint8
        assert np.median(page) == 255  # white paper
        assert page.min() < 60  # dark ink
        assert page.shape[0] > box.height  # upscaled and padded


@pytest.mark.usefixtures("tesseract")
@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize(("text", "expected"), [
    ("200 nm", "200 nm"), ("2 \u00b5m", "2 um"), ("10 \u03bcm", "10 um"), ("1 mm", "1 mm"),
])
def test_label_is_read_in_several_fonts(font, text, expected):
    band, box = _label_band(text, font)
    ocr = read_label_text(analyse_band(band), box)
    length = parse_length(ocr.text)
    assert length is not None, ocr
    assert length.label == expected
    assert 0.0 <= ocr.confidence <= 1.0


def test_missing_tesseract_is_an_ocr_error(monkeypatch):
    pytesseract = pytest.importorskip("pytesseract")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    page = np.full((40, 100), 255, np.uint8)
    with pytest.raises(OcrError, match="tesseract"):
        run_tesseract(page, psm=7)


@pytest.mark.usefixtures("tesseract")
def test_thread_limit_is_set_only_during_calls(monkeypatch):
    import os

    import pytesseract

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    seen = []
    real = pytesseract.image_to_data

    def spy(*args, **kwargs):
        seen.append(os.environ.get("OMP_THREAD_LIMIT"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pytesseract, "image_to_data", spy)
    run_tesseract(np.full((40, 100), 255, np.uint8), psm=7)
    assert seen == ["1"]
    assert "OMP_THREAD_LIMIT" not in os.environ
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")  # the user's own setting is kept
    run_tesseract(np.full((40, 100), 255, np.uint8), psm=7)
    assert seen[-1] == "3"
    assert os.environ["OMP_THREAD_LIMIT"] == "3"
