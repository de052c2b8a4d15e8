"""Thumbnails: <id>.png, about 128 px, stretched 16-bit data, data bar cut off, cached."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from compute.ingest import scan_folder
from compute.ingest.thumbnails import render_thumbnails, thumbnail_path
from tests.compute._image_fixtures import write_bad_files, write_good_images


def test_thumbnails_for_every_usable_image(tmp_path: Path) -> None:
    good = write_good_images(tmp_path / "images")
    write_bad_files(tmp_path / "images", duplicate_of=good["gray"])
    dataset = scan_folder(tmp_path / "images")
    calls: list[tuple[int, int]] = []
    out = render_thumbnails(dataset, tmp_path / "thumbs", size=32,
                            progress=lambda d, t: calls.append((d, t)))
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == sorted(f"{r.id}.png" for r in dataset.usable)
    assert calls[-1] == (6, 6)
    for record in dataset.usable:
        with Image.open(thumbnail_path(out, record)) as im:
            longest = min(32, max(record.width, record.height))  # never enlarged
            assert max(im.size) == longest and im.mode in ("L", "RGB")


def test_sixteen_bit_thumbnail_is_stretched(tmp_path: Path) -> None:
    good = write_good_images(tmp_path / "images")
    dataset = scan_folder(tmp_path / "images")
    record = next(r for r in dataset.usable if r.path == "deep/sixteen.tif")
    render_thumbnails(dataset, tmp_path / "thumbs")
    pixels = np.asarray(Image.open(thumbnail_path(tmp_path / "thumbs", record)))
    raw = np.asarray(Image.open(good["tiff16"]))
    assert raw.max() < 2000  # dark as stored...
    assert pixels.min() < 30 and pixels.max() > 225  # ...full range once stretched


def test_data_bar_is_cut_from_thumbnails_unless_kept(tmp_path: Path) -> None:
    write_good_images(tmp_path / "images")
    dataset = scan_folder(tmp_path / "images")
    frame = next(r for r in dataset.usable if r.path == "sem/frame.tif")
    cut = render_thumbnails(dataset, tmp_path / "cut", size=128)
    kept = render_thumbnails(dataset, tmp_path / "kept", size=128, keep_data_bar=True)
    assert Image.open(thumbnail_path(cut, frame)).size == (128, 100)  # 256 x 200 image
    assert Image.open(thumbnail_path(kept, frame)).size == (128, 120)  # 256 x 240 frame


def test_existing_thumbnails_are_kept(tmp_path: Path) -> None:
    write_good_images(tmp_path / "images")
    dataset = scan_folder(tmp_path / "images")
    out = render_thumbnails(dataset, tmp_path / "thumbs")
    target = thumbnail_path(out, dataset.usable[0])
    target.write_bytes(b"marker")
    render_thumbnails(dataset, out)
    assert target.read_bytes() == b"marker"
    assert not list(out.glob(".*.tmp"))


def test_full_image_keeps_every_pixel_stretched_like_the_pipeline(tmp_path: Path) -> None:
    from compute.ingest import decode_image
    from compute.ingest.thumbnails import full_image

    good = write_good_images(tmp_path / "images")
    dataset = scan_folder(tmp_path / "images")
    record = next(r for r in dataset.usable if r.path == "deep/sixteen.tif")
    path = full_image(dataset, record, tmp_path / "full")
    assert path.name == f"{record.id}.png"
    pixels = np.asarray(Image.open(path))
    assert pixels.shape == (record.height, record.width) and pixels.dtype == np.uint8
    assert np.array_equal(pixels, np.asarray(decode_image(good["tiff16"]).image))
    assert pixels.min() < 30 and pixels.max() > 225


def test_full_image_with_and_without_the_data_bar(tmp_path: Path) -> None:
    from compute.ingest.thumbnails import full_image

    write_good_images(tmp_path / "images")
    dataset = scan_folder(tmp_path / "images")
    frame = next(r for r in dataset.usable if r.path == "sem/frame.tif")
    cut = full_image(dataset, frame, tmp_path / "full")
    kept = full_image(dataset, frame, tmp_path / "full", keep_data_bar=True)
    assert kept.name == f"{frame.id}-bar.png" and cut != kept
    assert Image.open(cut).size == (256, 200) and Image.open(kept).size == (256, 240)
    cut.write_bytes(b"marker")  # cached: never rendered twice
    assert full_image(dataset, frame, tmp_path / "full").read_bytes() == b"marker"
