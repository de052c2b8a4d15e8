"""Trainable backbones: torchvision ResNets without their classifier, optional Sobel input.

A backbone maps a normalised batch (B, 3, H, W) float32 to features (B, D) float32
(D = 512 for ResNet-18/34, 2048 for ResNet-50). Its state dict uses torchvision's key
names (``conv1.weight``, ``layer1.0.bn1.running_mean``, ...) without ``fc.*``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from compute.embed.filters import INPUT_FILTERS, SobelFilter
from compute.progress import ProgressFn, report

if TYPE_CHECKING:
    from torch import nn

    from compute.train.data import ImageStack

log = logging.getLogger(__name__)
FEATURE_DIMS = {"resnet18": 512, "resnet34": 512, "resnet50": 2048}


def build_backbone(name: str, *, weights: str = "random", input_filter: str = "none") -> nn.Module:
    """A torchvision ResNet with ``fc`` replaced by identity (features out).

    ``weights``: "random" (seeded by the caller through torch's global generator) or
    "imagenet" (torchvision's download, which needs internet; for a checkpoint file use
    :func:`compute.train.checkpoint.load_backbone`). ``input_filter="sobel"`` puts a fixed
    Sobel layer in front (grayscale -> |gx|, gy, gx channels), as DeepCluster does.
    """
    from torch import nn

    from compute.torch_compat import import_torchvision

    if name not in FEATURE_DIMS:
        raise ValueError(f"unknown backbone {name!r}; choose one of {sorted(FEATURE_DIMS)}")
    if input_filter not in INPUT_FILTERS:
        raise ValueError(f"unknown input filter {input_filter!r}; choose one of {INPUT_FILTERS}")
    models = import_torchvision().models
    if weights == "imagenet":
        try:
            net = getattr(models, name)(weights="DEFAULT")
        except Exception as exc:  # URLError, SSL errors, hash mismatch...
            raise ValueError(f"cannot download ImageNet weights for {name} ({exc}); offline, "
                             "start from a checkpoint file (--weights PATH) or --weights random"
                             ) from exc
    elif weights == "random":
        net = getattr(models, name)()
    else:
        raise ValueError(f"weights must be 'random', 'imagenet' or a checkpoint path; got "
                         f"{weights!r}")
    net.fc = nn.Identity()
    return nn.Sequential(SobelFilter(), net) if input_filter == "sobel" else _Plain(net)


def _Plain(net: nn.Module) -> nn.Module:  # noqa: N802 - reads like a class at call sites
    """Wrap so that every backbone is ``Sequential(filter, resnet)`` with the same keys."""
    from torch import nn

    return nn.Sequential(nn.Identity(), net)


def resnet_of(backbone: nn.Module) -> nn.Module:
    """The ResNet inside a backbone built by :func:`build_backbone`."""
    return backbone[1]


def extract_features(backbone: nn.Module, stack: ImageStack, *, rows: np.ndarray | None = None,
                     batch_size: int = 256, device: str = "cpu",
                     progress: ProgressFn | None = None) -> np.ndarray:
    """Features (len(rows), D) float32 of centre-cropped images, the backbone in eval mode.

    The backbone's train/eval mode is restored afterwards.
    """
    import torch

    from compute.train.data import batch_tensor, batches

    rows = np.arange(len(stack.pixels)) if rows is None else np.asarray(rows)
    was_training = backbone.training
    backbone.eval()
    out: list[np.ndarray] = []
    done = 0
    with torch.no_grad():
        for batch in batches(len(rows), batch_size):
            x = batch_tensor(stack, rows[batch]).to(device)
            out.append(backbone(x).float().cpu().numpy())
            done += len(batch)
            report(progress, done, len(rows))
    backbone.train(was_training)
    return np.concatenate(out).astype(np.float32, copy=False)
