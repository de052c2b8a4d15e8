"""The CPU adaptation: EfficientNet-Lite0's last block trained on cached trunk features."""

from dataclasses import replace

import numpy as np
import pytest

from compute.train.adapt import (
    TRUNK_BLOCKS,
    AdaptOptions,
    draw_positives,
    feature_view,
    mutual_neighbours,
    pretrained_network,
    train_adapt,
)
from compute.train.loop import TrainConfig
from tests.compute.train_toys import one_torch_thread, toy_images  # noqa: F401

TINY = TrainConfig(epochs=2, batch_size=8, seed=0)


@pytest.fixture(scope="module")
def toy32():
    """24 toy images (three classes) prepared for 32 px input."""
    from compute.train.data import preprocessing_for_input, stack_from_arrays

    images, labels = toy_images(8)
    return stack_from_arrays(images, labels, preprocessing=preprocessing_for_input(32))


def test_mutual_neighbours_are_symmetric_and_stay_in_their_group():
    x = np.array([[1.0, 0.0], [0.99, 0.05], [0.98, 0.1],
                  [0.0, 1.0], [0.05, 0.99], [0.1, 0.98], [-1.0, 0.02]])
    nb = mutual_neighbours(x, k=2)
    for i, row in enumerate(nb):
        for j in row:
            assert i in nb[j]
    assert set(nb[0]) <= {1, 2} and set(nb[3]) <= {4, 5}
    # the far point's two nearest (0 and 2 or so) have closer points of their own
    assert len(nb[6]) == 0
    positives = draw_positives(nb, np.random.default_rng(0))
    assert positives[6] == 6 and positives[0] in (1, 2)


def test_feature_view_flips_drops_and_adds_noise_as_asked():
    import torch

    torch.manual_seed(0)
    maps = torch.arange(2 * 4 * 1 * 3, dtype=torch.float32).view(2, 4, 1, 3)
    plain = feature_view(maps, channel_drop=0.0, noise=0.0, channel_std=torch.ones(4))
    for i in range(2):  # each image is itself or its mirror
        assert torch.equal(plain[i], maps[i]) or torch.equal(plain[i], maps[i].flip(-1))
    torch.manual_seed(1)
    noisy = feature_view(maps, channel_drop=0.5, noise=0.1, channel_std=torch.ones(4))
    assert noisy.shape == maps.shape and not torch.equal(noisy, plain)
    dropped = (noisy.abs().sum(dim=(2, 3)) < 1.0)
    assert dropped.any()  # some channels zeroed


def test_options_refuse_an_unknown_objective():
    with pytest.raises(ValueError, match="neighbours"):
        AdaptOptions(objective="byol")


@pytest.fixture(scope="module")
def adapted(toy32, tmp_path_factory):
    import torch

    torch.set_num_threads(1)  # as the function-scoped tests (a seeded run repeats per thread count)
    out = tmp_path_factory.mktemp("adapt") / "adapt.pt"
    seen = []
    result = train_adapt(toy32, out=out, config=TINY,
                         progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (1000, 1000)
    return result


def test_only_the_last_block_and_head_change(adapted):
    from compute.train.checkpoint import load_checkpoint

    before = pretrained_network().state_dict()
    after = load_checkpoint(adapted.checkpoint).state_dict
    assert not any(k.startswith("_fc.") for k in after)
    changed = {k for k, v in after.items()
               if v.dtype.is_floating_point and not np.allclose(v.numpy(), before[k].numpy())}
    trained = (f"_blocks.{TRUNK_BLOCKS}.", "_conv_head.", "_bn1.")
    assert changed and all(k.startswith(trained) for k in changed)
    assert any(k.startswith(f"_blocks.{TRUNK_BLOCKS}.") for k in changed)


def test_checkpoint_metadata_and_the_embedder_loads_it(adapted, toy32):
    from compute.embed import prepare_model

    meta = adapted.metadata
    assert (meta.backbone, meta.strategy, meta.init) == ("efficientnet_lite0", "adapt",
                                                         "imagenet")
    assert meta.input_size == 32 and meta.feature_dim == 1280 and meta.epochs == 2
    assert meta.params["objective"] == "neighbours" and "info_nce_loss" in meta.history[-1]
    model = prepare_model("efficientnet_lite0", weights=str(adapted.checkpoint))
    assert model.preprocessing.crop == 32 and model.dim == 1280


def test_a_seeded_run_repeats_and_continues_from_its_checkpoint(adapted, toy32, tmp_path):
    from compute.train.checkpoint import load_checkpoint

    again = train_adapt(toy32, out=tmp_path / "again.pt", config=TINY)
    a = load_checkpoint(adapted.checkpoint).state_dict
    b = load_checkpoint(again.checkpoint).state_dict
    assert all(np.allclose(a[k].numpy(), b[k].numpy()) for k in a)
    more = train_adapt(toy32, out=tmp_path / "more.pt",
                       config=replace(TINY, weights=str(adapted.checkpoint), epochs=1))
    assert more.metadata.init == str(adapted.checkpoint)


def test_continuing_from_a_resnet_checkpoint_says_what_to_do(toy32, tmp_path):
    from compute.train.loop import train_images

    resnet = train_images(toy32, strategy="simclr", out=tmp_path / "r.pt",
                          config=TrainConfig(epochs=1, batch_size=8, steps_per_epoch=1))
    with pytest.raises(ValueError, match="start from imagenet"):
        train_adapt(toy32, out=tmp_path / "x.pt",
                    config=replace(TINY, weights=str(resnet.checkpoint)))


def test_trunk_features_are_cached_by_content(toy32, tmp_path):
    from compute.cache import StepCache
    from compute.train.adapt import trunk_features

    cache = StepCache(tmp_path / "steps")
    net = pretrained_network()
    first = trunk_features(net, toy32, cache=cache)
    assert first.shape == (24, 192, 1, 1) and first.dtype == np.float16
    calls = []
    again = trunk_features(net, toy32, cache=cache,
                           progress=lambda done, total: calls.append(done))
    assert np.array_equal(first, again) and calls == []  # read back, not recomputed
