"""The checkpoint file every strategy writes and the embedder loads.

The format is the embedder's (:mod:`compute.embed.checkpoint`; ``python -m compute embed
--model resnet18 --weights CKPT`` reads it) with a ``resume`` entry added::

    {"format": "topograph-checkpoint", "version": 1,
     "state_dict": {...},   # torchvision ResNet keys without fc.* (autoencoder: its own keys)
     "metadata": {...},     # CheckpointMetadata as plain JSON-able values
     "resume": {...}}       # optional: optimiser/head state and RNG-free epoch counter

The embedder reads the input size, resize, normalisation and input filter (Sobel) from
the metadata, so ``python -m compute embed --weights CKPT`` needs no ``--input-size``;
:func:`load_backbone` also puts the filter back in front.
``metadata`` is plain data (str, int, float, lists, dicts), so the file loads with
``torch.load(path, weights_only=True)``. Files are written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

from compute.embed.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_VERSION
from compute.embed.preprocess import IMAGENET_MEAN, IMAGENET_STD

FORMAT = f"{CHECKPOINT_FORMAT}/{CHECKPOINT_VERSION}"


@dataclass(frozen=True)
class CheckpointMetadata:
    """What a checkpoint holds and how it was made.

    backbone: "resnet18" | "resnet34" | "resnet50" | "autoencoder".
    strategy: "finetune" | "triplet" | "deepcluster" | "simclr" | "autoencoder".
    init: the starting weights ("random", "imagenet" or the path of a parent checkpoint).
    input_size / resize: the network's input crop and the resize before it (pixels).
    mean / std: the per-channel normalisation of the input (ImageNet's by default).
    input_filter: "none" or "sobel" (applied inside the loaded backbone).
    feature_dim: length of the output vector.
    data_fingerprint: content digest of the training images (or embeddings) and labels.
    n_images / n_labelled / classes: the training data.
    epochs: epochs completed; history: one dict of metrics per epoch.
    seed: the run's seed; params: the strategy's own options (lr, margin, k, ...).
    source: the name of the image folder it was trained on ("" if unknown).
    """

    backbone: str
    strategy: str
    init: str
    input_size: int
    resize: int
    input_filter: str
    feature_dim: int
    data_fingerprint: str
    n_images: int
    n_labelled: int
    classes: tuple[str, ...]
    epochs: int
    seed: int
    history: tuple[dict[str, float], ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    format: str = FORMAT
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["classes"], d["mean"], d["std"] = list(self.classes), list(self.mean), list(self.std)
        d["history"] = [dict(h) for h in self.history]
        return json.loads(json.dumps(d))  # plain types only: loadable with weights_only

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckpointMetadata:
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in d.items() if k in names}
        known["classes"] = tuple(known.get("classes", ()))
        known["mean"] = tuple(known.get("mean", IMAGENET_MEAN))
        known["std"] = tuple(known.get("std", IMAGENET_STD))
        known["history"] = tuple(dict(h) for h in known.get("history", ()))
        return cls(**known)


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: weights, metadata and (optional) resume state."""

    state_dict: dict[str, Any]
    metadata: CheckpointMetadata
    resume: dict[str, Any] | None


def save_checkpoint(path: str | os.PathLike[str], *, state_dict: dict[str, Any],
                    metadata: CheckpointMetadata, resume: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint atomically (temporary file + rename); returns the path."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
               "state_dict": state_dict, "metadata": metadata.to_dict()}
    if resume is not None:
        payload["resume"] = resume
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (tensors on the CPU)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist: train one with "
                                "`python -m compute train ... --out CKPT`")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or "state_dict" not in payload or "metadata" not in payload:
        raise ValueError(f"{path} is not a Topograph checkpoint (a dict with 'state_dict' and "
                         "'metadata'); train one with `python -m compute train`")
    return Checkpoint(state_dict=payload["state_dict"],
                      metadata=CheckpointMetadata.from_dict(payload["metadata"]),
                      resume=payload.get("resume"))


def load_backbone(path: str | os.PathLike[str]) -> tuple[nn.Module, CheckpointMetadata]:
    """The trained feature extractor of an image checkpoint, in eval mode, with its metadata.

    The module takes a normalised batch (B, 3, input_size, input_size) and returns
    (B, feature_dim) float32; a Sobel filter, if the run used one, is inside it.
    """
    from compute.train.backbone import build_backbone, resnet_of

    ckpt = load_checkpoint(path)
    meta = ckpt.metadata
    if meta.strategy == "autoencoder":
        raise ValueError(f"{path} is an autoencoder over embeddings, not an image backbone: "
                         "use compute.train.autoencoder.load_autoencoder")
    backbone = build_backbone(meta.backbone, weights="random", input_filter=meta.input_filter)
    resnet_of(backbone).load_state_dict(ckpt.state_dict)
    return backbone.eval(), meta


def backbone_state(backbone: nn.Module) -> dict[str, Any]:
    """The ResNet's state dict (torchvision keys, no ``fc``), detached copies."""
    from compute.train.backbone import resnet_of

    return {k: v.detach().clone() for k, v in resnet_of(backbone).state_dict().items()}
