"""Embedding: backbones, weights, checkpoints, the per-id feature store, resuming."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compute.embed import (
    BACKBONES,
    FeatureStore,
    Preprocessing,
    embed_dataset,
    prepare_model,
    resolve_weights,
    save_checkpoint,
)
from compute.embed import backbones as backbones_module
from compute.embed.backbones import build_model
from compute.embed.preprocess import DEFAULT_FIT, preprocessing_for
from compute.ingest import scan_folder
from tests.compute._image_fixtures import sem_frame, texture, write_bad_files, write_good_images

torch = pytest.importorskip("torch")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    root.mkdir()
    for i in range(5):
        Image.fromarray(texture(40 + i, 50, seed=i)).save(root / f"img{i}.png")
    return root


def _embed(root: Path, **options) -> object:
    options = {"backbone": "resnet18", "weights": "random", "workers": 0, "input_size": 64,
               **options}
    return embed_dataset(scan_folder(root), **options)


def test_pixels_baseline(folder: Path) -> None:
    emb = _embed(folder, backbone="pixels")
    assert emb.vectors.shape == (5, 28 * 28) and emb.vectors.dtype == np.float32
    assert emb.vectors.min() >= 0.0 and emb.vectors.max() <= 1.0
    assert emb.paths == tuple(sorted(emb.paths))


def test_resnet18_random_is_deterministic(folder: Path) -> None:
    a, b = _embed(folder), _embed(folder)
    assert a.vectors.shape == (5, 512) and np.isfinite(a.vectors).all()
    assert np.array_equal(a.vectors, b.vectors)
    assert not np.allclose(a.vectors[0], a.vectors[1])
    assert not np.array_equal(a.vectors, _embed(folder, random_state=1).vectors)


def test_logits_features(folder: Path) -> None:
    assert _embed(folder, features="logits").vectors.shape == (5, 1000)
    with pytest.raises(ValueError, match="unknown features"):
        _embed(folder, features="middle")


def test_store_embeds_only_new_images(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _embed(folder, store_dir=store)
    for i in (5, 6):
        Image.fromarray(texture(45, 45, seed=i)).save(folder / f"new{i}.png")
    calls: list[tuple[int, int]] = []
    second = _embed(folder, store_dir=store, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (5, 7)  # the five stored images count as done before any work
    assert calls[-1] == (7, 7)
    rows = {p: i for i, p in enumerate(second.paths)}
    assert np.array_equal(second.vectors[[rows[p] for p in first.paths]], first.vectors)


def test_resume_after_an_interrupted_run(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"

    def interrupt(done: int, total: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _embed(folder, store_dir=store, batch_size=2, progress=interrupt)
    calls: list[tuple[int, int]] = []
    resumed = _embed(folder, store_dir=store, batch_size=2,
                     progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (2, 5)
    # same vectors up to float rounding (batch size changes the BLAS summation order)
    np.testing.assert_allclose(resumed.vectors, _embed(folder).vectors, rtol=1e-5, atol=1e-6)


def test_store_keys_separate_models_and_preprocessing(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    plain = _embed(folder, store_dir=store)
    other = _embed(folder, store_dir=store, random_state=3)
    bar = _embed(folder, store_dir=store, keep_data_bar=True)
    assert len({plain.key, other.key, bar.key}) == 3
    assert len(list((store / "features").glob("*.sqlite"))) == 3


def test_state_dict_and_checkpoint_round_trip(folder: Path, tmp_path: Path) -> None:
    model = prepare_model("resnet18", weights="random", random_state=7)
    full = prepare_model("resnet18", weights="random", features="logits", random_state=7)
    bare = tmp_path / "bare.pth"
    torch.save(full.module.state_dict(), bare)
    ckpt = save_checkpoint(tmp_path / "ckpt.pth", full.module.state_dict(), backbone="resnet18",
                           strategy="supervised", epochs=3)
    reference = _embed(folder, random_state=7).vectors
    assert np.array_equal(_embed(folder, weights=str(bare)).vectors, reference)
    assert np.array_equal(_embed(folder, weights=str(ckpt)).vectors, reference)
    assert resolve_weights("resnet18", str(ckpt)).metadata["strategy"] == "supervised"
    assert model.weights.kind == "random"


def test_checkpoint_with_another_head_gives_its_logits(folder: Path, tmp_path: Path) -> None:
    net = prepare_model("resnet18", weights="random", features="logits").module
    net.fc = torch.nn.Linear(512, 10)
    path = save_checkpoint(tmp_path / "ten.pth", net.state_dict(), backbone="resnet18",
                           strategy="supervised", classes=10)
    assert _embed(folder, weights=str(path), features="logits").vectors.shape == (5, 10)


def test_bad_weights_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neither 'auto'"):
        resolve_weights("resnet18", str(tmp_path / "missing.pth"))
    junk = tmp_path / "junk.pth"
    junk.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="cannot read weights file"):
        resolve_weights("resnet18", str(junk))
    other = tmp_path / "r34.pth"
    save_checkpoint(other, prepare_model("resnet18", weights="random").module.state_dict(),
                    backbone="resnet34", strategy="simclr")
    with pytest.raises(ValueError, match="pass --model resnet34"):
        resolve_weights("resnet18", str(other))
    wrong = tmp_path / "wrong.pth"
    torch.save(prepare_model("resnet34", weights="random").module.state_dict(), wrong)
    with pytest.raises(ValueError, match="do not fit resnet18"):
        prepare_model("resnet18", weights=str(wrong))
    with pytest.raises(ValueError, match="unknown backbone"):
        resolve_weights("vgg16", "random")


@pytest.fixture()
def offline_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub folder and no downloads."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def no_internet(url: str) -> Path:
        raise OSError("no internet in this test")

    monkeypatch.setattr(backbones_module, "_download", no_internet)
    return tmp_path / "hub" / "checkpoints"


def test_imagenet_weights_offline_explain_the_fix(offline_hub: Path) -> None:
    with pytest.raises(ValueError, match=r"--weights PATH"):
        resolve_weights("resnet50", "imagenet")


def test_auto_falls_back_to_efficientnet_lite0_loudly(offline_hub: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        weights = resolve_weights("resnet50", "auto")
    assert weights.backbone == "efficientnet_lite0" and weights.kind == "imagenet"
    assert "Falling back to efficientnet_lite0" in caplog.text


def test_imagenet_weights_come_from_the_torch_cache(folder: Path, offline_hub: Path) -> None:
    offline_hub.mkdir(parents=True)
    state = prepare_model("resnet18", weights="random", features="logits",
                          random_state=5).module.state_dict()
    torch.save(state, offline_hub / "resnet18-f37072fd.pth")
    weights = resolve_weights("resnet18", "auto")
    assert weights.kind == "imagenet" and weights.backbone == "resnet18"
    assert np.array_equal(_embed(folder, weights="imagenet").vectors,
                          _embed(folder, random_state=5).vectors)


def test_a_damaged_imagenet_file_in_the_torch_cache_says_which_and_what_to_do(
        offline_hub: Path) -> None:
    offline_hub.mkdir(parents=True)
    damaged = offline_hub / "resnet18-f37072fd.pth"
    damaged.write_bytes(b"PK\x03\x04 a download cut short")
    weights = resolve_weights("resnet18", "auto")
    with pytest.raises(ValueError, match=r"damaged.*delete it") as err:
        build_model(weights)
    assert str(damaged) in str(err.value)


@pytest.mark.slow
def test_efficientnet_lite0_classifies_a_cat_as_a_cat(tmp_path: Path) -> None:
    data = pytest.importorskip("skimage.data", reason="scikit-image (requirements-test.txt)")
    Image.fromarray(data.chelsea()).save(tmp_path / "chelsea.png")
    Image.fromarray(data.camera()).save(tmp_path / "camera.png")
    emb = embed_dataset(scan_folder(tmp_path), backbone="efficientnet_lite0",
                        weights="imagenet", features="logits", workers=0)
    assert emb.weights.startswith("efficientnet_lite0 with imagenet weights")
    cat = emb.vectors[emb.paths.index("chelsea.png")]
    assert 281 <= int(cat.argmax()) <= 285  # ImageNet's domestic cats
    features = embed_dataset(scan_folder(tmp_path), backbone="efficientnet_lite0",
                             weights="imagenet", workers=0)
    assert features.vectors.shape == (2, BACKBONES["efficientnet_lite0"].feature_dim)


def test_data_bar_is_kept_out_of_the_network_input(tmp_path: Path) -> None:
    frame = sem_frame(seed=3)
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    Image.fromarray(frame).save(tmp_path / "with" / "frame.png")
    Image.fromarray(frame[:200]).save(tmp_path / "without" / "frame.png")
    cut = _embed(tmp_path / "with", backbone="pixels").vectors
    kept = _embed(tmp_path / "with", backbone="pixels", keep_data_bar=True).vectors
    plain = _embed(tmp_path / "without", backbone="pixels").vectors
    assert np.array_equal(cut, plain)
    assert not np.array_equal(kept, plain)


def test_messy_folder_embeds_only_usable_images(tmp_path: Path) -> None:
    good = write_good_images(tmp_path / "images")
    write_bad_files(tmp_path / "images", duplicate_of=good["gray"])
    dataset = scan_folder(tmp_path / "images")
    emb = embed_dataset(dataset, backbone="resnet18", weights="random", workers=0,
                        input_size=64)
    assert emb.paths == tuple(r.path for r in dataset.usable)
    assert emb.vectors.shape == (6, 512) and np.isfinite(emb.vectors).all()


def test_file_broken_after_the_scan_is_reported_not_fatal(folder: Path) -> None:
    dataset = scan_folder(folder)
    (folder / "img2.png").write_bytes(b"broken")
    emb = embed_dataset(dataset, backbone="resnet18", weights="random", workers=0,
                        input_size=64)
    assert "img2.png" not in emb.paths and len(emb.paths) == 4
    assert dict(emb.failures)["img2.png"].startswith("not a usable image at embedding time")
    assert len(dataset.with_failures(dict(emb.failures)).usable) == 4


@pytest.mark.slow
def test_worker_processes_give_the_same_vectors(folder: Path) -> None:
    np.testing.assert_allclose(_embed(folder, workers=2, batch_size=2).vectors,
                               _embed(folder).vectors, rtol=1e-5, atol=1e-6)


def test_preprocessing_recipe() -> None:
    gray = Image.fromarray(texture(300, 500, seed=1))
    x = Preprocessing()(gray)
    assert x.shape == (3, 224, 224) and x.dtype == np.float32
    assert np.array_equal(x, Preprocessing()(gray.convert("RGB")))  # replicated channels
    assert not np.array_equal(x[0], x[1])  # ...but normalised per channel
    assert Preprocessing(resize=28, crop=28, channels=1)(gray).shape == (1, 28, 28)
    assert Preprocessing().fingerprint != Preprocessing(keep_data_bar=True).fingerprint
    assert preprocessing_for("resnet", input_size=112) == Preprocessing(resize=128, crop=112,
                                                                         fit=DEFAULT_FIT)
    with pytest.raises(ValueError, match="too small"):
        preprocessing_for("resnet", input_size=8)


def test_feature_store(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path / "f.sqlite", dim=3, meta={"model": "a"})
    store.put(["x", "y"], np.array([[1, 2, 3], [4, 5, 6]], np.float32))
    assert store.missing(["y", "z", "x", "z"]) == ["z"]
    assert store.get(["y", "x"]).tolist() == [[4, 5, 6], [1, 2, 3]]
    with pytest.raises(KeyError, match="z"):
        store.get(["z"])
    with pytest.raises(ValueError, match="shape"):
        store.put(["q"], np.zeros((1, 4), np.float32))
    store.close()
    assert len(FeatureStore(tmp_path / "f.sqlite", dim=3, meta={"model": "a"})) == 2
    with pytest.raises(ValueError, match="other settings"):
        FeatureStore(tmp_path / "f.sqlite", dim=3, meta={"model": "b"})


def test_nothing_usable_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_text("no")
    with pytest.raises(ValueError, match="no readable images"):
        embed_dataset(scan_folder(tmp_path), backbone="pixels")


def test_copy_of_a_folder_reuses_the_store(folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    _embed(folder, store_dir=store)
    shutil.copytree(folder, tmp_path / "copy")
    calls: list[tuple[int, int]] = []
    _embed(tmp_path / "copy", store_dir=store, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(5, 5)]


def test_opening_a_full_store_to_read_it_takes_no_write_lock(tmp_path):
    """Jobs and the server open one store at once; a reader must not need the write lock
    that another job holds (seen: "database is locked" in the quality-report job)."""
    import sqlite3
    import threading

    from compute.embed.store import FeatureStore

    path = tmp_path / "features.sqlite"
    first = FeatureStore(path, dim=2, meta={"backbone": "x"})
    first.put(["a"], np.ones((1, 2), np.float32))
    first.close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process is writing
    read = []
    thread = threading.Thread(target=lambda: read.append(
        FeatureStore(path, dim=2, meta={"backbone": "x"}).get(["a"])))
    thread.start()
    thread.join(timeout=20)
    waited_for_the_writer = thread.is_alive()
    writer.execute("ROLLBACK")
    thread.join()
    assert not waited_for_the_writer
    assert read and read[0].tolist() == [[1.0, 1.0]]
