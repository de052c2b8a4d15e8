"""``python -m compute embed`` and ``merge-shards``: files, alignment, shards, errors."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compute.cli import main
from tests.compute._image_fixtures import texture, write_bad_files, write_good_images

FAST = ["--model", "resnet18", "--weights", "random", "--workers", "0", "--input-size", "64",
        "--no-progress"]
PIXELS = ["--model", "pixels", "--workers", "0", "--no-progress"]  # when the CNN is not the point


@pytest.fixture()
def images(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    good = write_good_images(root)
    write_bad_files(root, duplicate_of=good["gray"])
    return root


def _manifest(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def _vectors_by_path(out: Path) -> dict[str, np.ndarray]:
    vectors = np.load(out / "embeddings.npy")
    return {r["path"]: vectors[int(r["row"])] for r in _manifest(out) if r["row"]}


def test_embed_writes_aligned_outputs(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["embed", str(images), "--out", str(out), *FAST]) == 0
    vectors = np.load(out / "embeddings.npy")
    rows = _manifest(out)
    assert vectors.shape == (6, 512) and vectors.dtype == np.float32
    assert [int(r["row"]) for r in rows if r["row"]] == list(range(6))
    failed = {Path(r["path"]).name: r["error"] for r in rows if r["error"]}
    assert set(failed) == {"truncated.jpg", "empty.png", "notes.png"}
    assert all(not r["row"] for r in rows if r["error"] or r["duplicate_of"])
    meta = json.loads((out / "embedding.json").read_text())
    assert meta["backbone"] == "resnet18" and meta["dim"] == 512 and meta["rows"] == 6
    assert (out / "cache" / "features").is_dir()


def test_rerun_reuses_the_store_and_gives_the_same_files(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["embed", str(images), "--out", str(out), *FAST])
    first = np.load(out / "embeddings.npy")
    Image.fromarray(texture(30, 30, 11)).save(images / "zz_new.png")
    main(["embed", str(images), "--out", str(out), *FAST])
    second = _vectors_by_path(out)
    assert len(second) == 7
    assert np.array_equal(np.stack([second[r["path"]] for r in _manifest(out)
                                    if r["row"] and r["path"] != "zz_new.png"]), first)


def test_shards_merge_to_the_whole(images: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    main(["embed", str(images), "--out", str(whole), *PIXELS])
    shard_dirs = [tmp_path / f"shard-{i}" for i in range(3)]
    for i, out in enumerate(shard_dirs):
        assert main(["embed", str(images), "--out", str(out), "--shard", f"{i}/3", *PIXELS]) == 0
    merged = tmp_path / "merged"
    assert main(["merge-shards", *map(str, shard_dirs), "--out", str(merged),
                 "--no-progress"]) == 0
    assert [(r["path"], r["row"], r["duplicate_of"], r["error"]) for r in _manifest(merged)] \
        == [(r["path"], r["row"], r["duplicate_of"], r["error"]) for r in _manifest(whole)]
    expected, got = _vectors_by_path(whole), _vectors_by_path(merged)
    assert expected.keys() == got.keys()
    for path in expected:
        np.testing.assert_allclose(got[path], expected[path], rtol=1e-5, atol=1e-6)


def test_merge_refuses_shards_of_different_models(images: Path, tmp_path: Path) -> None:
    main(["embed", str(images), "--out", str(tmp_path / "a"), "--shard", "0/2", *FAST])
    main(["embed", str(images), "--out", str(tmp_path / "b"), "--shard", "1/2", *FAST,
          "--seed", "1"])
    assert main(["merge-shards", str(tmp_path / "a"), str(tmp_path / "b"),
                 "--out", str(tmp_path / "m")]) == 2


@pytest.mark.parametrize("extra, message", [
    (["--shard", "3/3"], "shard"),
    (["--model", "resnet18", "--weights", "missing.pth"], "neither 'auto'"),
    (["--batch-size", "0"], "--batch-size"),
    (["--threads", "0"], "--threads"),
])
def test_bad_options_are_one_line_errors(images: Path, tmp_path: Path, capsys, extra,
                                         message) -> None:
    code = main(["embed", str(images), "--out", str(tmp_path / "o"), *PIXELS, *extra])
    assert code == 2 and message in capsys.readouterr().err


def test_cuda_without_a_gpu_is_a_clear_error(images: Path, tmp_path: Path, capsys) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["embed", str(images), "--out", str(tmp_path / "o"), *FAST,
                 "--device", "cuda"]) == 2
    assert "use --device cpu" in capsys.readouterr().err


def test_labels_and_folder_labels_reach_the_manifest(images: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\ngray.png,smooth\n")
    out = tmp_path / "out"
    main(["embed", str(images), "--out", str(out), *PIXELS, "--labels", str(labels),
          "--labels-from-folders"])
    by_path = {r["path"]: r["label"] for r in _manifest(out)}
    assert by_path["gray.png"] == "smooth" and by_path["sem/frame.tif"] == "sem"
    assert by_path["colour.jpg"] == ""


def test_run_command_still_works(tmp_path: Path) -> None:
    root = tmp_path / "imgs"
    root.mkdir()
    for i in range(6):
        Image.fromarray(texture(28, 28, i)).save(root / f"{i}.png")
    shutil.copyfile(root / "0.png", root / "dup.png")
    out = tmp_path / "run"
    assert main(["run", str(root), "--out", str(out), "--cache-dir", str(tmp_path / "c"),
                 "--no-progress", "--backbone", "pixels"]) == 0
    assert np.load(out / "embeddings.npy").shape == (6, 28 * 28)
    info = json.loads((out / "embedding.json").read_text())
    assert info["backbone"] == "pixels" and info["kind"] == "pixels"
    assert info["representation"].startswith("pixels (784-d") and info["dim"] == 784
    assert np.load(out / "projection.npy").shape == (6, 2)
    assert sum(1 for r in _manifest(out) if r["row"]) == 6
