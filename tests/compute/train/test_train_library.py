"""The weights folder the dashboard trains into: names, listing, training, safety."""

import os
import subprocess
import sys

import pytest

from compute.train.checkpoint import load_backbone
from compute.train.data import auto_input_size
from compute.train.library import (
    RUNNING_PREFIX,
    list_trained,
    remove_abandoned_runs,
    train_into,
    trained_path,
)
from compute.train.loop import TrainConfig
from tests.compute.train_toys import one_torch_thread, write_toy_folder  # noqa: F401

TINY = TrainConfig(epochs=1, batch_size=4, steps_per_epoch=2)


@pytest.fixture
def toy_folder(tmp_path):
    return write_toy_folder(tmp_path)


def test_train_into_names_the_checkpoint_by_content_and_lists_it(toy_folder, tmp_path):
    images, labels = toy_folder
    weights_dir = tmp_path / "weights"
    seen = []
    trained = train_into(weights_dir, images, labels, strategy="simclr", config=TINY,
                         progress=lambda done, total: seen.append(done / total))
    assert trained.name.startswith("simclr-resnet18-") and trained.path.is_file()
    assert trained.path.with_suffix(".json").is_file()
    assert sorted(p.name for p in weights_dir.iterdir()) == sorted(
        [trained.name, trained.path.with_suffix(".json").name])  # no running file left
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert trained.metadata.input_size == 32  # chosen for the 20 x 20 toy images
    listed = list_trained(weights_dir)
    assert [w.name for w in listed] == [trained.name]
    assert "simclr, resnet18 at 32 px, 1 epoch, nt_xent_loss" in listed[0].label
    assert f"trained on {images.name}, 12 images" in listed[0].label  # where it came from
    backbone, meta = load_backbone(trained_path(weights_dir, trained.name))
    assert meta.strategy == "simclr" and meta.n_images == 12 and meta.source == images.name


def test_listing_reads_a_checkpoint_without_sidecar_and_skips_junk(toy_folder, tmp_path):
    images, labels = toy_folder
    weights_dir = tmp_path / "weights"
    first = train_into(weights_dir, images, labels, strategy="finetune",
                       config=TrainConfig(epochs=1, batch_size=4, steps_per_epoch=1))
    first.path.with_suffix(".json").unlink()  # e.g. a checkpoint copied in by hand
    (weights_dir / "broken.pt").write_bytes(b"not a checkpoint")
    (weights_dir / f"{RUNNING_PREFIX}123.pt").write_bytes(b"half written")
    listed = list_trained(weights_dir)
    assert [w.name for w in listed] == [first.name]
    assert listed[0].metadata.strategy == "finetune"
    assert first.path.with_suffix(".json").is_file()  # the sidecar is written back


@pytest.mark.parametrize("name", ["../x.pt", "/etc/passwd", "a/b.pt", "x.pth", "", ".hidden.pt",
                                  f"{RUNNING_PREFIX}1.pt", "x.pt\x00", None, 3])
def test_trained_path_accepts_only_plain_names_of_the_folder(tmp_path, name):
    with pytest.raises(ValueError, match="Weights list"):
        trained_path(tmp_path, name)


def test_trained_path_of_a_deleted_file_says_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="train again"):
        trained_path(tmp_path, "simclr-resnet18-0123456789ab.pt")


def test_supervised_training_without_labels_is_a_clear_error(toy_folder, tmp_path):
    images, _ = toy_folder
    with pytest.raises(ValueError, match="label"):
        train_into(tmp_path / "weights", images, None, strategy="finetune", config=TINY)
    assert not list(tmp_path.joinpath("weights").glob("*.pt"))


def test_abandoned_runs_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / f"{RUNNING_PREFIX}{dead}.pt").write_bytes(b"x")
    (tmp_path / f"{RUNNING_PREFIX}{dead}.pt123.tmp").write_bytes(b"x")
    mine = tmp_path / f"{RUNNING_PREFIX}{os.getpid()}.pt"
    mine.write_bytes(b"x")
    assert remove_abandoned_runs(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == [mine.name]


@pytest.mark.parametrize(("sizes", "expected"), [
    ([(28, 28)] * 5, 32), ([(60, 80)] * 3 + [(2000, 2000)], 64), ([(1024, 768)], 224),
    ([(100, 100), (20, 20), (200, 200)], 128), ([], 224), ([(0, 0)], 224)])
def test_auto_input_size_covers_the_median_image(sizes, expected):
    assert auto_input_size(sizes) == expected


def test_adapt_joins_the_library_at_least_96_px_with_its_trunk_cached(toy_folder, tmp_path):
    images, _ = toy_folder
    steps = tmp_path / "steps"
    trained = train_into(tmp_path / "weights", images, None, strategy="adapt",
                         config=TrainConfig(epochs=1, batch_size=4), step_cache=steps)
    assert trained.name.startswith("adapt-efficientnet_lite0-")
    assert trained.metadata.input_size == 96  # the toy's 32 px would leave a 1 x 1 map
    assert [w.name for w in list_trained(tmp_path / "weights")] == [trained.name]
    assert any(p.name.startswith("adapt_trunk") or "adapt_trunk" in str(p)
               for p in steps.rglob("*"))
