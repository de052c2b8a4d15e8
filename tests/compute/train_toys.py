"""Tiny labelled image sets for the training tests: three visually distinct classes."""

from __future__ import annotations

import numpy as np
import pytest

from compute.embed.preprocess import Preprocessing
from compute.train.data import ImageStack, stack_from_arrays

CLASSES = ("stripes-h", "stripes-v", "blob")


def toy_images(n_per_class: int = 8, size: int = 20, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """(3 * n_per_class, size, size) uint8 images and their labels."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    patterns = [(np.sin(yy * 1.3) > 0), (np.sin(xx * 1.3) > 0),
                ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 3) ** 2)]
    images, labels = [], []
    for name, pattern in zip(CLASSES, patterns, strict=True):
        for _ in range(n_per_class):
            noisy = pattern * 200.0 + rng.normal(0, 25, (size, size)) + 20
            images.append(np.clip(noisy, 0, 255).astype(np.uint8))
            labels.append(name)
    return np.stack(images), labels


def write_toy_folder(root, n_per_class: int = 4):
    """(image folder, labels CSV) under ``root`` with the toy images as 20 x 20 PNGs."""
    import csv

    from PIL import Image

    images, labels = toy_images(n_per_class)
    folder = root / "images"
    folder.mkdir()
    with (root / "labels.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label"])
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            Image.fromarray(image).save(folder / f"im{i:02d}.png")
            writer.writerow([f"im{i:02d}.png", label])
    return folder, root / "labels.csv"


def toy_stack(n_per_class: int = 8, *, labelled: bool = True, crop: int = 16) -> ImageStack:
    images, labels = toy_images(n_per_class)
    return stack_from_arrays(images, labels if labelled else None,
                             preprocessing=Preprocessing(resize=crop + 2, crop=crop))


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny networks run fastest on one thread (and do not fight over shared cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def assert_same_weights(first, second) -> None:
    """The two checkpoint files hold bit-identical weights."""
    from compute.train.checkpoint import load_checkpoint

    a = load_checkpoint(first).state_dict
    b = load_checkpoint(second).state_dict
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
