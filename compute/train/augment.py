"""Random augmentations of float image batches (B, 3, S, S) in [0, 1] -> (B, 3, crop, crop).

Parameters are drawn per image from torch's global generator, which the training loop
seeds at the start of every epoch, so a seeded run is repeatable.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING


def _v2() -> ModuleType:
    """torchvision.transforms.v2 (imported through the CPU-torch guard)."""
    import importlib

    from compute.torch_compat import import_torchvision

    import_torchvision()
    return importlib.import_module("torchvision.transforms.v2")


if TYPE_CHECKING:
    import torch

    from compute.train.data import BatchTransform


def _per_image(transform: object) -> BatchTransform:
    import torch

    def apply(x: torch.Tensor) -> torch.Tensor:
        return torch.stack([transform(img) for img in x])  # type: ignore[operator]

    return apply


def seeds_augmentation(crop: int, *, min_scale: float = 0.08) -> BatchTransform:
    """The seeds' augmentation: brightness and contrast 0.1, horizontal flip, rotation up to
    10 degrees, random resized crop to ``crop`` (area ``min_scale``..1, torchvision's
    default 0.08)."""
    v2 = _v2()
    return _per_image(v2.Compose([
        v2.RandomResizedCrop(crop, scale=(min_scale, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomRotation(10),
        v2.ColorJitter(brightness=0.1, contrast=0.1),
    ]))


def simclr_augmentation(crop: int, *, min_scale: float = 0.2) -> BatchTransform:
    """SimCLR-style views: random resized crop (scale ``min_scale``..1), flip, strong
    brightness/contrast jitter (probability 0.8), random grayscale (0.2)."""
    v2 = _v2()
    return _per_image(v2.Compose([
        v2.RandomResizedCrop(crop, scale=(min_scale, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomApply([v2.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4)], p=0.8),
        v2.RandomGrayscale(p=0.2),
    ]))


def light_augmentation(crop: int, *, min_scale: float = 0.08) -> BatchTransform:
    """DeepCluster's training views: random resized crop and horizontal flip."""
    v2 = _v2()
    return _per_image(v2.Compose([
        v2.RandomResizedCrop(crop, scale=(min_scale, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
    ]))
