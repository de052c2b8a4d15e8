"""Supervised fine-tuning: cross-entropy on the labelled subset, SGD, an 80/20 split.

Per epoch: train loss and accuracy, validation loss and accuracy (the seeds' curves).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from compute.progress import ProgressFn, report
from compute.train.data import ImageStack, batch_tensor, batches, require_labels, stratified_split
from compute.train.loop import TrainConfig, capped, sgd

if TYPE_CHECKING:
    from torch import nn

DEFAULT_LR = 1e-3


@dataclass(frozen=True)
class FinetuneOptions:
    """validation: held-out fraction of each class. augment: use the seeds' augmentation
    (default: the seeds' preprocessing only). min_scale: smallest crop area if augmenting."""

    validation: float = 0.2
    augment: bool = False
    min_scale: float = 0.08


class FinetuneTrainer:
    def __init__(self, stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: FinetuneOptions) -> None:
        from torch import nn

        from compute.train.augment import seeds_augmentation
        from compute.train.backbone import FEATURE_DIMS

        require_labels(stack, "finetune")
        if not 0.0 <= options.validation < 1.0:
            raise ValueError(f"validation fraction must be in [0, 1); got {options.validation}")
        self.stack, self.backbone, self.config = stack, backbone, config
        self.train_rows, self.val_rows = stratified_split(
            stack.labels, validation=options.validation, seed=config.seed)
        self.head = nn.Linear(FEATURE_DIMS[config.backbone], len(stack.classes)).to(config.device)
        lr = config.lr or DEFAULT_LR
        self.optimizer = sgd(list(backbone.parameters()) + list(self.head.parameters()), config, lr)
        self.augment = seeds_augmentation(stack.preprocessing.crop,
                                          min_scale=options.min_scale,
                                          device=config.device) if options.augment else None
        self.params = {"lr": lr, **asdict(options)}

    def run_epoch(self, epoch: int, rng: np.random.Generator,
                  progress: ProgressFn | None) -> dict[str, float]:
        steps = capped(batches(len(self.train_rows), self.config.batch_size, rng=rng), self.config)
        loss, acc = self._pass(steps, self.train_rows, train=True, progress=progress)
        metrics = {"train_loss": loss, "train_accuracy": acc}
        if len(self.val_rows):
            val_steps = batches(len(self.val_rows), self.config.batch_size)
            metrics["val_loss"], metrics["val_accuracy"] = self._pass(
                val_steps, self.val_rows, train=False, progress=None)
        return metrics

    def steps_in_epoch(self) -> int:
        return len(capped(batches(len(self.train_rows), self.config.batch_size), self.config))

    def _pass(self, steps: list[np.ndarray], rows: np.ndarray, *, train: bool,
              progress: ProgressFn | None) -> tuple[float, float]:
        import torch

        self.backbone.train(train)
        self.head.train(train)
        total_loss, correct, seen = 0.0, 0, 0
        for i, step in enumerate(steps):
            picked = rows[step]
            x = batch_tensor(self.stack, picked, augment=self.augment if train else None)
            y = torch.from_numpy(self.stack.labels[picked]).to(self.config.device)
            with torch.set_grad_enabled(train):
                logits = self.head(self.backbone(x.to(self.config.device)))
                loss = torch.nn.functional.cross_entropy(logits, y)
            if train:
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            total_loss += loss.item() * len(picked)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(picked)
            report(progress, i + 1, len(steps))
        self.backbone.train()
        return total_loss / max(seen, 1), correct / max(seen, 1)

    def state(self) -> dict[str, Any]:
        return {"head": self.head.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.head.load_state_dict(state["head"])
        self.optimizer.load_state_dict(state["optimizer"])


def make_trainer(stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: object | None) -> FinetuneTrainer:
    return FinetuneTrainer(stack, backbone, config, options or FinetuneOptions())
