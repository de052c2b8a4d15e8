"""The hostile image folder (tests/hostile_folder.py): scan, embed and the real CLI survive it.

Every good file must be embedded, every bad one listed with its reason, duplicates
found and hidden files, text files and folder symlinks ignored. The permission case runs
the CLI in a child that lacks root's file-access capabilities (see
:func:`tests.hostile_folder.without_root_file_access`), so ``chmod 000`` really bites.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compute.embed.preprocess import MAX_ASPECT, preprocessing_for
from compute.ingest import (
    decode_image,
    list_image_files,
    md5_of_file,
    read_manifest,
    reason_kind,
    scan_folder,
)
from tests.hostile_folder import (
    BAD_NAME,
    UNREADABLE,
    HostileFolder,
    without_root_file_access,
    write_hostile_folder,
)

REPO = Path(__file__).resolve().parents[3]
SMALL_LIMIT = 10_000_000  # pixels: lets the tests use a small (fast to write) bomb
SMALL_BOMB = 4_000  # 16 M pixels of zeros


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> HostileFolder:
    root = tmp_path_factory.mktemp("hostile") / "images"
    return write_hostile_folder(root, n_good=12, bomb_side=SMALL_BOMB)


def _check_records(folder: HostileFolder, records, embedded: set[str], *,
                   may_read_anything: bool) -> None:
    by_path = {r.path: r for r in records}
    bad = dict(folder.bad)
    good = set(folder.good)
    if may_read_anything:  # root: the chmod 000 file is an ordinary good file
        del bad[folder.unreadable]
        good.add(folder.unreadable)
    assert set(by_path) == good | set(bad) | set(folder.duplicates)
    assert good <= embedded, f"good files not embedded: {sorted(good - embedded)}"
    for path, fragment in bad.items():
        assert by_path[path].error and fragment in by_path[path].error, (path, by_path[path])
        assert path not in embedded
    for path, original in folder.duplicates.items():
        assert by_path[path].duplicate_of == original and path not in embedded


def test_scan_lists_every_file_with_a_reason(hostile: HostileFolder) -> None:
    dataset = scan_folder(hostile.root, max_pixels=SMALL_LIMIT)
    _check_records(hostile, dataset.records, {r.path for r in dataset.usable},
                   may_read_anything=os.access(hostile.root / hostile.unreadable, os.R_OK))
    for ignored in hostile.ignored:
        assert not any(r.path.startswith(ignored) for r in dataset.records)
    for r in dataset.failures:
        assert str(hostile.root) not in r.error  # reasons never leak absolute paths


def test_special_images_decode_to_eight_bits_by_the_documented_policy(
        hostile: HostileFolder) -> None:
    special = hostile.root / "special"
    cmyk = decode_image(special / "cmyk.jpg")
    assert cmyk.info.mode == "CMYK" and cmyk.image.mode == "RGB"
    gif = decode_image(special / "animated.gif")
    assert gif.info.pages == 3 and gif.image.size == (40, 40)  # first frame
    for name in ("float32-nan-inf.tif", "sixteen-bit.png", "float64.tiff"):
        eight = np.asarray(decode_image(special / name).image)
        assert eight.dtype == np.uint8 and eight.min() == 0 and eight.max() == 255, name
    assert not np.asarray(decode_image(special / "constant-float.tif").image).any()
    assert decode_image(special / "no-extension").info.width == 36


def test_embedding_the_hostile_folder_embeds_every_good_file(hostile: HostileFolder) -> None:
    from compute.embed import embed_dataset

    dataset = scan_folder(hostile.root, max_pixels=SMALL_LIMIT)
    embeddings = embed_dataset(dataset, backbone="pixels", workers=0)
    assert set(hostile.good) <= set(embeddings.paths)
    assert embeddings.failures == () and np.isfinite(embeddings.vectors).all()


def test_extension_less_files_are_listed_only_when_they_are_images(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "frame", format="tiff")
    (tmp_path / "Makefile").write_text("all:\n")
    os.mkfifo(tmp_path / "pipe")  # must not be opened (it would block)
    assert [p.name for p in list_image_files(tmp_path)] == ["frame"]


def test_hashing_refuses_fifos_and_devices(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.png")  # opening it would wait for a writer forever
    (tmp_path / "zero.png").symlink_to("/dev/zero")  # reading it would never end
    for name in ("fifo.png", "zero.png"):
        with pytest.raises(OSError, match="not a regular file"):
            md5_of_file(tmp_path / name)


def test_extreme_strips_are_cut_before_resizing() -> None:
    strip = np.random.default_rng(0).integers(0, 255, (1, 50_000), dtype=np.uint8)
    recipe = preprocessing_for("resnet")
    left = (strip.shape[1] - MAX_ASPECT) // 2  # the centred 1 x MAX_ASPECT part
    cut = recipe(Image.fromarray(strip))
    assert cut.shape == (3, 224, 224)
    np.testing.assert_array_equal(cut, recipe(Image.fromarray(strip[:, left:left + MAX_ASPECT])))


def test_reason_kinds_group_failures() -> None:
    truncated = "not a usable image: the file is truncated (x): y"
    assert reason_kind(truncated) == "the file is truncated"
    assert reason_kind("empty file (0 bytes)") == "empty file"
    assert reason_kind("broken symbolic link (loop: a): fix") == "broken symbolic link"


@pytest.mark.slow
def test_cli_on_the_hostile_folder_without_root_powers(hostile: HostileFolder,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "compute", "embed", str(hostile.root), "--out", str(out),
         "--model", "pixels", "--max-pixels", str(SMALL_LIMIT), "--workers", "1",
         "--no-progress"], cwd=REPO, capture_output=True, text=True, timeout=300,
        preexec_fn=without_root_file_access())
    assert done.returncode == 0, done.stderr[-2000:]
    records, rows = read_manifest(out / "manifest.csv")
    _check_records(hostile, records, set(rows), may_read_anything=False)
    by_path = {r.path: r for r in records}
    assert UNREADABLE in by_path[hostile.unreadable].error  # the chmod 000 file is refused
    assert any(BAD_NAME in (r.error or "") for r in records)
    assert np.load(out / "embeddings.npy").shape[0] == len(hostile.good)
