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


def seeds_augmentation(crop: int, *, min_scale: float = 0.08,
                       device: str = "cpu") -> BatchTransform:
    """The seeds' augmentation: brightness and contrast 0.1, horizontal flip, rotation up to
    10 degrees, random resized crop to ``crop`` (area ``min_scale``..1, torchvision's
    default 0.08). On a GPU ``device``: the same, batched there (:func:`batched_augmentation`)."""
    if device != "cpu":
        return batched_augmentation(crop, min_scale=min_scale, device=device, rotation=10.0,
                                    brightness=0.1, contrast=0.1)
    v2 = _v2()
    return _per_image(v2.Compose([
        v2.RandomResizedCrop(crop, scale=(min_scale, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomRotation(10),
        v2.ColorJitter(brightness=0.1, contrast=0.1),
    ]))


def simclr_augmentation(crop: int, *, min_scale: float = 0.2,
                        device: str = "cpu") -> BatchTransform:
    """SimCLR-style views: random resized crop (scale ``min_scale``..1), flip, strong
    brightness/contrast jitter (probability 0.8), random grayscale (0.2). Batched on a GPU
    ``device``."""
    if device != "cpu":
        return batched_augmentation(crop, min_scale=min_scale, device=device, brightness=0.4,
                                    contrast=0.4, saturation=0.4, p_jitter=0.8, p_gray=0.2)
    v2 = _v2()
    return _per_image(v2.Compose([
        v2.RandomResizedCrop(crop, scale=(min_scale, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
        v2.RandomApply([v2.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4)], p=0.8),
        v2.RandomGrayscale(p=0.2),
    ]))


def light_augmentation(crop: int, *, min_scale: float = 0.08,
                       device: str = "cpu") -> BatchTransform:
    """DeepCluster's training views: random resized crop and horizontal flip (batched on a
    GPU ``device``)."""
    if device != "cpu":
        return batched_augmentation(crop, min_scale=min_scale, device=device)
    v2 = _v2()
    return _per_image(v2.Compose([
        v2.RandomResizedCrop(crop, scale=(min_scale, 1.0), antialias=True),
        v2.RandomHorizontalFlip(),
    ]))


def batched_augmentation(crop: int, *, min_scale: float, device: str, rotation: float = 0.0,
                         brightness: float = 0.0, contrast: float = 0.0,
                         saturation: float = 0.0, p_jitter: float = 1.0,
                         p_gray: float = 0.0) -> BatchTransform:
    """The same kinds of views as the per-image transforms above, drawn per image but applied
    to the whole batch at once on ``device`` (one affine ``grid_sample``), for GPU training,
    where the per-image Python loop would starve the GPU.

    Per image: a random resized crop (area ``min_scale``..1 of the image, aspect 3/4..4/3),
    a horizontal flip (p 0.5), a rotation of up to ``rotation`` degrees, then with
    probability ``p_jitter`` brightness / contrast / saturation factors in 1 +- the given
    amounts, and grayscale with probability ``p_gray``. Input (B, 3, S, S) float in [0, 1]
    on the CPU; output (B, 3, crop, crop) in [0, 1] on the CPU (the callers normalise and
    move it)."""
    import math

    import torch
    import torch.nn.functional as F  # noqa: N812 - the usual name

    def apply(x: torch.Tensor) -> torch.Tensor:
        b = len(x)
        x = x.to(device)

        def uniform(low: float, high: float) -> torch.Tensor:
            return torch.rand(b).mul(high - low).add(low).to(device)

        area = uniform(min_scale, 1.0)
        ratio = torch.exp(uniform(math.log(3 / 4), math.log(4 / 3)))
        w = torch.sqrt(area * ratio).clamp(max=1.0)
        h = torch.sqrt(area / ratio).clamp(max=1.0)
        cx, cy = uniform(-1, 1) * (1 - w), uniform(-1, 1) * (1 - h)
        angle = uniform(-rotation, rotation) * (math.pi / 180)
        flip = torch.where(torch.rand(b).to(device) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([w * cos * flip, -h * sin, cx], 1),
                             torch.stack([w * sin * flip, h * cos, cy], 1)], 1)
        grid = F.affine_grid(theta, [b, x.shape[1], crop, crop], align_corners=False)
        out = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection",
                            align_corners=False)
        jitter = (torch.rand(b).to(device) < p_jitter).view(b, 1, 1, 1)
        factors = [uniform(1 - a, 1 + a).view(b, 1, 1, 1) for a in
                   (brightness, contrast, saturation)]
        jittered = out * factors[0]
        mean = jittered.mean(dim=(1, 2, 3), keepdim=True)
        jittered = (jittered - mean) * factors[1] + mean
        g = jittered.mean(dim=1, keepdim=True)
        jittered = (jittered - g) * factors[2] + g
        out = torch.where(jitter, jittered, out)
        to_gray = (torch.rand(b).to(device) < p_gray).view(b, 1, 1, 1)
        out = torch.where(to_gray, out.mean(dim=1, keepdim=True).expand_as(out), out)
        return out.clamp_(0.0, 1.0).cpu()

    return apply
