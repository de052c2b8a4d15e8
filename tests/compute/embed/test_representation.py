"""The default representation (issue 15): backbone "auto", its kind and plain name, and
preprocessing that keeps the whole image."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compute.embed import (
    AUTO_BACKBONE,
    BACKBONE_CHOICES,
    BACKBONES,
    DEFAULT_BACKBONE,
    representation_kind,
    resolve_backbone,
)
from compute.embed import backbones as backbones_module
from compute.embed.backbones import representation_title
from compute.embed.preprocess import DEFAULT_FIT, FITS, Preprocessing, preprocessing_for
from compute.pipeline import PipelineConfig

torch = pytest.importorskip("torch")


@pytest.fixture()
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub checkpoint folder; any download fails the test."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def no_download(url: str) -> Path:
        raise AssertionError(f"'auto' must never download ({url})")

    monkeypatch.setattr(backbones_module, "_download", no_download)
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    return folder


def test_representation_kind_tells_cnn_features_from_pixels() -> None:
    assert representation_kind("pixels") == "pixels"
    assert representation_kind(AUTO_BACKBONE) == "cnn"
    for name in ("resnet18", "resnet50", "efficientnet_lite0"):
        assert representation_kind(name) == "cnn"
    with pytest.raises(ValueError, match="unknown backbone"):
        representation_kind("vgg16")


def test_auto_is_efficientnet_lite0_offline_and_never_downloads(hub: Path) -> None:
    assert resolve_backbone(AUTO_BACKBONE) == "efficientnet_lite0"
    weights = backbones_module.resolve_weights(AUTO_BACKBONE, "auto")
    assert weights.backbone == "efficientnet_lite0" and weights.kind == "imagenet"


def test_auto_is_resnet50_when_its_imagenet_weights_are_in_the_torch_cache(hub: Path) -> None:
    (hub / "resnet50-0676ba61.pth").write_bytes(b"present")
    assert resolve_backbone(AUTO_BACKBONE) == "resnet50"
    assert resolve_backbone("pixels") == "pixels"  # a chosen backbone stays itself


def test_auto_takes_the_network_whose_features_a_folder_ships(hub: Path,
                                                                tmp_path: Path) -> None:
    """ResNet-50 on disk, a folder shipping EfficientNet-Lite0's features (as the demo
    does): "auto" embeds nothing and names the shipped network; a folder that ships none,
    or ResNet-50's, gets ResNet-50; a network asked for by name is never overridden."""
    from compute.embed import auto_backbone_for, embed_dataset, prepare_model
    from compute.embed.seed import write_seed
    from compute.ingest import scan_folder

    (hub / "resnet50-0676ba61.pth").write_bytes(b"present")  # not loadable: never built
    folder = tmp_path / "shipped"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((16, 16), 40 * i, np.uint8)).save(folder / f"im{i}.png")
    ids = [r.id for r in scan_folder(folder).usable]
    vectors = np.random.default_rng(0).normal(size=(3, 1280)).astype(np.float32)
    assert auto_backbone_for(folder) == "resnet50"  # ships nothing yet
    write_seed(folder, prepare_model("efficientnet_lite0", build=False).key, ids, vectors)
    assert auto_backbone_for(folder) == "efficientnet_lite0"
    embeddings = embed_dataset(scan_folder(folder), backbone=AUTO_BACKBONE)
    assert embeddings.backbone == "efficientnet_lite0"
    assert np.allclose(embeddings.vectors, vectors, rtol=1e-3, atol=1e-3)
    resnet_key = prepare_model("resnet50", build=False).key
    write_seed(folder, resnet_key, ids, np.zeros((3, 2048), np.float32))
    assert auto_backbone_for(folder) == "resnet50"  # it ships both: the preferred one


def test_auto_with_trained_weights_takes_their_network(hub: Path, tmp_path: Path) -> None:
    from compute.embed import prepare_model, save_checkpoint

    path = tmp_path / "trained.pth"
    module = prepare_model("resnet18", weights="random").module
    save_checkpoint(path, module.state_dict(), backbone="resnet18", strategy="finetune")
    assert resolve_backbone(AUTO_BACKBONE, str(path)) == "resnet18"


def test_representation_is_named_plainly() -> None:
    assert representation_title("efficientnet_lite0", "imagenet", 1280) == (
        "EfficientNet-Lite0, ImageNet weights (1280-d)")
    assert representation_title("resnet50", "file", 2048) == "ResNet-50, trained weights (2048-d)"
    pixels = representation_title("pixels", "none", 784)
    assert pixels.startswith("pixels (784-d") and "ImageNet" not in pixels


def test_the_default_representation_is_the_same_everywhere() -> None:
    from compute.options import add_folder_arguments
    from explorer.config import AppConfig

    assert PipelineConfig(images="").backbone == DEFAULT_BACKBONE == AppConfig().backbone
    parser = argparse.ArgumentParser()
    add_folder_arguments(parser, positional=True)
    assert parser.parse_args(["folder"]).backbone == DEFAULT_BACKBONE
    assert set(BACKBONE_CHOICES) == {AUTO_BACKBONE, *BACKBONES}


def _frame_with_a_left_stripe(width: int = 120, height: int = 60) -> Image.Image:
    """Black, with a white stripe along its left edge (content the centre crop cuts)."""
    pixels = np.zeros((height, width), np.uint8)
    pixels[:, :6] = 255
    return Image.fromarray(pixels)


@pytest.mark.parametrize("fit", FITS)
def test_every_fit_gives_the_network_square(fit: str) -> None:
    x = preprocessing_for("resnet", input_size=64, fit=fit)(_frame_with_a_left_stripe())
    assert x.shape == (3, 64, 64) and x.dtype == np.float32


def test_letterbox_and_stretch_keep_the_whole_image_crop_cuts_it() -> None:
    frame = _frame_with_a_left_stripe()
    white = (1 - 0.485) / 0.229 - 0.1  # channel 0 of a (nearly) white pixel, normalised
    seen = {fit: preprocessing_for("resnet", input_size=64, fit=fit)(frame)[0].max() > white
            for fit in FITS}
    assert seen == {"letterbox": True, "stretch": True, "crop": False}


def test_letterbox_keeps_the_aspect_and_fills_with_the_image_mean() -> None:
    frame = Image.fromarray(np.full((30, 90), 200, np.uint8))  # 3:1, one grey
    x = Preprocessing(resize=64, crop=60, channels=1, fit="letterbox")(frame)[0]
    assert np.allclose(x, 200 / 255)  # the fill is the image's mean: no bars to see
    stripe = np.zeros((30, 90), np.uint8)
    stripe[:, :45] = 255  # left half white
    x = Preprocessing(resize=64, crop=60, channels=1, fit="letterbox")(Image.fromarray(stripe))
    rows = x[0].mean(axis=1)
    assert np.allclose(rows[:20], rows[0]) and np.allclose(rows[:20], 0.5, atol=0.02)
    inside = x[0, 30]  # the 60 x 20 picture sits in rows 20..39
    assert inside[:29].min() > 0.95 and inside[31:].max() < 0.05  # not stretched, not cut


def test_cache_keys_include_the_fit_and_crop_keeps_its_old_key() -> None:
    keys = {fit: Preprocessing(fit=fit).fingerprint for fit in FITS}
    assert len(set(keys.values())) == len(FITS)
    assert keys["crop"] == "d8450d46ef68a5bc0cc3bbbb4648fd2e"  # before issue 15: stores valid
    with pytest.raises(ValueError, match="unknown fit"):
        Preprocessing(fit="zoom")


def test_the_default_fit_is_the_embedders(tmp_path: Path) -> None:
    from compute.embed import prepare_model

    model = prepare_model("resnet18", weights="random", input_size=64)
    assert model.preprocessing.fit == DEFAULT_FIT
    pixels = prepare_model("pixels")
    assert pixels.preprocessing.fit == DEFAULT_FIT and "ImageNet" not in pixels.title
