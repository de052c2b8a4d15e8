"""SimCLR (Chen et al. 2020): two augmented views per image, NT-Xent loss, no labels.

A two-layer projection head (features -> hidden -> projection_dim) is trained with the
backbone and dropped afterwards: the checkpoint keeps the backbone, whose features (before
the head) are the embedding. Adam by default (LARS is for very large batches).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from compute.progress import ProgressFn, report
from compute.train.data import ImageStack, batch_tensor, batches
from compute.train.loop import TrainConfig, capped

if TYPE_CHECKING:
    import torch
    from torch import nn

DEFAULT_LR = 1e-3


@dataclass(frozen=True)
class SimCLROptions:
    """temperature: NT-Xent tau. hidden_dim / projection_dim: the projection head.
    min_scale: smallest random-resized-crop area of a view."""

    temperature: float = 0.5
    hidden_dim: int = 512
    projection_dim: int = 128
    min_scale: float = 0.2


def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, *, temperature: float) -> torch.Tensor:
    """NT-Xent over 2B projections: each view's positive is the other view of its image,
    the other 2B - 2 views are negatives. z1, z2: (B, d)."""
    import torch

    z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    b = len(z1)
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(b)]).to(z.device)
    return torch.nn.functional.cross_entropy(sim, target)


class SimCLRTrainer:
    def __init__(self, stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: SimCLROptions) -> None:
        import torch
        from torch import nn

        from compute.train.augment import simclr_augmentation
        from compute.train.backbone import FEATURE_DIMS

        if options.temperature <= 0:
            raise ValueError(f"temperature must be positive; got {options.temperature}")
        self.stack, self.backbone, self.config, self.options = stack, backbone, config, options
        dim = FEATURE_DIMS[config.backbone]
        self.head = nn.Sequential(nn.Linear(dim, options.hidden_dim), nn.ReLU(),
                                  nn.Linear(options.hidden_dim, options.projection_dim)
                                  ).to(config.device)
        lr = config.lr or DEFAULT_LR
        self.optimizer = torch.optim.Adam(
            list(backbone.parameters()) + list(self.head.parameters()), lr=lr,
            weight_decay=config.weight_decay)
        self.augment = simclr_augmentation(
            stack.preprocessing.crop, min_scale=options.min_scale, device=config.device)
        self.params = {"lr": lr, "optimizer": "adam", **asdict(options)}

    def run_epoch(self, epoch: int, rng: np.random.Generator,
                  progress: ProgressFn | None) -> dict[str, float]:
        steps = capped(batches(len(self.stack.pixels), self.config.batch_size, rng=rng,
                               drop_last=True), self.config)
        total = 0.0
        for i, rows in enumerate(steps):
            v1 = batch_tensor(self.stack, rows, augment=self.augment).to(self.config.device)
            v2 = batch_tensor(self.stack, rows, augment=self.augment).to(self.config.device)
            z = self.head(self.backbone(torch_cat(v1, v2)))
            loss = nt_xent_loss(z[:len(rows)], z[len(rows):],
                                temperature=self.options.temperature)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item()
            report(progress, i + 1, len(steps))
        return {"nt_xent_loss": total / max(len(steps), 1)}

    def steps_in_epoch(self) -> int:
        return len(capped(batches(len(self.stack.pixels), self.config.batch_size,
                                  drop_last=True), self.config))

    def state(self) -> dict[str, Any]:
        return {"head": self.head.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.head.load_state_dict(state["head"])
        self.optimizer.load_state_dict(state["optimizer"])


def torch_cat(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    import torch

    return torch.cat([a, b])


def make_trainer(stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: object | None) -> SimCLRTrainer:
    return SimCLRTrainer(stack, backbone, config, options or SimCLROptions())
