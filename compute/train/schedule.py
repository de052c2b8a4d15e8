"""Learning-rate schedules of the epoch loop: constant, cosine or step decay, optional warm-up.

The rate is set before every optimiser step, as a factor of the optimiser's base rate:
``lr = base_lr * schedule.factor(position)``, where ``position`` is the training time in
epochs at the middle of the step: ``epoch + (i + 0.5) / n`` for step i of n in the epoch.
The schedule is a pure function of the position, so a run resumed at epoch e continues
exactly where an uninterrupted run would be; the checkpoint stores the resolved schedule
(:meth:`LRSchedule.to_dict`) and a resumed run refuses a different one.

- ``constant``: factor 1 (after the warm-up).
- ``cosine``: ``0.5 * (1 + cos(pi * t))`` with ``t = (position - warmup) / (epochs -
  warmup)``, from 1 after the warm-up to 0 at the end of the run.
- ``step``: ``gamma ** floor((position - warmup) / step_size)``.

Warm-up: over the first ``warmup_epochs`` epochs the factor climbs linearly from 0 to 1
(``position / warmup_epochs``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

SCHEDULES = ("constant", "cosine", "step")


@dataclass(frozen=True)
class LRSchedule:
    """A resolved schedule for a run of ``epochs`` epochs.

    name: "constant" | "cosine" | "step". epochs: the run's planned length (the cosine's
    horizon). warmup_epochs: linear warm-up, in epochs (a fraction is fine).
    step_size / gamma: the step decay (multiply by ``gamma`` every ``step_size`` epochs).
    """

    name: str = "constant"
    epochs: int = 1
    warmup_epochs: float = 0.0
    step_size: int = 1
    gamma: float = 0.1

    def __post_init__(self) -> None:
        if self.name not in SCHEDULES:
            raise ValueError(f"unknown learning-rate schedule {self.name!r}; choose one of "
                             f"{list(SCHEDULES)}")
        if self.epochs < 1 or not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError(f"the warm-up ({self.warmup_epochs} epochs) must be shorter than "
                             f"the run ({self.epochs} epochs): pass a smaller --warmup-epochs")
        if self.step_size < 1 or not 0 < self.gamma <= 1:
            raise ValueError(f"step decay needs step_size >= 1 and 0 < gamma <= 1; got "
                             f"{self.step_size} and {self.gamma}")

    def factor(self, position: float) -> float:
        """Multiplier of the base learning rate at ``position`` epochs into the run."""
        if position < self.warmup_epochs:
            return position / self.warmup_epochs
        done = position - self.warmup_epochs
        if self.name == "cosine":
            t = min(done / (self.epochs - self.warmup_epochs), 1.0)
            return 0.5 * (1.0 + math.cos(math.pi * t))
        if self.name == "step":
            return self.gamma ** math.floor(done / self.step_size)
        return 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for the checkpoint's metadata and resume state)."""
        return asdict(self)

    def same_plan(self, other: LRSchedule) -> bool:
        """True when both give the same factor at every epoch (a constant or step schedule
        does not depend on the run's length, so a resumed run may extend it)."""
        if self.name == "cosine" or other.name == "cosine":
            return self == other
        return (self.name, self.warmup_epochs, self.step_size if self.name == "step" else 0,
                self.gamma if self.name == "step" else 0.0) == (
            other.name, other.warmup_epochs, other.step_size if other.name == "step" else 0,
            other.gamma if other.name == "step" else 0.0)


def make_schedule(name: str = "constant", *, epochs: int, warmup_epochs: float = 0.0,
                  step_size: int | None = None, gamma: float = 0.1) -> LRSchedule:
    """The schedule for a run of ``epochs`` epochs; ``step_size`` defaults to a third of the
    epochs after the warm-up (at least 1)."""
    if step_size is None:
        step_size = max(1, int(epochs - warmup_epochs) // 3)
    return LRSchedule(name=name, epochs=epochs, warmup_epochs=warmup_epochs,
                      step_size=step_size, gamma=gamma)


def schedule_from_dict(d: dict[str, Any]) -> LRSchedule:
    """Inverse of :meth:`LRSchedule.to_dict`."""
    return LRSchedule(name=str(d["name"]), epochs=int(d["epochs"]),
                      warmup_epochs=float(d["warmup_epochs"]), step_size=int(d["step_size"]),
                      gamma=float(d["gamma"]))


def remember_base_lr(optimizer: torch.optim.Optimizer) -> None:
    """Record each parameter group's current rate as its base (``initial_lr``, the key torch's
    own schedulers use; it is saved with the optimiser's state)."""
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])


def apply_factor(optimizer: torch.optim.Optimizer, factor: float) -> float:
    """Set every group's rate to ``initial_lr * factor``; returns the first group's rate."""
    remember_base_lr(optimizer)
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * factor
    return float(optimizer.param_groups[0]["lr"])


def step_position(epoch: int, step: int, n_steps: int) -> float:
    """Training time in epochs at the middle of step ``step`` (0-based) of ``n_steps``."""
    return epoch + (min(step, n_steps - 1) + 0.5) / max(n_steps, 1)


@contextmanager
def scheduled_epoch(optimizer: torch.optim.Optimizer, schedule: LRSchedule, *, epoch: int,
                    n_steps: int) -> Iterator[list[float]]:
    """Within the block, every ``optimizer.step()`` first sets the scheduled rate of its
    position in ``epoch`` (of ``n_steps`` steps; steps beyond it keep the last rate).
    Yields the list of rates used, one per step."""
    rates: list[float] = []

    def before_step(opt: torch.optim.Optimizer, args: object, kwargs: object) -> None:
        position = step_position(epoch, len(rates), n_steps)
        rates.append(apply_factor(opt, schedule.factor(position)))

    apply_factor(optimizer, schedule.factor(step_position(epoch, 0, n_steps)))
    handle = optimizer.register_step_pre_hook(before_step)
    try:
        yield rates
    finally:
        handle.remove()
