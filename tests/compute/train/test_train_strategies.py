"""Tiny runs of every image strategy: the loss falls, the checkpoint loads, resume works."""

import numpy as np
import pytest

from compute.train.backbone import extract_features
from compute.train.checkpoint import load_backbone, load_checkpoint
from compute.train.deepcluster import DeepClusterOptions, inverse_size_weights
from compute.train.loop import TrainConfig, train_images
from compute.train.simclr import nt_xent_loss
from compute.train.triplet import batch_hard_triplet_loss
from tests.compute.train_toys import assert_same_weights, one_torch_thread, toy_stack  # noqa: F401

FAST = TrainConfig(epochs=4, batch_size=12, seed=3, threads=1)


def _losses(result, key):
    return [h[key] for h in result.metadata.history]


def test_finetune_loss_falls_and_checkpoint_loads_into_a_feature_extractor(tmp_path):
    stack = toy_stack()
    config = TrainConfig(epochs=4, batch_size=8, lr=0.01, seed=3, threads=1)
    result = train_images(stack, strategy="finetune", out=tmp_path / "ft.pt", config=config)
    losses = _losses(result, "train_loss")
    assert min(losses[1:]) < losses[0]
    assert {"val_loss", "val_accuracy", "train_accuracy"} <= set(result.metadata.history[0])
    backbone, meta = load_backbone(result.checkpoint)
    assert meta.strategy == "finetune" and meta.classes == ("blob", "stripes-h", "stripes-v")
    features = extract_features(backbone, stack)
    assert features.shape == (24, 512) and features.dtype == np.float32


def test_metadata_round_trips(tmp_path):
    stack = toy_stack(4)
    config = TrainConfig(epochs=1, batch_size=6, seed=5, threads=1)
    calls = []
    result = train_images(stack, strategy="finetune", out=tmp_path / "m.pt", config=config,
                          progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (1000, 1000) and len(calls) > 2
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    meta = load_checkpoint(result.checkpoint).metadata
    assert meta == result.metadata
    assert (meta.backbone, meta.epochs, meta.seed, meta.input_size, meta.resize) == (
        "resnet18", 1, 5, 16, 18)
    assert meta.data_fingerprint == stack.fingerprint and meta.n_labelled == 12
    assert meta.params["lr"] == 1e-3 and meta.params["batch_size"] == 6


def test_resumed_run_continues_to_the_same_weights(tmp_path):
    stack = toy_stack(4)
    straight = train_images(stack, strategy="finetune", out=tmp_path / "a.pt",
                            config=TrainConfig(epochs=2, batch_size=6, seed=1, threads=1))
    train_images(stack, strategy="finetune", out=tmp_path / "b.pt",
                 config=TrainConfig(epochs=1, batch_size=6, seed=1, threads=1))
    resumed = train_images(stack, strategy="finetune", out=tmp_path / "b.pt", resume=True,
                           config=TrainConfig(epochs=2, batch_size=6, seed=1, threads=1))
    assert resumed.metadata.epochs == 2
    assert resumed.metadata.history == straight.metadata.history
    assert_same_weights(straight.checkpoint, resumed.checkpoint)


def test_resume_refuses_another_strategy(tmp_path):
    stack = toy_stack(4)
    cfg = TrainConfig(epochs=1, batch_size=6, threads=1)
    train_images(stack, strategy="finetune", out=tmp_path / "x.pt", config=cfg)
    with pytest.raises(ValueError, match="cannot resume"):
        train_images(stack, strategy="simclr", out=tmp_path / "x.pt", config=cfg, resume=True)


@pytest.mark.parametrize("strategy", ["finetune", "triplet"])
def test_supervised_strategies_without_labels_say_what_to_do(tmp_path, strategy):
    with pytest.raises(ValueError, match="--labels"):
        train_images(toy_stack(4, labelled=False), strategy=strategy, out=tmp_path / "s.pt",
                     config=TrainConfig(epochs=1, batch_size=6, threads=1))


def test_triplet_loss_falls(tmp_path):
    config = TrainConfig(epochs=4, batch_size=12, lr=0.01, seed=2, threads=1)
    result = train_images(toy_stack(), strategy="triplet", out=tmp_path / "t.pt", config=config)
    losses = _losses(result, "triplet_loss")
    assert min(losses[1:]) < losses[0]


def test_deepcluster_runs_without_labels_and_monitors_nmi_with_them(tmp_path):
    options = DeepClusterOptions(k=3, pca_dim=8, kmeans_iters=5)
    unlabelled = train_images(toy_stack(labelled=False), strategy="deepcluster",
                              out=tmp_path / "u.pt", config=FAST, options=options)
    assert "nmi_pseudo_vs_labels" not in unlabelled.metadata.history[0]
    labelled = train_images(toy_stack(), strategy="deepcluster", out=tmp_path / "l.pt",
                            config=FAST, options=options, input_filter="sobel")
    history = labelled.metadata.history
    assert 0.0 <= history[-1]["nmi_pseudo_vs_labels"] <= 1.0
    assert min(h["cluster_loss"] for h in history[1:]) < history[0]["cluster_loss"] * 1.5
    backbone, meta = load_backbone(labelled.checkpoint)
    assert meta.input_filter == "sobel"
    assert extract_features(backbone, toy_stack()).shape == (24, 512)


def test_deepcluster_rejects_more_clusters_than_it_can_fill(tmp_path):
    with pytest.raises(ValueError, match="smaller --k"):
        train_images(toy_stack(), strategy="deepcluster", out=tmp_path / "d.pt", config=FAST)


def test_simclr_loss_falls(tmp_path):
    config = TrainConfig(epochs=5, batch_size=12, seed=4, threads=1)
    result = train_images(toy_stack(), strategy="simclr", out=tmp_path / "s.pt", config=config)
    losses = _losses(result, "nt_xent_loss")
    assert min(losses[2:]) < losses[0]


def test_batch_hard_loss_is_zero_for_separated_classes_and_positive_otherwise():
    import torch

    labels = torch.tensor([0, 0, 1, 1])
    far = torch.tensor([[0.0, 0], [0.1, 0], [10, 0], [10.1, 0]])
    loss, active = batch_hard_triplet_loss(far, labels, margin=1.0)
    assert loss.item() == 0.0 and active == 0.0
    mixed = torch.tensor([[0.0, 0], [10, 0], [0.1, 0], [10.1, 0]])
    assert batch_hard_triplet_loss(mixed, labels, margin=1.0)[0].item() == pytest.approx(
        10.9, rel=1e-3)


def test_nt_xent_prefers_matching_views():
    import torch

    z = torch.eye(4)
    matched = nt_xent_loss(z, z.clone(), temperature=0.5)
    shuffled = nt_xent_loss(z, z[[1, 2, 3, 0]], temperature=0.5)
    assert matched.item() < shuffled.item()


def test_inverse_size_weights_balance_clusters():
    w = inverse_size_weights(np.array([0, 0, 0, 1]), 3)
    assert w[2] == 0.0 and w[0] * 3 == pytest.approx(w[1])
    assert (w[np.array([0, 0, 0, 1])]).sum() == pytest.approx(4.0)
