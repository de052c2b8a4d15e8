"""The embedder takes a trained checkpoint's input recipe (size, resize, normalisation,
Sobel filter) from its metadata; an explicit, different --input-size wins with a warning."""

import logging

import numpy as np
import pytest

from compute.embed import prepare_model
from compute.embed.preprocess import IMAGENET_MEAN, Preprocessing
from compute.train.checkpoint import load_backbone
from compute.train.data import stack_from_arrays
from compute.train.deepcluster import DeepClusterOptions
from compute.train.loop import TrainConfig, train_images
from tests.compute.train_toys import one_torch_thread, toy_images, toy_stack  # noqa: F401

ONE_EPOCH = TrainConfig(epochs=1, batch_size=6, seed=7, threads=1)


def _same_outputs(model, backbone, size):
    import torch

    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        np.testing.assert_allclose(model.module(x).numpy(), backbone(x).numpy(), atol=1e-5)


@pytest.fixture(scope="module")
def finetuned_32(tmp_path_factory):
    """A checkpoint trained on 32-pixel crops of 34-pixel images, with its own normalisation."""
    images, labels = toy_images(4)
    prep = Preprocessing(resize=34, crop=32, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    out = tmp_path_factory.mktemp("ckpt") / "ft32.pt"
    train_images(stack_from_arrays(images, labels, preprocessing=prep), strategy="finetune",
                 out=out, config=ONE_EPOCH)
    return out


def test_a_checkpoint_trained_at_32_embeds_at_32_without_flags(finetuned_32):
    model = prepare_model("resnet18", weights=str(finetuned_32))
    prep = model.preprocessing
    assert (prep.resize, prep.crop) == (34, 32)
    assert prep.mean == (0.5, 0.5, 0.5) and prep.std == (0.25, 0.25, 0.25)
    assert model.weights.metadata["strategy"] == "finetune"
    backbone, _ = load_backbone(finetuned_32)
    _same_outputs(model, backbone, 32)


def test_an_explicit_different_input_size_wins_with_a_warning(finetuned_32, caplog):
    with caplog.at_level(logging.WARNING):
        model = prepare_model("resnet18", weights=str(finetuned_32), input_size=64)
    assert (model.preprocessing.resize, model.preprocessing.crop) == (68, 64)
    assert model.preprocessing.mean == (0.5, 0.5, 0.5)
    assert "trained on 32-pixel inputs" in caplog.text and "drop --input-size" in caplog.text
    same = prepare_model("resnet18", weights=str(finetuned_32), input_size=32)
    assert same.preprocessing == prepare_model("resnet18", weights=str(finetuned_32)).preprocessing


def test_weights_without_metadata_keep_the_imagenet_recipe():
    model = prepare_model("resnet18", weights="random")
    assert (model.preprocessing.resize, model.preprocessing.crop) == (256, 224)
    assert model.preprocessing.mean == IMAGENET_MEAN


def test_a_sobel_checkpoint_gets_its_filter_in_the_embedder(tmp_path):
    out = tmp_path / "dc.pt"
    train_images(toy_stack(crop=32), strategy="deepcluster", out=out, input_filter="sobel",
                 config=TrainConfig(epochs=1, batch_size=12, seed=3, threads=1),
                 options=DeepClusterOptions(k=3, pca_dim=8, kmeans_iters=5))
    model = prepare_model("resnet18", weights=str(out))
    backbone, meta = load_backbone(out)
    assert meta.input_filter == "sobel" and model.preprocessing.crop == 32
    _same_outputs(model, backbone, 32)


def test_the_embed_command_needs_no_input_size_for_a_checkpoint(finetuned_32, tmp_path):
    import json

    from PIL import Image

    from compute.cli import main

    images, _ = toy_images(2)
    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"im{i}.png")
    rc = main(["embed", str(folder), "--model", "resnet18", "--weights", str(finetuned_32),
               "--workers", "0", "--threads", "1", "--no-progress", "--out",
               str(tmp_path / "emb")])
    assert rc == 0
    assert np.load(tmp_path / "emb" / "embeddings.npy").shape == (6, 512)
    assert json.loads((tmp_path / "emb" / "embedding.json").read_text())["weights"].startswith(
        "resnet18 with file weights")
