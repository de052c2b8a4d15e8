"""Native microscope formats through ingest: DM3/DM4, SER, EMD (real files) and SXM."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from compute.ingest import decode_image, load_image, scan_folder
from compute.ingest.decode import ImageDecodeError
from compute.ingest.native import read_native
from compute.scale import read_dataset_scales, read_scale_file
from tests.native_files import native_file, write_sxm


def test_real_dm3_stem_image_decodes_with_its_pixel_size():
    decoded = decode_image(native_file("dm3_2D_data/test_STEM_image.dm3"))
    assert (decoded.info.width, decoded.info.height) == (68, 68)
    assert decoded.info.mode == "dm:uint32"
    assert decoded.image.mode == "L" and decoded.raw_gray.shape == (68, 68)
    (meta,) = decoded.metadata
    assert meta.source == "dm" and meta.nm_per_pixel == pytest.approx(0.2485, rel=1e-3)


def test_real_dm4_files_calibrated_in_um_and_uncalibrated():
    cl = decode_image(native_file("dm4_2D_data/test-MonarcCL_mono-image.dm4"))
    (meta,) = cl.metadata  # a cathodoluminescence map with 18.325 um pixels
    assert cl.info.mode == "dm:uint16" and meta.nm_per_pixel == pytest.approx(18325.35, rel=1e-5)
    plain = decode_image(native_file("dm4_2D_data/test-1.dm4"))
    assert plain.metadata == ()  # axes without units: no pixel size


def test_multi_signal_dm3_uses_its_first_image():
    image = read_native(native_file("dm3_2D_data/multi_signal.dm3"))
    assert image.array.shape == (512, 512)
    assert "HAADF" in image.channel and image.nm_per_pixel == pytest.approx(0.01775, rel=1e-3)


def test_velox_emd_pixel_size_matches_hyperspys_own_value():
    # HyperSpy's test_emd asserts 0.00530241 um for this file's axes
    image = read_native(native_file("emd/fei_emd_image.emd"))
    assert image.array.shape == (512, 512) and "HAADF" in image.channel
    assert image.nm_per_pixel == pytest.approx(5.30241, rel=1e-5)


def test_ser_diffraction_pattern_has_no_pixel_size():
    decoded = decode_image(native_file("FEI_old/64x64_diffraction_acquire_1.ser"))
    assert decoded.info.width == 64 and decoded.metadata == ()  # axes in 1/nm


def test_stack_frames_are_pages():
    path = native_file("dm3_3D_data/test-1.dm3")
    assert decode_image(path).info.pages == 2
    assert decode_image(path, page=1).info.width == 2
    with pytest.raises(ImageDecodeError, match="frame 2 does not exist"):
        decode_image(path, page=2)


def test_spectrum_file_is_refused_with_a_reason():
    with pytest.raises(ImageDecodeError, match="no two-dimensional image"):
        decode_image(native_file("dm3_1D_data/test-EELS_spectrum.dm3"))


def test_missing_optional_reader_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_rsciio(name, *args, **kwargs):
        if name.startswith("rsciio"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_rsciio)
    (tmp_path / "a.dm4").write_bytes(b"\0" * 64)
    with pytest.raises(ImageDecodeError, match="requirements-native.txt"):
        decode_image(tmp_path / "a.dm4")


def _gradient(height: int, width: int) -> np.ndarray:
    return np.add.outer(np.arange(height) * 1e-10, np.arange(width) * 1e-12)


def test_sxm_topography_channel_and_pixel_size(tmp_path):
    z = _gradient(48, 64)
    path = write_sxm(tmp_path / "scan.sxm", {"Current": -z, "Z": z}, range_m=(20e-9, 15e-9))
    decoded = decode_image(path)
    assert (decoded.info.width, decoded.info.height) == (64, 48)
    assert decoded.info.mode == "sxm:float64"
    np.testing.assert_allclose(decoded.raw_gray, z, rtol=1e-6)  # Z chosen, not Current
    (meta,) = decoded.metadata
    assert meta.nm_per_pixel == pytest.approx(20 / 64)
    assert "Z forward" in meta.note


def test_sxm_recorded_upwards_is_flipped(tmp_path):
    z = _gradient(8, 16)
    path = write_sxm(tmp_path / "up.sxm", {"Z": z}, range_m=(1e-8, 5e-9), scan_dir="up")
    np.testing.assert_allclose(decode_image(path).raw_gray, z[::-1], rtol=1e-6)


def test_native_files_flow_through_ingest_and_scales(tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    write_sxm(root / "stm.sxm", {"Z": _gradient(32, 32)}, range_m=(8e-9, 8e-9))
    shutil.copy(native_file("dm3_2D_data/test_STEM_image.dm3"), root / "stem.dm3")
    shutil.copy(native_file("emd/fei_emd_image.emd"), root / "haadf.emd")
    dataset = scan_folder(root)
    assert {r.path for r in dataset.usable} == {"stm.sxm", "stem.dm3", "haadf.emd"}
    assert all(r.id and r.crop_box is None for r in dataset.usable)
    for record in dataset.usable:
        image = load_image(dataset, record)
        assert image.mode == "L" and image.size == (record.width, record.height)
    readings = read_dataset_scales(dataset)
    by_path = {r.path: readings[r.id] for r in dataset.usable}
    assert by_path["stm.sxm"].source == "metadata:sxm"
    assert by_path["stm.sxm"].nm_per_pixel == pytest.approx(0.25)
    assert by_path["haadf.emd"].nm_per_pixel == pytest.approx(5.30241, rel=1e-5)
    assert by_path["stem.dm3"].ok and by_path["stem.dm3"].source == "metadata:dm"
    assert read_scale_file(root / "stm.sxm").nm_per_pixel == pytest.approx(0.25)


def test_damaged_sxm_says_why(tmp_path: Path):
    path = tmp_path / "cut.sxm"
    path.write_bytes(b":NANONIS_VERSION:\n2\n:SCANIT_END:\n")
    with pytest.raises(ImageDecodeError, match=r"\.sxm file could not be read"):
        decode_image(path)
