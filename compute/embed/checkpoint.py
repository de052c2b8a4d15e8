"""Topograph's checkpoint format: weights plus what produced them.

A checkpoint is a ``torch.save``-d dict::

    {"format": "topograph-checkpoint", "version": 1,
     "state_dict": {...},                       # the backbone's state dict (torch tensors)
     "metadata": {"backbone": "resnet50",       # a key of compute.embed.BACKBONES
                  "strategy": "simclr",         # how it was trained (free text)
                  ...}}                         # anything JSON-serialisable

:func:`read_weights_file` also accepts a bare state dict (e.g. ``torch.save(
model.state_dict(), path)`` from torchvision) and strips a ``module.`` prefix
(``DataParallel``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECKPOINT_FORMAT = "topograph-checkpoint"
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """Weights read from a file: ``state_dict`` (name -> tensor) and ``metadata``."""

    state_dict: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(path: str | os.PathLike[str], state_dict: dict[str, Any], *,
                    backbone: str, strategy: str, **metadata: Any) -> Path:
    """Write a Topograph checkpoint (written to a temporary file, then renamed)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
               "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
               "metadata": {"backbone": backbone, "strategy": strategy, **metadata}}
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def read_weights_file(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a Topograph checkpoint or a bare state dict from ``path`` (CPU tensors).

    Raises FileNotFoundError or ValueError (with what to pass instead).
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist: pass an existing .pth "
                                "file, 'imagenet', 'random' or 'auto'")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"cannot read weights file {path} ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}); save weights with "
                         "torch.save(model.state_dict(), path) or compute.embed."
                         "save_checkpoint") from exc
    if not isinstance(payload, dict):
        raise ValueError(f"weights file {path} holds a {type(payload).__name__}, not a state "
                         "dict; save torch.save(model.state_dict(), path) instead")
    if "state_dict" in payload:
        state, metadata = payload["state_dict"], dict(payload.get("metadata") or {})
    else:
        state, metadata = payload, {}
    if not state or not all(hasattr(v, "shape") for v in state.values()):
        raise ValueError(f"weights file {path} is not a state dict of tensors")
    return Checkpoint(state_dict={k.removeprefix("module."): v for k, v in state.items()},
                      metadata=metadata)
