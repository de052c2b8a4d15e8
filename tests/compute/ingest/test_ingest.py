"""Scanning real and messy folders: ids, metadata, failures, labels, data bars, manifests."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from compute.ingest import (
    ImageDecodeError,
    decode_image,
    load_image,
    parse_shard,
    read_labels_csv,
    read_manifest,
    scan_folder,
    stretch_to_uint8,
    write_manifest,
)
from tests.compute._image_fixtures import (
    NANOWIRES,
    NANOWIRES_REASON,
    write_bad_files,
    write_good_images,
)


@pytest.fixture()
def messy(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    root = tmp_path / "images"
    good = write_good_images(root)
    bad = write_bad_files(root, duplicate_of=good["gray"])
    (root / "readme.txt").write_text("ignored")
    (root / ".hidden.png").write_bytes(good["gray"].read_bytes())
    return root, {**good, **bad}


def _by_name(dataset) -> dict[str, object]:
    return {Path(r.path).name: r for r in dataset.records}


def test_scan_reports_every_file_and_never_aborts(messy) -> None:
    root, paths = messy
    dataset = scan_folder(root)
    records = _by_name(dataset)
    assert set(records) == {p.name for p in paths.values()}  # no .txt, no hidden file
    assert records["truncated.jpg"].error.startswith("not a usable image")
    assert records["empty.png"].error == "empty file (0 bytes)"
    assert "not a recognised image format" in records["notes.png"].error
    assert records["same.png"].duplicate_of == "gray.png"
    assert {Path(r.path).name for r in dataset.usable} == {
        "gray.png", "colour.jpg", "alpha.png", "sixteen.tif", "old.bmp", "frame.tif"}
    assert "6 usable" in dataset.summary() and "3 unreadable" in dataset.summary()
    assert "1 duplicates" in dataset.summary()


def test_ids_are_md5_of_bytes_and_survive_renames(messy, tmp_path: Path) -> None:
    root, paths = messy
    before = _by_name(scan_folder(root))
    assert before["gray.png"].id == hashlib.md5(paths["gray"].read_bytes()).hexdigest()
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)
    (moved / "gray.png").rename(moved / "renamed.png")
    after = _by_name(scan_folder(moved))
    assert after["renamed.png"].id == before["gray.png"].id
    assert after["same.png"].duplicate_of is None  # now the first of its bytes in path order
    assert after["renamed.png"].duplicate_of == "later/same.png"


def test_metadata_of_each_kind(messy) -> None:
    root, _ = messy
    r = _by_name(scan_folder(root))
    assert (r["gray.png"].width, r["gray.png"].height, r["gray.png"].mode) == (48, 40, "L")
    assert (r["colour.jpg"].mode, r["colour.jpg"].bit_depth) == ("RGB", 8)
    assert r["alpha.png"].mode == "RGBA"
    assert r["sixteen.tif"].mode.startswith("I;16") and r["sixteen.tif"].bit_depth == 16
    assert r["gray.png"].size_bytes == (root / "gray.png").stat().st_size
    assert r["gray.png"].pages == 1


def test_sixteen_bit_is_stretched_by_percentiles(messy) -> None:
    _, paths = messy
    decoded = decode_image(paths["tiff16"])
    assert decoded.gray.dtype == np.uint16 and decoded.gray.max() < 2000
    eight = np.asarray(decoded.image)
    assert decoded.image.mode == "L" and eight.min() == 0 and eight.max() == 255


def test_stretch_handles_float_nan_and_constant_arrays() -> None:
    x = np.linspace(-1.0, 1.0, 1000).reshape(10, 100)
    x[0, 0] = np.nan
    out = stretch_to_uint8(x)
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255 and out[0, 0] == 0
    assert not stretch_to_uint8(np.full((4, 4), 7.0)).any()


def test_multipage_tiff_first_page_unless_told(tmp_path: Path) -> None:
    pages = np.stack([np.full((20, 30), 10, np.uint8), np.full((20, 30), 200, np.uint8)])
    tifffile.imwrite(tmp_path / "stack.tif", pages)
    first = scan_folder(tmp_path)
    second = scan_folder(tmp_path, page=1)
    assert first.records[0].pages == 2
    assert np.asarray(load_image(first, first.records[0])).max() == 10
    assert np.asarray(load_image(second, second.records[0])).min() == 200
    missing = scan_folder(tmp_path, page=5).records[0]
    assert "page 5 does not exist" in missing.error


def test_tiffs_pillow_cannot_read_fall_back_to_tifffile(tmp_path: Path) -> None:
    rgb16 = (np.arange(24 * 32 * 3, dtype=np.uint16).reshape(24, 32, 3) * 37)
    tifffile.imwrite(tmp_path / "rgb16.tif", rgb16, photometric="rgb")
    tifffile.imwrite(tmp_path / "float64.tif", np.random.default_rng(0).random((16, 16)))
    records = _by_name(scan_folder(tmp_path))
    assert records["rgb16.tif"].error is None and records["rgb16.tif"].bit_depth == 16
    assert records["float64.tif"].error is None and records["float64.tif"].bit_depth == 64
    assert decode_image(tmp_path / "rgb16.tif").image.mode == "RGB"


def test_decompression_bombs_are_refused_with_a_configurable_limit(messy) -> None:
    root, paths = messy
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        decode_image(paths["gray"], max_pixels=100)
    records = _by_name(scan_folder(root, max_pixels=1000))
    assert "decompression bomb" in records["colour.jpg"].error  # 36 x 52 = 1872 pixels
    assert records["old.bmp"].error is None  # 30 x 30 = 900 pixels
    assert decode_image(paths["gray"], max_pixels=None).info.width == 48


def test_unsupported_formats_are_listed_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "scan.czi").write_bytes(b"\0" * 64)
    (tmp_path / "ok.png").write_bytes(b"")
    records = _by_name(scan_folder(tmp_path))
    assert records["scan.czi"].error.startswith("unsupported format .czi")


def test_a_damaged_native_file_says_why(tmp_path: Path) -> None:
    (tmp_path / "scan.dm3").write_bytes(b"\0" * 64)
    (tmp_path / "scan.sxm").write_bytes(b":NANONIS_VERSION:\n2\n")
    records = _by_name(scan_folder(tmp_path))
    for name in ("scan.dm3", "scan.sxm"):
        error = records[name].error
        assert error.startswith("not a usable image: ." + name.rsplit(".")[1]), error
        assert "could not be read" in error or "requirements-native.txt" in error


def test_labels_from_csv_by_path_or_id_and_from_folders(messy, tmp_path: Path) -> None:
    root, paths = messy
    gray_id = hashlib.md5(paths["gray"].read_bytes()).hexdigest()
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text(f"path,id,label\n./deep/sixteen.tif,,deep\n,{gray_id},plain\n")
    records = _by_name(scan_folder(root, labels_csv=csv_file))
    assert records["sixteen.tif"].label == "deep" and records["gray.png"].label == "plain"
    assert records["colour.jpg"].label is None
    with_folders = _by_name(scan_folder(root, labels_csv=csv_file, labels_from_folders=True))
    assert with_folders["frame.tif"].label == "sem"  # top-level sub-folder
    assert with_folders["sixteen.tif"].label == "deep"  # the CSV wins
    assert with_folders["colour.jpg"].label is None  # files at the root stay unlabelled


def test_labels_csv_needs_its_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("file,class\na.png,x\n")
    with pytest.raises(ValueError, match="'label' and 'path' or 'id'"):
        read_labels_csv(bad)
    with pytest.raises(FileNotFoundError):
        read_labels_csv(tmp_path / "missing.csv")


def test_data_bar_is_found_stored_and_cut_off(messy) -> None:
    root, _ = messy
    dataset = scan_folder(root)
    frame = _by_name(dataset)["frame.tif"]
    assert frame.crop_box == (0, 0, 256, 200)
    assert load_image(dataset, frame).size == (256, 200)
    assert load_image(dataset, frame, keep_data_bar=True).size == (256, 240)
    assert _by_name(scan_folder(root, detect_bars=False))["frame.tif"].crop_box is None
    assert _by_name(dataset)["gray.png"].crop_box is None


def test_manifest_round_trip(messy, tmp_path: Path) -> None:
    root, _ = messy
    dataset = scan_folder(root, labels_from_folders=True)
    rows = {r.path: i for i, r in enumerate(dataset.usable)}
    write_manifest(dataset.records, tmp_path / "manifest.csv", rows=rows)
    records, read_rows = read_manifest(tmp_path / "manifest.csv")
    assert tuple(records) == dataset.records
    assert read_rows == rows


def test_shards_partition_the_folder(messy) -> None:
    root, _ = messy
    whole = scan_folder(root)
    parts = [scan_folder(root, shard=(i, 3)) for i in range(3)]
    assert sorted(r.path for p in parts for r in p.records) == [r.path for r in whole.records]
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/3", "a/b", "1"):
        with pytest.raises(ValueError, match="shard"):
            parse_shard(bad)


def test_parallel_scan_gives_the_same_records(messy) -> None:
    root, _ = messy
    assert scan_folder(root, workers=2).records == scan_folder(root).records


def test_rescan_with_a_cache_reads_only_new_or_changed_files(messy, tmp_path: Path) -> None:
    root, paths = messy
    cache = tmp_path / "scan-cache"
    first = scan_folder(root, cache_dir=cache, labels_from_folders=True)
    assert first.records == scan_folder(root, labels_from_folders=True).records
    (root / "gray.png").unlink()  # the duplicate becomes the first of its bytes
    Image.fromarray(np.zeros((9, 9), np.uint8)).save(paths["bmp"])  # rewritten in place
    calls: list[tuple[int, int]] = []
    second = scan_folder(root, cache_dir=cache, labels_from_folders=True,
                         progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (len(first.records) - 2, len(first.records) - 1)  # 1 changed, 1 gone
    assert second.records == scan_folder(root, labels_from_folders=True).records
    assert _by_name(second)["old.bmp"].width == 9
    assert _by_name(second)["same.png"].duplicate_of is None
    options = scan_folder(root, cache_dir=cache, detect_bars=False)
    assert _by_name(options)["frame.tif"].crop_box is None  # other options, other entries


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scan_folder(tmp_path / "nope")


@pytest.mark.skipif(not NANOWIRES.is_dir(), reason=NANOWIRES_REASON)
def test_real_nanowire_folder(tmp_path: Path) -> None:
    dataset = scan_folder(NANOWIRES, workers=2)
    assert len(dataset.usable) == len(dataset.records) == 98
    sizes = {(r.width, r.height) for r in dataset.records}
    assert sizes == {(1024, 688), (341, 344)}
    assert all(r.mode == "L" and r.crop_box is None for r in dataset.records)
    assert len({r.id for r in dataset.records}) == 98
    image = Image.open(NANOWIRES / dataset.records[0].path)
    assert np.array_equal(np.asarray(load_image(dataset, dataset.records[0])), np.asarray(image))
