"""The representation panel's functions against real (tiny) training and analysis runs."""

import json

import pytest
from dash import no_update

from compute.params import AnalysisParams
from explorer.config import AppConfig
from explorer.state import config_for, load_data
from explorer.training.views import (
    backbone_of_weights,
    quality_job,
    train_job,
    weights_menus,
)
from explorer.views import analysis_job
from tests.compute.train_toys import one_torch_thread  # noqa: F401

TINY = {"epochs": 1, "batch_size": 4}


@pytest.fixture
def trained(app_config):
    """Name of SimCLR weights trained through the job (12 images, one epoch)."""
    seen = []
    name, result = train_job(seen.append, app_config, strategy="simclr", **TINY)
    assert seen[-1][:2] == ("1000", "1000")
    assert name in str(result) and "press Compute" in str(result)
    assert f"on {app_config.train_device}." in str(result)
    return name


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="has a CUDA device")
def test_training_on_a_missing_gpu_says_to_use_the_cpu(app_config):
    from dataclasses import replace

    on_gpu = replace(app_config, train_device="cuda")
    with pytest.raises(ValueError, match="no usable CUDA device; use --train-device cpu"):
        train_job(lambda _p: None, on_gpu, strategy="simclr", **TINY)
    assert not list(on_gpu.weights_dir.glob("*.pt"))  # nothing half-written


def test_trained_weights_join_the_menus_and_pick_their_backbone(app_config, trained):
    options, value, starts, start = weights_menus(app_config, trained, "auto", "random")
    assert [o["value"] for o in options] == ["auto", trained] and value == trained
    assert [o["value"] for o in starts] == ["random", "imagenet", trained] and start == "random"
    assert backbone_of_weights(app_config, trained) == "resnet18"
    assert backbone_of_weights(app_config, "auto") is no_update
    # a choice whose file is gone falls back to the built-in weights
    assert weights_menus(app_config, None, "gone-resnet18-000000000000.pt", "x")[1::2] == (
        "auto", "random")


def test_compute_embeds_with_trained_weights_and_the_key_holds_only_their_name(
        app_config, trained):
    key, _ = analysis_job(lambda _p: None, app_config, backbone="resnet18", weights=trained,
                          maxk=5, k=4)
    assert json.loads(key)["weights"] == trained
    assert str(app_config.cache_dir) not in key
    chosen = config_for(app_config, key)
    assert chosen.weights == str(app_config.weights_dir / trained)
    data = load_data(app_config, key)
    assert data.n_rows == 12
    builtin, _ = analysis_job(lambda _p: None, app_config, backbone="resnet18", maxk=5, k=4)
    assert builtin != key  # other weights, another analysis


def test_a_run_can_continue_from_trained_weights(app_config, trained):
    name, _ = train_job(lambda _p: None, app_config, strategy="finetune", start=trained, **TINY)
    assert name.startswith("finetune-resnet18-") and name != trained
    menu = weights_menus(app_config, name, "auto", "random")[0]
    assert "continue" not in str(menu) and len(menu) == 3


@pytest.mark.parametrize(("choices", "message"), [
    ({"epochs": 0}, "epochs must be a whole number from 1"),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"batch_size": "many"}, "batch size must be a whole number"),
    ({"input_size": 8}, "input size must be a whole number from 16"),
    ({"lr": -1}, "learning rate must be a number above 0"),
    ({"strategy": "magic"}, "unknown strategy"),
    ({"start": "../../etc/passwd.pt"}, "Weights list"),
    ({"backbone": "vgg"}, "unknown backbone"),
])
def test_bad_training_choices_say_what_to_do(app_config, choices, message):
    with pytest.raises(ValueError, match=message):
        train_job(lambda _p: None, app_config, **{"strategy": "simclr", **TINY, **choices})
    assert not list(app_config.weights_dir.glob("*.pt"))


@pytest.mark.parametrize("backbone", ["pixels", "resnet50"])
def test_trained_weights_with_another_network_say_which_to_choose(app_config, trained,
                                                                   backbone):
    with pytest.raises(ValueError, match="choose Backbone resnet18, or the built-in Weights"):
        analysis_job(lambda _p: None, app_config, backbone=backbone, weights=trained)


def test_weights_outside_the_folder_are_refused_before_any_work(app_config):
    with pytest.raises(ValueError, match="Weights list"):
        analysis_job(lambda _p: None, app_config, backbone="resnet18", weights="/etc/passwd")


def test_quality_report_of_the_current_analysis(app_config):
    key, _ = analysis_job(lambda _p: None, app_config, backbone="pixels", maxk=5, k=4)
    seen = []
    summary, figure = quality_job(seen.append, app_config, key)
    text = str(summary)
    assert "pixels, weights auto, euclidean distance: 12 images, 12 labelled" in text
    density = "pak" if AnalysisParams().density == "pak" else "knn-k4"
    assert "Pearson r" in text and "kmeans-k2" in text and f"adp-{density}-z" in text
    assert "images scored" in text and "12 of 12" in text  # k-means leaves none out
    image = figure.data[0]
    assert image.type == "image" and image.source.startswith("data:image/png;base64,")
    assert list(figure.layout.xaxis.ticktext) == ["bottom-right", "top-left"]
    assert seen and seen[-1][:2] == ("1000", "1000")


def test_quality_report_needs_an_analysis_and_labels(app_config, tmp_path):
    with pytest.raises(ValueError, match="press Compute first"):
        quality_job(lambda _p: None, app_config, None)
    unlabelled = AppConfig(images=app_config.images, labels=None, cache_dir=tmp_path / "c2",
                           names_db=tmp_path / "n2.sqlite")
    key, _ = analysis_job(lambda _p: None, unlabelled, backbone="pixels", maxk=5, k=4)
    with pytest.raises(ValueError, match="--labels CSV"):
        quality_job(lambda _p: None, unlabelled, key)


def test_compare_lists_pixels_imagenet_and_trained_weights_with_a_suggestion(
        app_config, trained):
    from explorer.training.views import compare_job

    seen = []
    result = str(compare_job(seen.append, app_config, None))
    assert seen[-1][0] == seen[-1][1]  # progress reached its end
    for name in ("pixels", "imagenet (efficientnet_lite0)", trained):
        assert name in result
    assert "Suggested: " in result and "not scored" not in result
    assert "12 images labelled" in result
    assert "neighbour consistency" in result  # 12 labels: too few, label-free basis


def test_compare_uses_the_pages_analysis(app_config):
    from explorer.training.views import compare_job

    key, _ = analysis_job(lambda _p: None, app_config, backbone="pixels", maxk=5, k=4)
    result = str(compare_job(lambda _p: None, app_config, key, {"z": 2.5, "halo": False}))
    assert "maxk 5" in result and "Z 2.5" in result


def test_the_adapt_job_publishes_efficientnet_weights(app_config):
    name, result = train_job(lambda _p: None, app_config, strategy="adapt", **TINY)
    assert name.startswith("adapt-efficientnet_lite0-") and "press Compute" in str(result)
    assert backbone_of_weights(app_config, name) == "efficientnet_lite0"
