"""Learning-rate schedules: the factor curves, the rates a run really uses, and resume."""

import numpy as np
import pytest

from compute.train.checkpoint import load_checkpoint
from compute.train.loop import TrainConfig, train_images
from compute.train.schedule import LRSchedule, make_schedule, step_position
from tests.compute.train_toys import assert_same_weights, one_torch_thread, toy_stack  # noqa: F401

STEPS = 2  # toy_stack(4): 12 images, 80/20 split -> 9 training rows, batch 6 -> 2 steps


def _config(**kw):
    return TrainConfig(**{"epochs": 3, "batch_size": 6, "lr": 0.01, "seed": 1, "threads": 1,
                          **kw})


def test_cosine_falls_from_one_to_zero_after_a_linear_warm_up():
    s = make_schedule("cosine", epochs=5, warmup_epochs=1)
    assert s.factor(0.25) == pytest.approx(0.25) and s.factor(0.5) == pytest.approx(0.5)
    assert s.factor(1.0) == pytest.approx(1.0) and s.factor(5.0) == pytest.approx(0.0, abs=1e-12)
    assert s.factor(3.0) == pytest.approx(0.5)
    curve = [s.factor(p) for p in np.linspace(1, 5, 50)]
    assert all(a >= b for a, b in zip(curve, curve[1:], strict=False))


def test_a_warm_up_may_be_a_fraction_of_an_epoch():
    s = make_schedule("cosine", epochs=2, warmup_epochs=0.1)
    assert s.factor(0.05) == pytest.approx(0.5) and s.factor(0.1) == pytest.approx(1.0)
    assert s.factor(1.05) == pytest.approx(0.5)


def test_step_and_constant_schedules():
    step = make_schedule("step", epochs=9, step_size=2, gamma=0.5)
    assert [step.factor(e + 0.5) for e in range(5)] == [1, 1, 0.5, 0.5, 0.25]
    assert make_schedule("step", epochs=9).step_size == 3
    assert {make_schedule(epochs=4).factor(e + 0.5) for e in range(4)} == {1.0}


@pytest.mark.parametrize("bad", [{"name": "linear"}, {"warmup_epochs": 3},
                                 {"name": "step", "gamma": 0.0}])
def test_bad_schedules_say_what_to_fix(bad):
    with pytest.raises(ValueError, match="schedule|warm-up|gamma"):
        LRSchedule(**{"epochs": 3, **bad})


def test_a_run_follows_its_schedule_step_by_step(tmp_path):
    result = train_images(toy_stack(4), strategy="finetune", out=tmp_path / "c.pt",
                          config=_config(lr_schedule="cosine", warmup_epochs=1))
    schedule = make_schedule("cosine", epochs=3, warmup_epochs=1)
    for epoch, entry in enumerate(result.metadata.history):
        assert entry["lr"] == pytest.approx(0.01 * schedule.factor(step_position(epoch, 0, STEPS)))
        assert entry["lr_last"] == pytest.approx(
            0.01 * schedule.factor(step_position(epoch, STEPS - 1, STEPS)))
    rates = [r for h in result.metadata.history for r in (h["lr"], h["lr_last"])]
    assert rates[0] < rates[1] and rates[-1] < 0.01 * 0.05
    assert result.metadata.params["schedule"] == schedule.to_dict()
    optimizer = load_checkpoint(result.checkpoint).resume["trainer"]["optimizer"]
    assert optimizer["param_groups"][0]["lr"] == pytest.approx(rates[-1])


def test_a_resumed_cosine_run_continues_the_schedule_exactly(tmp_path):
    stack = toy_stack(4)
    straight = train_images(stack, strategy="finetune", out=tmp_path / "a.pt",
                            config=_config(lr_schedule="cosine"))
    partial = tmp_path / "b.pt"
    _interrupted_run(stack, partial, _config(lr_schedule="cosine"))
    resumed = train_images(stack, strategy="finetune", out=partial, resume=True,
                           config=_config())  # no schedule named: the checkpoint's is used
    assert resumed.metadata.history == straight.metadata.history
    assert_same_weights(straight.checkpoint, resumed.checkpoint)


def test_resume_refuses_another_schedule_or_a_longer_cosine(tmp_path):
    stack = toy_stack(4)
    out = tmp_path / "r.pt"
    _interrupted_run(stack, out, _config(lr_schedule="cosine"))
    with pytest.raises(ValueError, match="another learning-rate schedule"):
        train_images(stack, strategy="finetune", out=out, resume=True,
                     config=_config(lr_schedule="step"))
    with pytest.raises(ValueError, match="resume it with --epochs 3"):
        train_images(stack, strategy="finetune", out=out, resume=True, config=_config(epochs=5))


def test_a_constant_run_may_be_extended_on_resume(tmp_path):
    stack = toy_stack(4)
    out = tmp_path / "k.pt"
    train_images(stack, strategy="finetune", out=out, config=_config(epochs=1))
    resumed = train_images(stack, strategy="finetune", out=out, resume=True,
                           config=_config(epochs=2, lr_schedule="constant"))
    assert [h["lr"] for h in resumed.metadata.history] == [0.01, 0.01]


class _StopError(Exception):
    pass


def _interrupted_run(stack, out, config):
    """Train ``config`` but stop (as a killed job would) once the first epoch is saved."""
    def progress(done, total):
        if done >= 1000 // config.epochs + 1:
            raise _StopError

    with pytest.raises(_StopError):
        train_images(stack, strategy="finetune", out=out, config=config, progress=progress)
    assert load_checkpoint(out).metadata.epochs == 1


@pytest.mark.parametrize("strategy", ["triplet", "deepcluster", "simclr"])
def test_every_strategy_counts_its_steps_for_the_schedule(tmp_path, strategy):
    from compute.train.backbone import build_backbone
    from compute.train.deepcluster import DeepClusterOptions
    from compute.train.loop import make_trainer

    stack = toy_stack(crop=16)
    options = DeepClusterOptions(k=3, pca_dim=8, kmeans_iters=5) if strategy == "deepcluster" \
        else None
    config = _config(epochs=1, batch_size=8, lr_schedule="cosine")
    n = make_trainer(strategy, stack, build_backbone("resnet18"), config, options).steps_in_epoch()
    result = train_images(stack, strategy=strategy, out=tmp_path / "s.pt", config=config,
                          options=options)
    entry = result.metadata.history[0]
    schedule = make_schedule("cosine", epochs=1)
    assert n >= 2
    assert entry["lr"] == pytest.approx(0.01 * schedule.factor(step_position(0, 0, n)))
    assert entry["lr_last"] == pytest.approx(0.01 * schedule.factor(step_position(0, n - 1, n)))
