"""Invalid inputs are refused with the message of the parameters' own validation, never
replaced by a default in silence."""

import pytest

from compute.params import AnalysisParams
from explorer.views import analysis_input_problem, projection_params, request_projection
from explorer.widgets import number

PCA2 = {"method": "pca", "dims": 2, "seed": 0, "perplexity": 30, "n_neighbors": 15,
        "min_dist": 0.1}


@pytest.mark.parametrize(("controls", "words"), [
    ({"maxk": 1}, "maxk must be an integer >= 2"),
    ({"density": "knn", "k": 40, "maxk": 30}, "k = 40 exceeds maxk = 30"),
    ({"k": 2.5}, "k must be an integer"),
    ({"k": 0}, "k must be an integer >= 1"),
])
def test_analysis_inputs_are_refused_with_the_parameters_own_message(controls, words):
    message = analysis_input_problem(**controls)
    assert words in message
    with pytest.raises(ValueError) as refused:
        AnalysisParams(**controls)
    assert str(refused.value) in message  # one validation: the same words


def test_valid_and_empty_analysis_inputs_pass():
    assert analysis_input_problem(density="knn", k=10, maxk=30, metric="cosine") == ""
    assert analysis_input_problem(k=None, maxk=None) == ""  # empty boxes keep the defaults


def test_number_boxes_have_no_browser_constraints_that_would_blank_a_bad_value():
    box = number("n", 3).to_plotly_json()["props"]
    assert box.get("min") is None and box.get("max") is None and box["step"] == "any"


@pytest.mark.parametrize(("change", "words"), [
    ({"n_neighbors": 2.5}, "UMAP neighbours must be a whole number"),
    ({"seed": -1}, "seed must be a whole number"),
])
def test_projection_inputs_are_refused_not_replaced(change, words):
    with pytest.raises(ValueError, match=words):
        projection_params(**{**PCA2, **change})


def test_a_zero_perplexity_is_refused_not_taken_for_the_default(app_config):
    from explorer.views import analysis_job

    key, _ = analysis_job(lambda _p: None, app_config, backbone="pixels", maxk=11)
    assert projection_params(**{**PCA2, "perplexity": 0}).perplexity == 0
    _, _, status = request_projection(app_config, key, **{**PCA2, "method": "tsne",
                                                          "perplexity": 0})
    assert status.startswith("error:") and "perplexity" in status
    _, _, status = request_projection(app_config, key, **{**PCA2, "n_neighbors": 1.5})
    assert status.startswith("error:") and "whole number" in status


def test_the_app_refuses_an_empty_image_folder_saying_what_to_pass(tmp_path):
    from app import config_from_args, parse_args

    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(SystemExit, match="holds no file; pass --images DIR"):
        config_from_args(parse_args(["--images", str(tmp_path / "empty")]))
