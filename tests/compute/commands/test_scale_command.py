import csv
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from compute.cli import main
from compute.scale.table import CSV_COLUMNS
from tests.hostile_text import formula_cells

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _micrograph_with_bar(path, *, bar_px=200, label="2 \u00b5m"):
    """1024x768 noisy frame with a dark 68-px data bar: the bar stands for ``label``; the
    magnification printed is the one a Zeiss instrument (Polaroid 545, 114.3 mm) prints
    for 2 um over 200 px: 114.3 mm / 10.24 um = 11.16 K X."""
    rng = np.random.default_rng(0)
    frame = rng.integers(60, 200, size=(768, 1024), dtype=np.uint8)
    band = Image.new("L", (1024, 68), 0)
    draw = ImageDraw.Draw(band)
    draw.rectangle((40, 40, 40 + bar_px - 1, 43), fill=255)
    draw.text((110, 12), label, fill=255, font=ImageFont.truetype(DEJAVU, 20))
    draw.text((400, 12), "Mag = 11.16 K X", fill=255, font=ImageFont.truetype(DEJAVU, 20))
    frame[700:] = np.asarray(band)
    Image.fromarray(frame).save(path)


def _rows(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["path"]: row for row in csv.DictReader(fh)}


@pytest.mark.skipif(shutil.which("tesseract") is None,
                    reason="Tesseract OCR is not installed: apt-get install tesseract-ocr")
def test_scale_command_writes_one_row_per_image(tmp_path, capsys):
    images = tmp_path / "images"
    (images / "sub").mkdir(parents=True)
    _micrograph_with_bar(images / "sub" / "with_bar.png")
    Image.fromarray(np.full((300, 400), 128, np.uint8)).save(images / "plain.png")
    (images / "broken.tif").write_bytes(b"II*\x00 not a tiff")
    out, cache = tmp_path / "scales.csv", tmp_path / "cache"

    argv = ["scale", str(images), "--out", str(out), "--no-progress", "--cache-dir", str(cache),
            "--jobs", "2"]
    assert main(argv) == 0
    assert "3 images" in capsys.readouterr().out
    with out.open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["path", *CSV_COLUMNS]
    rows = _rows(out)
    assert set(rows) == {"sub/with_bar.png", "plain.png", "broken.tif"}
    bar = rows["sub/with_bar.png"]
    assert (bar["status"], bar["source"], bar["label"], bar["group"]) == ("ok", "ocr", "2 um",
                                                                          "2 um")
    assert float(bar["nm_per_pixel"]) == pytest.approx(10.0, rel=0.02)
    assert float(bar["magnification"]) == pytest.approx(11160.0)
    assert rows["plain.png"]["status"] == "no_data_bar"
    assert rows["plain.png"]["group"] == "unknown"
    assert rows["broken.tif"]["status"] == "unreadable_image"
    assert rows["broken.tif"]["message"]

    cached = sorted((cache / "scale").glob("*.pkl"))
    assert len(cached) == 3  # one entry per file content
    assert main(argv) == 0  # a second run reads the cache and writes the same table
    assert _rows(out) == rows


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    code = main(["scale", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv"),
                 "--no-progress", "--cache-dir", "none"])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_file_names_that_look_like_formulas_are_neutralised(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for name in ("+plain.png", "=1+1.png", "ok.png"):
        Image.fromarray(np.full((300, 400), 128, np.uint8)).save(images / name)
    out = tmp_path / "scales.csv"
    assert main(["scale", str(images), "--out", str(out), "--no-progress", "--cache-dir",
                 "none"]) == 0
    text = out.read_text(encoding="utf-8")
    assert formula_cells(text) == []
    assert set(_rows(out)) == {"'+plain.png", "'=1+1.png", "ok.png"}
