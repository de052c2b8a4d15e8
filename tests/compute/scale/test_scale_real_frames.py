"""The scale reader on the real SEM frames of ../shared/data/sem-databar (catalog.csv):
every reader path (Zeiss 34118, Philips XL 34680, sidecar text, panels, overlays, end
ticks, tick rows, cross-checks) on frames as the instruments saved them."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compute.ingest import scan_folder
from compute.scale import read_dataset_scales, read_scale_file
from compute.scale.databar import crop_box_without_bar, detect_data_bar
from compute.scale.metadata import read_metadata_scales, scale_from_tags

REPO = Path(__file__).resolve().parents[3]
DATA = REPO.parent / "shared" / "data" / "sem-databar"


def _catalog() -> dict[str, dict]:
    if not (DATA / "catalog.csv").is_file():
        return {}
    with (DATA / "catalog.csv").open(encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


CATALOG = _catalog()
needs_frames = pytest.mark.skipif(not CATALOG, reason=f"real SEM frames not found at {DATA} "
                                  "(CI clones the repo with shared/ beside it)")


def _image(name: str) -> Path:
    return DATA / "images" / name


def _gray(name: str) -> np.ndarray:
    return np.asarray(Image.open(_image(name)).convert("L"))


@needs_frames
@pytest.mark.usefixtures("tesseract")
@pytest.mark.parametrize("name", sorted(CATALOG) or ["none"])
def test_every_real_frame_within_3_percent(name):
    truth = float(CATALOG[name]["nm_per_pixel"])
    reading = read_scale_file(_image(name))
    assert reading.ok, reading
    assert reading.nm_per_pixel == pytest.approx(truth, rel=0.03)
    # the bar itself was read too, and agrees with the hand measurement
    assert reading.bar_px == pytest.approx(float(CATALOG[name]["scale_bar_px"]), abs=1.0)
    assert reading.nm_per_pixel_bar == pytest.approx(truth, rel=0.01)


@needs_frames
def test_zeiss_image_pixel_size_is_read_whatever_the_store_resolution():
    for name, truth in (("sample.01_img08.tif", 9.766), ("sample.02_img20.tif", 48.83)):
        (meta,) = read_metadata_scales(_image(name))
        assert (meta.source, meta.nm_per_pixel) == ("zeiss", pytest.approx(truth))
        assert meta.reference_width_mm == pytest.approx(114.3)  # "Polaroid 545"


def test_zeiss_fib_and_raster_pixel_sizes_are_not_the_image_pixel_size():
    blob = "\r\n".join(["AP_FIB_PIXEL_SIZE", "FIB Pixel Size = 29.25 nm", "AP_PIXEL_SIZE",
                        "Pixel Size = 19.53 nm", "DP_IMAGE_STORE", "Store resolution = 2048 * 1536",
                        "AP_WIDTH", "Width = 20.00 \u00b5m"])
    assert scale_from_tags({34118: blob}, image_width=2048).nm_per_pixel == pytest.approx(
        20000 / 2048)
    only_fib = "\r\n".join(["AP_FIB_PIXEL_SIZE", "FIB Pixel Size = 29.25 nm"])
    assert scale_from_tags({34118: only_fib}, image_width=2048).nm_per_pixel is None
    raster = "\r\n".join(["AP_PIXEL_SIZE", "Pixel Size = 19.53 nm"])  # which raster?
    assert scale_from_tags({34118: raster}, image_width=2048).nm_per_pixel is None
    assert scale_from_tags({34118: raster}, image_width=1024).nm_per_pixel == pytest.approx(
        19.53)


@needs_frames
def test_philips_xl_tag_gives_the_pixel_size_from_the_magnification():
    for name in ("R5 K3K4Me3 SiO2_2-2.TIF", "R5 K3Me3 SiO2_3-3.TIF"):
        (meta,) = read_metadata_scales(_image(name))
        assert meta.source == "philips-xl" and meta.fields.magnification > 0
        assert meta.nm_per_pixel == pytest.approx(float(CATALOG[name]["nm_per_pixel"]),
                                                  rel=0.01)


@needs_frames
@pytest.mark.parametrize(("name", "kind", "box"), [
    ("sample.01_img08.tif", "stripe", (0, 1370, 2048, 1531)),  # white frame, black row below
    ("Dot_Analyzer_Fig1.png", "stripe", (0, 690, 1024, 765)),  # picture rows below
    ("R5 K3K4Me3 SiO2_2-2.TIF", "box", (43, 423, 619, 463)),  # floating inside the frame
])
def test_panels_are_found_where_they_are(name, kind, box):
    bar = detect_data_bar(_gray(name))
    assert (bar.kind, bar.box) == (kind, box)
    assert crop_box_without_bar(_gray(name).shape, bar)[3] == box[1]


@needs_frames
def test_hitachi_overlay_is_found_and_read_from_its_tick_row():
    gray = _gray("K1.jpg")
    bar = detect_data_bar(gray)
    assert bar.kind == "overlay" and 880 <= bar.top <= 896 and bar.bottom == 960


@needs_frames
@pytest.mark.usefixtures("tesseract")
def test_hitachi_ticks_label_and_magnification_agree():
    reading = read_scale_file(_image("K1.jpg"))
    assert (reading.data_bar_kind, reading.label, reading.maker) == ("overlay", "10 um",
                                                                    "hitachi")
    assert reading.bar_px == pytest.approx(353.0, abs=1.0)
    assert reading.magnification == pytest.approx(3500.0)
    # 127 mm / 3500 over 1280 px: the printed magnification agrees with the tick row
    assert reading.nm_per_pixel_magnification == pytest.approx(28.35, rel=0.005)


@needs_frames
@pytest.mark.usefixtures("tesseract")
def test_hitachi_sidecar_text_is_read_and_cross_checked(tmp_path):
    shutil.copy(_image("K1.jpg"), tmp_path / "K1.jpg")
    sidecar = tmp_path / "K1.txt"
    sidecar.write_text("[SemImageFile]\nInstructName=SU3500\nDataSize=1280x960\n"
                       "Magnification=3500\nPixelSize=28.34646\n"
                       "AcceleratingVoltage=15000 Volt\nWorkingDistance=9100 um\n")
    reading = read_scale_file(tmp_path / "K1.jpg")
    assert (reading.status, reading.source) == ("ok", "metadata:hitachi-txt")
    assert reading.nm_per_pixel == pytest.approx(28.34646)
    assert (reading.eht_kv, reading.wd_mm) == (15.0, 9.1)
    sidecar.write_text(sidecar.read_text().replace("28.34646", "56.69292"))  # a wrong file
    conflict = read_scale_file(tmp_path / "K1.jpg")
    assert (conflict.status, conflict.nm_per_pixel, conflict.group) == ("conflict", None,
                                                                        "unknown")
    assert conflict.nm_per_pixel_metadata == pytest.approx(56.69292)
    assert conflict.nm_per_pixel_bar == pytest.approx(28.33, rel=0.01)


@needs_frames
def test_jeol_sidecar_is_read(tmp_path):
    shutil.copy(_image("K2.jpg"), tmp_path / "K2.jpg")
    (tmp_path / "K2.txt").write_text("$CM_FORMAT JEOL/SEM\n$CM_MAG 3500\n$CM_FULL_SIZE 1280 960\n"
                                     "$$SM_MICRON_BAR 353\n$$SM_MICRON_MARKER 10um\n"
                                     "$CM_ACCEL_VOLT 15.0\n")
    (meta,) = read_metadata_scales(tmp_path / "K2.jpg", image_width=1280)
    assert (meta.source, meta.maker) == ("jeol-txt", "jeol")
    assert meta.nm_per_pixel == pytest.approx(10000 / 353)
    (half,) = read_metadata_scales(tmp_path / "K2.jpg", image_width=640)  # resized copy
    assert half.nm_per_pixel == pytest.approx(2 * 10000 / 353)


@needs_frames
@pytest.mark.usefixtures("tesseract")
def test_scan_records_the_bar_and_the_crop_uses_the_same_box(tmp_path):
    for name in ("R5 K3K4Me3 SiO2_2-2.TIF", "K1.jpg", "Dot_Analyzer_Fig1.png"):
        shutil.copy(_image(name), tmp_path / name)
    dataset = scan_folder(tmp_path)
    records = {r.path: r for r in dataset.usable}
    xl30 = records["R5 K3K4Me3 SiO2_2-2.TIF"]
    assert (xl30.data_bar, xl30.data_bar_kind) == ((43, 423, 619, 463), "box")
    assert xl30.crop_box == (0, 0, 712, 423)
    assert records["K1.jpg"].data_bar_kind == "overlay"
    assert records["K1.jpg"].crop_box[3] == records["K1.jpg"].data_bar[1]
    readings = read_dataset_scales(dataset)
    for path, record in records.items():
        truth = float(CATALOG[path]["nm_per_pixel"])
        assert readings[record.id].nm_per_pixel == pytest.approx(truth, rel=0.03), path
