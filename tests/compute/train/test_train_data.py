import numpy as np
import pytest

from compute.embed.preprocess import IMAGENET_MEAN
from compute.train.data import (
    Preprocessing,
    batch_tensor,
    batches,
    encode_labels,
    preprocessing_for_input,
    require_labels,
    stack_from_arrays,
    stratified_split,
)
from tests.compute.train_toys import toy_stack


def test_encode_labels_sorted_classes_and_unknown_rows():
    codes, classes = encode_labels(["b", None, "a", "", "b"], 5)
    assert classes == ("a", "b")
    assert codes.tolist() == [1, -1, 0, -1, 1]


def test_encode_labels_wrong_length_says_what_to_do():
    with pytest.raises(ValueError, match="one label"):
        encode_labels(["a"], 3)


def test_preprocessing_keeps_the_seeds_ratio():
    assert (preprocessing_for_input(224).resize, preprocessing_for_input(224).crop) == (256, 224)
    assert (preprocessing_for_input(32).resize, preprocessing_for_input(32).crop) == (37, 32)
    assert preprocessing_for_input(32, 40).resize == 40
    with pytest.raises(ValueError, match="--resize"):
        preprocessing_for_input(32, 30)


def test_stack_from_arrays_resizes_grayscale_and_colour():
    gray = np.zeros((4, 28, 30), np.uint8)
    stack = stack_from_arrays(gray, preprocessing=Preprocessing(resize=37, crop=32))
    assert stack.pixels.shape == (4, 1, 37, 37) and stack.n_labelled == 0
    colour = np.zeros((2, 10, 10, 3), np.uint8)
    prep = Preprocessing(resize=10, crop=8)
    assert stack_from_arrays(colour, preprocessing=prep).pixels.shape == (2, 3, 10, 10)


def test_stack_rejects_float_images():
    with pytest.raises(ValueError, match="uint8"):
        stack_from_arrays(np.zeros((2, 8, 8)), preprocessing=Preprocessing(resize=8, crop=8))


def test_stratified_split_holds_out_a_fifth_of_each_class():
    labels = np.repeat([0, 1, -1], [10, 20, 5])
    train, val = stratified_split(labels, validation=0.2, seed=1)
    assert len(np.intersect1d(train, val)) == 0
    assert np.bincount(labels[val]).tolist() == [2, 4]
    assert (labels[train] >= 0).all() and len(train) == 24


def test_batch_tensor_is_cropped_three_channel_and_normalised():
    stack = toy_stack(2)
    x = batch_tensor(stack, np.arange(3))
    assert tuple(x.shape) == (3, 3, 16, 16)
    black = stack_from_arrays(np.zeros((1, 18, 18), np.uint8), preprocessing=stack.preprocessing)
    assert batch_tensor(black, np.array([0]))[0, 0, 0, 0].item() == pytest.approx(
        -IMAGENET_MEAN[0] / 0.229, rel=1e-4)


def test_batches_cover_every_row_once():
    rng = np.random.default_rng(0)
    parts = batches(10, 4, rng=rng)
    assert sorted(np.concatenate(parts).tolist()) == list(range(10))
    assert [len(p) for p in batches(10, 4, drop_last=True)] == [4, 4]


def test_require_labels_explains_the_fix():
    with pytest.raises(ValueError, match="--labels"):
        require_labels(toy_stack(2, labelled=False), "finetune")
