"""Scales of a scanned dataset (no OCR here: readings are made by hand or have no bar)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import compute.scale.dataset as scale_dataset
from compute.ingest import Dataset, ImageRecord, scan_folder
from compute.scale import ScaleReading, read_dataset_scales, restrict_to_group
from compute.scale.band import Box
from compute.scale.dataset import band_of_record


def _record(path, **kw):
    return ImageRecord(path=path, id=f"id-{path}", width=100, height=80, **kw)


def test_band_comes_from_the_scans_crop_box():
    assert band_of_record(_record("a", crop_box=(0, 0, 100, 60))) == Box(60, 80, 0, 100)
    assert band_of_record(_record("b", crop_box=(0, 15, 100, 80))) == Box(0, 15, 0, 100)
    assert band_of_record(_record("c")) is None
    assert band_of_record(_record("d", crop_box=(0, 0, 100, 80))) is None


def test_images_without_a_data_bar_are_not_decoded_again(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (70, 90), dtype=np.uint8)).save(tmp_path / f"{i}.png")
    dataset = scan_folder(tmp_path)

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded although the scan found no data bar")

    monkeypatch.setattr(scale_dataset, "decode_image", no_decode)
    readings = read_dataset_scales(dataset, jobs=2)
    assert set(readings) == {r.id for r in dataset.usable}
    assert {r.status for r in readings.values()} == {"no_data_bar"}
    assert {r.image_width_px for r in readings.values()} == {90}


def _dataset_and_readings():
    groups = {"a.png": 1000.0, "b.png": 2000.0, "c.png": 200.0, "d.png": None}
    records = [_record(p) for p in groups] + [ImageRecord(path="e.png", id=None,
                                                          error="empty file (0 bytes)")]
    readings = {f"id-{p}": (ScaleReading(status="ok", source="ocr", label_nm=nm,
                                         nm_per_pixel=nm / 50, image_width_px=100)
                            if nm else ScaleReading(status="text_unreadable"))
                for p, nm in groups.items()}
    return Dataset(root=Path("/data"), records=tuple(records), fingerprint="f"), readings


def test_restriction_keeps_the_group_and_counts_the_rest():
    dataset, readings = _dataset_and_readings()
    kept, selection = restrict_to_group(dataset, readings, "1-2 um")
    assert [r.path for r in kept.usable] == ["a.png", "b.png"]
    assert [r.path for r in kept.failures] == ["e.png"]  # unusable files still explain
    assert kept.fingerprint != dataset.fingerprint
    assert (selection.kept, selection.excluded) == (2, 2)
    assert dict(selection.other_groups) == {"200 nm": 1}
    assert dict(selection.no_scale) == {"text unreadable": 1}
    assert selection.summary() == ("scale group 1-2 um: 2 images kept, 2 excluded (1 in other "
                                   "groups: 200 nm 1; 1 without a scale: text unreadable 1)")


def test_an_empty_restriction_names_the_groups_present():
    dataset, readings = _dataset_and_readings()
    with pytest.raises(ValueError, match=r"in scale group '10 um'.*choose a group present "
                                         r"there: .*200 nm \(1\).*or run without"):
        restrict_to_group(dataset, readings, "10 um")
