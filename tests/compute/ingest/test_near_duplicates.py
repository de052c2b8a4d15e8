"""Near duplicates: shifted crops and re-saved copies of one picture are grouped; distinct
pictures of the same kind of texture are not."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import gaussian_filter

from compute.ingest.near_duplicates import (
    MIN_SIMILARITY,
    NearDuplicates,
    grouped,
    match,
    near_duplicates,
)


def micrograph(seed: int, height: int = 300, width: int = 420) -> np.ndarray:
    """Blobs of random size and place (not periodic): every seed the same kind of picture."""
    noise = np.random.default_rng(seed).normal(size=(height, width))
    x = gaussian_filter(noise, 1.5)
    return np.clip(128 + 60 * x / x.std(), 0, 255).astype(np.uint8)


def shifted_copy(picture: np.ndarray, top: int, left: int, *, jpeg: bool = True) -> np.ndarray:
    """An 85 % crop at (top, left), re-saved as JPEG (quality 70)."""
    h, w = int(picture.shape[0] * 0.85), int(picture.shape[1] * 0.85)
    crop = Image.fromarray(picture[top:top + h, left:left + w])
    if jpeg:
        buffer = io.BytesIO()
        crop.save(buffer, format="JPEG", quality=70)
        crop = Image.open(buffer)
    return np.asarray(crop.convert("L"))


def thumbnail(picture: np.ndarray) -> tuple[np.ndarray, float]:
    """The page's thumbnail (longer side 128) and its scale, as the pipeline makes them."""
    image = Image.fromarray(picture)
    image.thumbnail((128, 128), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.float32), image.width / picture.shape[1]


def test_a_shifted_resaved_crop_matches_its_source_and_not_a_look_alike() -> None:
    source, other = thumbnail(micrograph(0)), thumbnail(micrograph(1))
    copy = thumbnail(shifted_copy(micrograph(0), 30, 50))
    similarity, overlap = match(*source, *copy)
    assert similarity >= 0.95 and overlap > 0.9  # resampling and JPEG barely show
    assert match(*other, *copy)[0] < MIN_SIMILARITY
    assert match(*source, *other)[0] < MIN_SIMILARITY


def test_a_copy_saved_at_another_resolution_matches() -> None:
    picture = micrograph(2)
    half = np.asarray(Image.fromarray(picture).resize((210, 150), Image.Resampling.BILINEAR))
    assert match(*thumbnail(picture), *thumbnail(half))[0] >= MIN_SIMILARITY


def test_groups_come_from_the_candidates_and_small_images_are_never_grouped() -> None:
    pictures = [micrograph(0), shifted_copy(micrograph(0), 10, 60), micrograph(1),
                shifted_copy(micrograph(0), 40, 5, jpeg=False), micrograph(3),
                shifted_copy(micrograph(3), 20, 20), micrograph(5, 40, 40),
                micrograph(5, 40, 40)]  # identical, but too small to tell from texture
    thumbs = [thumbnail(p) for p in pictures]
    everyone = np.array([[j for j in range(len(pictures)) if j != i]
                         for i in range(len(pictures))])
    found = near_duplicates([t for t, _ in thumbs], [s for _, s in thumbs], everyone)
    assert found.group.tolist() == [0, 0, -1, 0, 1, 1, -1, -1]
    assert found.representative[[1, 3, 5]].tolist() == [0, 0, 4]
    assert found.n_groups == 2 and found.n_in_groups == 5
    only_neighbours = np.array([[2]] * len(pictures))  # the copies never meet their source
    assert near_duplicates([t for t, _ in thumbs], [s for _, s in thumbs],
                           only_neighbours).n_groups == 0


def test_groups_are_connected_components_numbered_by_first_row() -> None:
    found = grouped(6, [(4, 5, 0.9, 1.0), (1, 2, 0.9, 1.0), (2, 4, 0.95, 0.8)])
    assert found.group.tolist() == [-1, 0, 0, -1, 0, 0]
    assert found.representative.tolist() == [0, 1, 1, 3, 1, 1]
    assert found.labels() == ["none", "group 0", "group 0", "none", "group 0", "group 0"]


def test_the_page_is_told_only_when_many_images_are_near_duplicates() -> None:
    many = grouped(40, [(i, i + 1, 0.9, 1.0) for i in range(0, 10, 2)])
    assert many.notice().startswith("10 images fall in 5 near-duplicate groups")
    assert "source micrograph" in many.notice()
    assert "collapse the copies" in many.notice()
    assert "collapsed, each group counts once" in many.notice(collapsed=True)
    assert grouped(100, [(0, 1, 0.9, 1.0)]).notice() is None
    assert NearDuplicates(np.zeros(0, np.int64), np.zeros(0, np.int64)).notice() is None


def test_collapsed_copies_take_their_representatives_row() -> None:
    found = grouped(5, [(1, 3, 0.9, 1.0), (3, 4, 0.9, 1.0)])
    vectors = np.arange(10.0).reshape(5, 2)
    collapsed = found.collapsed(vectors)
    np.testing.assert_array_equal(collapsed, vectors[[0, 1, 2, 1, 1]])
    assert collapsed.shape == vectors.shape and not np.shares_memory(collapsed, vectors)
    with pytest.raises(ValueError, match="4 vectors for 5 images"):
        found.collapsed(vectors[:4])


def test_bad_input_says_what_to_give() -> None:
    with pytest.raises(ValueError, match="one of each per image"):
        near_duplicates([np.zeros((50, 50))], [1.0, 1.0], np.zeros((1, 1), int))


def folder_with_copies(folder: Path) -> Path:
    """Nine distinct micrographs and three shifted, re-saved crops of the first (12 images:
    the kNN density's k is clamped to the 11 neighbours each has)."""
    folder.mkdir()
    for seed in range(9):
        Image.fromarray(micrograph(seed)).save(folder / f"frame{seed}.png")
    for k, (top, left) in enumerate([(5, 40), (40, 10), (20, 60)]):
        Image.fromarray(shifted_copy(micrograph(0), top, left)).save(folder / f"copy{k}.png")
    return folder


def test_run_reports_near_duplicates(tmp_path: Path, capsys) -> None:
    from compute.cli import main

    folder = folder_with_copies(tmp_path / "frames")
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out), "--backbone", "pixels", "--no-scale",
                 "--cache-dir", str(tmp_path / "cache"), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "4 images fall in 1 near-duplicate groups" in printed
    assert ".;" not in printed  # the notice runs on into the line's next part
    with (out / "near_duplicates.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["path"] for r in rows) == ["copy0.png", "copy1.png", "copy2.png",
                                               "frame0.png"]
    assert {r["group_size"] for r in rows} == {"4"}
    assert {r["representative"] for r in rows} == {"copy0.png"}  # the first row (path order)


def test_shading_shared_by_two_pictures_does_not_make_them_copies() -> None:
    """Flat areas and ramps (sky, vignetting, uneven lighting) correlate between any two
    pictures: only the structure on top of them counts."""
    ramp = np.linspace(20, 220, 420)[None, :] + np.linspace(0, 30, 300)[:, None]

    def shaded(seed: int) -> np.ndarray:
        return np.clip(ramp + 0.25 * (micrograph(seed).astype(float) - 128), 0, 255
                       ).astype(np.uint8)

    assert match(*thumbnail(shaded(0)), *thumbnail(shaded(1)))[0] < MIN_SIMILARITY
    copy = thumbnail(shifted_copy(shaded(0), 10, 30))
    assert match(*thumbnail(shaded(0)), *copy)[0] >= MIN_SIMILARITY
