import numpy as np
import pytest
from PIL import Image

import compute.scale.folder as folder
from compute.cache import StepCache
from compute.scale import read_folder_scales


def _images(root, n=5):
    rng = np.random.default_rng(0)
    for i in range(n):
        sub = root / ("b" if i % 2 else "a")
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (80, 100), dtype=np.uint8)).save(sub / f"{i}.png")
    (root / "a" / "notes.txt").write_text("not an image")


def test_rows_are_sorted_by_path_whatever_the_number_of_jobs(tmp_path):
    _images(tmp_path)
    one = read_folder_scales(tmp_path, jobs=1)
    two = read_folder_scales(tmp_path, jobs=3)
    assert [s.path for s in one] == sorted(s.path for s in one)
    assert one == two
    assert len(one) == 5
    assert {s.reading.status for s in one} == {"no_data_bar"}


def test_progress_counts_every_file(tmp_path):
    _images(tmp_path, n=3)
    calls = []
    read_folder_scales(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_cached_readings_are_not_computed_again(tmp_path, monkeypatch):
    images = tmp_path / "images"
    _images(images, n=2)
    cache = StepCache(tmp_path / "cache")
    first = read_folder_scales(images, cache=cache)

    def fail(*args, **kwargs):
        raise AssertionError("read again despite the cache")

    monkeypatch.setattr(folder, "read_scale_file", fail)
    assert read_folder_scales(images, cache=cache) == first


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_folder_scales(tmp_path / "missing")
    with pytest.raises(ValueError, match="jobs"):
        read_folder_scales(tmp_path, jobs=0)


def test_a_sidecar_added_later_is_read_despite_the_cache(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    Image.fromarray(np.full((300, 400), 128, np.uint8)).save(images / "plain.png")
    cache = StepCache(tmp_path / "cache")
    (first,) = read_folder_scales(images, cache=cache)
    assert first.reading.status == "no_data_bar"
    (images / "plain.txt").write_text("[SemImageFile]\nPixelSize=12.5\nDataSize=400x300\n")
    (second,) = read_folder_scales(images, cache=cache)
    assert (second.reading.status, second.reading.source) == ("ok", "metadata:hitachi-txt")
    assert second.reading.nm_per_pixel == 12.5
