"""Triplet loss with batch-hard mining (Hermans et al. 2017) on the labelled subset.

Batches hold P classes x K images; for each anchor the farthest positive and the nearest
negative in the batch form the triplet; loss = mean(max(0, d(a,p) - d(a,n) + margin))
on the backbone's features (Euclidean, not normalised). The seeds' augmentation is on.
Too high a learning rate can collapse every feature to one point (loss = margin): the
per-epoch ``feature_std`` metric shows it and a warning is logged.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from compute.progress import ProgressFn, report
from compute.train.data import ImageStack, batch_tensor, require_labels
from compute.train.loop import TrainConfig, capped, sgd

if TYPE_CHECKING:
    import torch
    from torch import nn

log = logging.getLogger(__name__)
DEFAULT_LR = 1e-3


@dataclass(frozen=True)
class TripletOptions:
    """margin: the triplet margin (seeds: 1). per_class: K images of each class per batch
    (P = batch_size // K classes). min_scale: smallest random-resized-crop area."""

    margin: float = 1.0
    per_class: int = 4
    min_scale: float = 0.08


def batch_hard_triplet_loss(features: torch.Tensor, labels: torch.Tensor, *,
                            margin: float) -> tuple[torch.Tensor, float]:
    """(loss, fraction of anchors with a positive loss) for features (B, D), labels (B,).

    Anchors without a positive or a negative in the batch are left out.
    """
    import torch

    dist = torch.cdist(features, features)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos = same & ~eye
    valid = pos.any(1) & (~same).any(1)
    if not bool(valid.any()):
        raise ValueError("a triplet batch needs two images of one class and one of another: "
                         "use a batch size of at least 2 x per_class")
    hardest_pos = torch.where(pos, dist, torch.zeros_like(dist)).max(1).values
    hardest_neg = torch.where(same, torch.full_like(dist, float("inf")), dist).min(1).values
    losses = torch.relu(hardest_pos - hardest_neg + margin)[valid]
    return losses.mean(), float((losses > 0).float().mean())


def pk_shape(labels: np.ndarray, *, per_class: int, batch_size: int) -> tuple[int, int]:
    """(P classes per batch, batches per pass) of :func:`pk_batches`."""
    n_classes = max(2, min(len(np.unique(labels[labels >= 0])), batch_size // per_class))
    return n_classes, max(1, int((labels >= 0).sum()) // (n_classes * per_class))


def pk_batches(labels: np.ndarray, *, per_class: int, batch_size: int,
               rng: np.random.Generator) -> list[np.ndarray]:
    """Row batches of P classes x K rows (K = per_class; sampled with replacement only for
    classes smaller than K); about one pass over the labelled rows."""
    classes = np.unique(labels[labels >= 0])
    n_classes, n_batches = pk_shape(labels, per_class=per_class, batch_size=batch_size)
    rows_of = {c: np.flatnonzero(labels == c) for c in classes}
    out = []
    for _ in range(n_batches):
        chosen = rng.choice(classes, size=n_classes, replace=False)
        out.append(np.concatenate([
            rng.choice(rows_of[c], size=per_class, replace=len(rows_of[c]) < per_class)
            for c in chosen]))
    return out


class TripletTrainer:
    def __init__(self, stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: TripletOptions) -> None:
        from compute.train.augment import seeds_augmentation

        require_labels(stack, "triplet")
        if options.per_class < 2 or options.margin <= 0:
            raise ValueError("triplet needs per_class >= 2 and a positive margin")
        self.stack, self.backbone, self.config, self.options = stack, backbone, config, options
        lr = config.lr or DEFAULT_LR
        self.optimizer = sgd(backbone.parameters(), config, lr)
        self.augment = seeds_augmentation(
            stack.preprocessing.crop, min_scale=options.min_scale, device=config.device)
        self.params = {"lr": lr, **asdict(options)}

    def run_epoch(self, epoch: int, rng: np.random.Generator,
                  progress: ProgressFn | None) -> dict[str, float]:
        import torch

        steps = capped(pk_batches(self.stack.labels, per_class=self.options.per_class,
                                  batch_size=self.config.batch_size, rng=rng), self.config)
        total, active, spread = 0.0, 0.0, 0.0
        for i, rows in enumerate(steps):
            x = batch_tensor(self.stack, rows, augment=self.augment).to(self.config.device)
            y = torch.from_numpy(self.stack.labels[rows]).to(self.config.device)
            features = self.backbone(x)
            loss, frac = batch_hard_triplet_loss(features, y, margin=self.options.margin)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item()
            active += frac
            spread += float(features.detach().std(0).mean())
            report(progress, i + 1, len(steps))
        metrics = {"triplet_loss": total / len(steps), "active_triplets": active / len(steps),
                   "feature_std": spread / len(steps)}
        if metrics["feature_std"] < 1e-4:
            log.warning("triplet features have collapsed to one point (loss stuck at the "
                        "margin): restart with a lower --lr")
        return metrics

    def steps_in_epoch(self) -> int:
        _, n = pk_shape(self.stack.labels, per_class=self.options.per_class,
                        batch_size=self.config.batch_size)
        return n if self.config.steps_per_epoch is None else min(n, self.config.steps_per_epoch)

    def state(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])


def make_trainer(stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: object | None) -> TripletTrainer:
    return TripletTrainer(stack, backbone, config, options or TripletOptions())
