"""Dense autoencoder that reduces embeddings (e.g. 2048 -> 500 -> 200 -> code) with ELU.

Trains on an embedding matrix, not on images. Inputs are standardised per feature (the
mean and scale are stored in the checkpoint); the loss is the mean squared reconstruction
error of the standardised vectors, so ``1 - loss`` is the fraction of variance explained.
The code size should be near the data's intrinsic dimension (2-NN). With ``tied=True`` the
decoder's outer layer reuses the encoder's first weight matrix, transposed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compute.cache import fingerprint_array
from compute.progress import ProgressFn, report
from compute.train.checkpoint import CheckpointMetadata, load_checkpoint, save_checkpoint
from compute.train.data import batches
from compute.train.loop import seed_epoch

if TYPE_CHECKING:
    import torch
    from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AutoencoderOptions:
    """hidden: encoder widths (the decoder mirrors them). code_dim: the reduced size.
    tied: share the outer weights. epochs / batch_size / lr (Adam) / seed / device: training.
    """

    hidden: tuple[int, ...] = (500, 200)
    code_dim: int = 16
    tied: bool = False
    epochs: int = 50
    batch_size: int = 256
    lr: float = 1e-3
    seed: int = 0
    device: str = "cpu"


@dataclass(frozen=True)
class AutoencoderResult:
    """codes: (N, code_dim) float32, the reduced embeddings of the training vectors."""

    checkpoint: Path
    metadata: CheckpointMetadata
    codes: np.ndarray


def build_autoencoder(input_dim: int, *, hidden: tuple[int, ...], code_dim: int,
                      tied: bool) -> nn.Module:
    """The network: ``encode(x)`` (B, input_dim) -> (B, code_dim), ``forward`` reconstructs."""
    import torch
    from torch import nn

    widths = [input_dim, *hidden, code_dim]

    def stack(sizes: list[int], *, last_dense: bool) -> nn.Sequential:
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if i == len(sizes) - 2 and not last_dense:
                break
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ELU())
        return nn.Sequential(*layers)

    class Autoencoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", torch.zeros(input_dim))
            self.register_buffer("scale", torch.ones(input_dim))
            self.encoder = stack(widths, last_dense=True)
            self.decoder = stack(widths[::-1], last_dense=not tied)
            self.out_bias = nn.Parameter(torch.zeros(input_dim)) if tied else None

        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return self.encoder((x - self.mean) / self.scale)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            """Reconstruction of the *standardised* input."""
            y = self.decoder(self.encode(x))
            if self.out_bias is not None:
                y = nn.functional.linear(y, self.encoder[0].weight.T, self.out_bias)
            return y

    return Autoencoder()


def train_autoencoder(vectors: np.ndarray, *, out: str | os.PathLike[str],
                      options: AutoencoderOptions = AutoencoderOptions(), resume: bool = False,
                      progress: ProgressFn | None = None) -> AutoencoderResult:
    """Train on ``vectors`` (N, D) float; write the checkpoint ``out``; return the codes.

    A checkpoint with resume state is written after every epoch; ``resume=True`` continues
    an existing ``out`` trained on the same vectors up to ``options.epochs``.
    """
    import torch

    x = _checked(vectors, options)
    out = Path(out)
    seed_epoch(options.seed, -1)
    model = build_autoencoder(x.shape[1], hidden=options.hidden, code_dim=options.code_dim,
                              tied=options.tied).to(options.device)
    model.mean.copy_(torch.from_numpy(x.mean(0)))
    model.scale.copy_(torch.from_numpy(x.std(0) + 1e-6))
    optimizer = torch.optim.Adam(model.parameters(), lr=options.lr)
    fingerprint = fingerprint_array(x)
    history: list[dict[str, float]] = []
    if resume and out.exists():
        history = _resume(out, fingerprint, model, optimizer)
    data = torch.from_numpy(x).to(options.device)
    meta = None
    for epoch in range(len(history), options.epochs):
        rng = seed_epoch(options.seed, epoch)
        total = 0.0
        for rows in batches(len(x), options.batch_size, rng=rng):
            batch = data[torch.from_numpy(rows)]
            loss = nn_mse(model(batch), (batch - model.mean) / model.scale)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        history.append({"epoch": epoch + 1, "reconstruction_mse": total / len(x)})
        report(progress, epoch + 1, options.epochs)
        meta = _metadata(x, fingerprint, options, history)
        save_checkpoint(out, state_dict=model.state_dict(), metadata=meta,
                        resume={"optimizer": optimizer.state_dict()})
    meta = meta or load_checkpoint(out).metadata
    log.info("autoencoder %s: %s", out, history[-1])
    return AutoencoderResult(checkpoint=out, metadata=meta, codes=encode(model, x))


def nn_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    import torch

    return torch.nn.functional.mse_loss(a, b)


def _checked(vectors: np.ndarray, options: AutoencoderOptions) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2 or len(x) < 2 or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"embeddings must be a numeric (N, D) array with N >= 2; got "
                         f"{x.dtype} {x.shape}: pass the .npy written by the embedder")
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or inf: re-embed or drop those rows")
    if not 1 <= options.code_dim < x.shape[1]:
        raise ValueError(f"code size must be between 1 and D - 1 = {x.shape[1] - 1}; got "
                         f"{options.code_dim}: choose a size near the intrinsic dimension")
    return np.ascontiguousarray(x, dtype=np.float32)


def _resume(out: Path, fingerprint: str, model: nn.Module,
            optimizer: torch.optim.Optimizer) -> list[dict[str, float]]:
    ckpt = load_checkpoint(out)
    if ckpt.metadata.strategy != "autoencoder" or ckpt.metadata.data_fingerprint != fingerprint:
        raise ValueError(f"cannot resume {out}: it was not trained as an autoencoder on these "
                         "embeddings; choose another --out or drop --resume")
    if ckpt.resume is None:
        raise ValueError(f"{out} has no resume state; train afresh with another --out")
    model.load_state_dict(ckpt.state_dict)
    optimizer.load_state_dict(ckpt.resume["optimizer"])
    return [dict(h) for h in ckpt.metadata.history]


def _metadata(x: np.ndarray, fingerprint: str, options: AutoencoderOptions,
              history: list[dict[str, float]]) -> CheckpointMetadata:
    params = {**asdict(options), "input_dim": int(x.shape[1])}
    params["hidden"] = list(options.hidden)
    return CheckpointMetadata(
        backbone="autoencoder", strategy="autoencoder", init="random", input_size=0, resize=0,
        input_filter="none", feature_dim=options.code_dim, data_fingerprint=fingerprint,
        n_images=len(x), n_labelled=0, classes=(), epochs=len(history), seed=options.seed,
        history=tuple(history), params=params)


def load_autoencoder(path: str | os.PathLike[str]) -> tuple[nn.Module, CheckpointMetadata]:
    """The trained autoencoder (eval mode) and its metadata."""
    ckpt = load_checkpoint(path)
    meta = ckpt.metadata
    if meta.strategy != "autoencoder":
        raise ValueError(f"{path} is a {meta.strategy} image backbone, not an autoencoder")
    p = meta.params
    model = build_autoencoder(int(p["input_dim"]), hidden=tuple(p["hidden"]),
                              code_dim=meta.feature_dim, tied=bool(p["tied"]))
    model.load_state_dict(ckpt.state_dict)
    return model.eval(), meta


def encode(model: nn.Module, vectors: np.ndarray, *, batch_size: int = 4096) -> np.ndarray:
    """Codes (N, code_dim) float32 of ``vectors`` (N, D) through a trained autoencoder."""
    import torch

    device = next(model.parameters()).device
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    model.eval()
    with torch.no_grad():
        parts = [model.encode(torch.from_numpy(x[i:i + batch_size]).to(device)).cpu().numpy()
                 for i in range(0, len(x), batch_size)]
    return np.concatenate(parts).astype(np.float32)
