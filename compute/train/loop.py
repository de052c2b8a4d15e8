"""The epoch loop shared by the image strategies: seeding, resume, checkpoint per epoch.

Determinism: before epoch e, torch's global generator is seeded from (seed, e) and the
strategy gets ``numpy.random.default_rng([seed, e])``; nothing random carries over from one
epoch to the next except the weights and optimiser state, which the checkpoint stores. So
a run of E epochs and a run of E1 epochs resumed to E give the same weights (on the same
machine and thread count).

Learning rate: set before every step from the run's schedule (:mod:`compute.train.schedule`),
which the checkpoint stores; each epoch's history entry has its first and last rate
(``lr``, ``lr_last``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from compute.progress import ProgressFn, report, staged
from compute.train.checkpoint import (
    CheckpointMetadata,
    backbone_state,
    load_backbone,
    load_checkpoint,
    save_checkpoint,
)
from compute.train.data import ImageStack
from compute.train.schedule import (
    LRSchedule,
    make_schedule,
    remember_base_lr,
    schedule_from_dict,
    scheduled_epoch,
)

if TYPE_CHECKING:
    import torch
    from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Options shared by every image strategy.

    backbone: "resnet18" | "resnet34" | "resnet50".
    weights: start from "random", "imagenet" (needs a download) or a checkpoint path.
    epochs: total epochs (a resumed run continues up to this number).
    batch_size: images per step. lr: learning rate (None: the strategy's default).
    momentum / weight_decay: SGD settings (the seeds': 0.9, 1e-4).
    device: torch device string ("cpu", "cuda", "cuda:1", "mps").
    seed: makes the run repeatable. steps_per_epoch: cap on steps per epoch (None: a full
    pass), for quick runs and tests. threads: torch CPU threads (None: torch's default).
    lr_schedule: "constant" | "cosine" | "step" (see compute.train.schedule); None: constant
    for a new run, the checkpoint's own schedule when resuming. warmup_epochs: linear
    warm-up, in epochs (may be a fraction, e.g. 0.05 for a new head on trained weights).
    lr_step_size / lr_gamma: the step decay (None: a third of the epochs).
    """

    backbone: str = "resnet18"
    weights: str = "random"
    epochs: int = 10
    batch_size: int = 64
    lr: float | None = None
    momentum: float = 0.9
    weight_decay: float = 1e-4
    device: str = "cpu"
    seed: int = 0
    steps_per_epoch: int | None = None
    threads: int | None = None
    lr_schedule: str | None = None
    warmup_epochs: float = 0.0
    lr_step_size: int | None = None
    lr_gamma: float = 0.1


@dataclass(frozen=True)
class TrainResult:
    """Where the checkpoint went and what it says."""

    checkpoint: Path
    metadata: CheckpointMetadata


class Trainer(Protocol):
    """What a strategy module builds: owns its heads and optimisers, trains one epoch.

    ``optimizer`` is the one whose rate the schedule sets before each step (a strategy with
    a second, per-epoch optimiser takes the epoch's first rate from it).
    ``steps_in_epoch()`` is the number of optimiser steps ``run_epoch`` will take.
    """

    params: dict[str, Any]
    optimizer: torch.optim.Optimizer

    def steps_in_epoch(self) -> int: ...

    def run_epoch(self, epoch: int, rng: np.random.Generator,
                  progress: ProgressFn | None) -> dict[str, float]: ...

    def state(self) -> dict[str, Any]: ...

    def load_state(self, state: dict[str, Any]) -> None: ...


def make_trainer(strategy: str, stack: ImageStack, backbone: nn.Module, config: TrainConfig,
                 options: object | None) -> Trainer:
    """Dispatch to the strategy module (imported lazily)."""
    import importlib

    from compute.train import IMAGE_STRATEGIES

    if strategy not in IMAGE_STRATEGIES:
        raise ValueError(f"unknown image strategy {strategy!r}; choose one of "
                         f"{list(IMAGE_STRATEGIES)} (the autoencoder trains on embeddings: "
                         "train_autoencoder)")
    module = importlib.import_module(f"compute.train.{strategy}")
    return module.make_trainer(stack, backbone, config, options)


def seed_epoch(seed: int, epoch: int) -> np.random.Generator:
    """Seed torch's global generator for ``epoch`` and return the epoch's numpy generator."""
    import torch

    key = [seed, epoch + 1]  # epoch -1 seeds the initial weights
    torch.manual_seed(int(np.random.SeedSequence(key).generate_state(1)[0]))
    return np.random.default_rng(key)


def train_images(stack: ImageStack, *, strategy: str, out: str | os.PathLike[str],
                 config: TrainConfig = TrainConfig(), options: object | None = None,
                 input_filter: str = "none", resume: bool = False,
                 progress: ProgressFn | None = None) -> TrainResult:
    """Train a backbone on ``stack`` with ``strategy``; write the checkpoint ``out``.

    A checkpoint (with resume state) is written after every epoch. With ``resume=True`` and
    an existing ``out`` from the same strategy and data, training continues from its last
    epoch up to ``config.epochs``. ``progress`` gets (done, 1000) over the whole run.
    """
    import torch

    from compute.torch_compat import check_device

    if config.epochs < 1 or config.batch_size < 2:
        raise ValueError("need epochs >= 1 and batch size >= 2")
    check_device(config.device)
    if config.threads:
        torch.set_num_threads(config.threads)
    out = Path(out)
    seed_epoch(config.seed, -1)
    backbone, init = _initial_backbone(config, input_filter)
    backbone.to(config.device).train()
    trainer = make_trainer(strategy, stack, backbone, config, options)
    remember_base_lr(trainer.optimizer)
    history: list[dict[str, float]] = []
    schedule = requested_schedule(config)
    if resume and out.exists():
        history, schedule = _resume(out, strategy, stack, backbone, trainer, config)
    schedule = schedule or make_schedule(epochs=config.epochs, warmup_epochs=config.warmup_epochs)
    meta = None
    for epoch in range(len(history), config.epochs):
        rng = seed_epoch(config.seed, epoch)
        part = staged(progress, f"training epoch {epoch + 1}/{config.epochs}", "batches",
                      epoch / config.epochs, (epoch + 1) / config.epochs)
        with scheduled_epoch(trainer.optimizer, schedule, epoch=epoch,
                             n_steps=trainer.steps_in_epoch()) as rates:
            metrics = trainer.run_epoch(epoch, rng, part)
        history.append({"epoch": epoch + 1, "lr": rates[0], "lr_last": rates[-1],
                        **{k: float(v) for k, v in metrics.items()}})
        log.info("%s epoch %d/%d: %s", strategy, epoch + 1, config.epochs,
                 ", ".join(f"{k} {v:.4g}" for k, v in history[-1].items() if k != "epoch"))
        meta = _metadata(strategy, stack, config, init, input_filter, history, trainer,
                         schedule)
        save_checkpoint(out, state_dict=backbone_state(backbone), metadata=meta,
                        resume={"trainer": trainer.state(), "schedule": schedule.to_dict()})
    report(progress, 1000, 1000)
    if meta is None:  # resumed a run that had already reached config.epochs
        meta = load_checkpoint(out).metadata
    return TrainResult(checkpoint=out, metadata=meta)


def _initial_backbone(config: TrainConfig, input_filter: str) -> tuple[nn.Module, str]:
    from compute.train.backbone import build_backbone

    if config.weights in ("random", "imagenet"):
        return build_backbone(config.backbone, weights=config.weights,
                              input_filter=input_filter), config.weights
    backbone, parent = load_backbone(config.weights)
    if parent.backbone != config.backbone or parent.input_filter != input_filter:
        raise ValueError(f"checkpoint {config.weights} holds a {parent.backbone} with input "
                         f"filter {parent.input_filter!r}: pass --backbone {parent.backbone} "
                         f"and the same input filter to continue from it")
    return backbone, str(config.weights)


def requested_schedule(config: TrainConfig) -> LRSchedule | None:
    """The schedule the config asks for (None: none named; see TrainConfig.lr_schedule)."""
    if config.lr_schedule is None:
        return None
    return make_schedule(config.lr_schedule, epochs=config.epochs,
                         warmup_epochs=config.warmup_epochs, step_size=config.lr_step_size,
                         gamma=config.lr_gamma)


def _resumed_schedule(out: Path, stored: LRSchedule, config: TrainConfig) -> LRSchedule:
    """The stored schedule, checked against the request and the run's length."""
    asked = requested_schedule(config)
    if asked is not None and not asked.same_plan(stored):
        raise ValueError(f"cannot resume {out} with another learning-rate schedule: it was "
                         f"trained with {stored.to_dict()}, asked {asked.to_dict()}; drop the "
                         "schedule options (the checkpoint's is used), or start a new run "
                         f"from it with --weights {out}")
    if stored.name == "cosine" and stored.epochs != config.epochs:
        raise ValueError(f"{out} follows a cosine schedule planned for {stored.epochs} epochs: "
                         f"resume it with --epochs {stored.epochs}, or start a new run from it "
                         f"with --weights {out}")
    return stored if stored.name == "cosine" else dataclasses.replace(
        stored, epochs=config.epochs)


def _resume(out: Path, strategy: str, stack: ImageStack, backbone: nn.Module,
            trainer: Trainer, config: TrainConfig
            ) -> tuple[list[dict[str, float]], LRSchedule]:
    from compute.train.backbone import resnet_of

    ckpt = load_checkpoint(out)
    meta = ckpt.metadata
    if meta.strategy != strategy or meta.data_fingerprint != stack.fingerprint:
        raise ValueError(f"cannot resume {out}: it was trained with strategy {meta.strategy!r} "
                         "on other data; choose another --out or drop --resume")
    if ckpt.resume is None:
        raise ValueError(f"{out} has no resume state; train afresh with another --out")
    stored = ckpt.resume.get("schedule") or {"name": "constant", "epochs": meta.epochs,
                                             "warmup_epochs": 0.0, "step_size": 1, "gamma": 0.1}
    schedule = _resumed_schedule(out, schedule_from_dict(stored), config)
    resnet_of(backbone).load_state_dict(ckpt.state_dict)
    trainer.load_state(ckpt.resume["trainer"])
    remember_base_lr(trainer.optimizer)
    log.info("resuming %s from epoch %d", out, meta.epochs)
    return [dict(h) for h in meta.history], schedule


def _metadata(strategy: str, stack: ImageStack, config: TrainConfig, init: str,
              input_filter: str, history: list[dict[str, float]],
              trainer: Trainer, schedule: LRSchedule) -> CheckpointMetadata:
    from compute.train.backbone import FEATURE_DIMS

    params = {**dataclasses.asdict(config), **trainer.params, "schedule": schedule.to_dict()}
    params.pop("weights", None)
    return CheckpointMetadata(
        backbone=config.backbone, strategy=strategy, init=init,
        input_size=stack.preprocessing.crop, resize=stack.preprocessing.resize,
        mean=tuple(stack.preprocessing.mean), std=tuple(stack.preprocessing.std),
        input_filter=input_filter, feature_dim=FEATURE_DIMS[config.backbone],
        data_fingerprint=stack.fingerprint, n_images=len(stack.pixels),
        n_labelled=stack.n_labelled, classes=stack.classes, epochs=len(history),
        seed=config.seed, history=tuple(history), params=params, source=stack.source)


def sgd(parameters: Any, config: TrainConfig, lr: float) -> torch.optim.Optimizer:
    """SGD with the config's momentum and weight decay."""
    import torch

    return torch.optim.SGD(parameters, lr=lr, momentum=config.momentum,
                           weight_decay=config.weight_decay)


def capped(steps: list[np.ndarray], config: TrainConfig) -> list[np.ndarray]:
    """The first ``config.steps_per_epoch`` batches (all when None)."""
    return steps if config.steps_per_epoch is None else steps[:config.steps_per_epoch]
