"""The Compute section's Neighbours choice: the methods and default of AnalysisParams."""

from __future__ import annotations

import pytest

from compute.params import KNN_METHODS, AnalysisParams
from explorer import ids
from explorer.layout import build_layout, knn_options
from explorer.views import analysis_choices


def _find(component, target):
    if getattr(component, "id", None) == target:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, target)
            if found is not None:
                return found
    return None


def test_dropdown_offers_every_method_with_the_default_chosen():
    dropdown = _find(build_layout(), ids.SETTINGS_KNN)
    assert dropdown is not None
    assert [o["value"] for o in dropdown.options] == list(KNN_METHODS)
    assert dropdown.options == knn_options()
    assert dropdown.value == AnalysisParams().knn_method


def test_the_choice_reaches_the_analysis_parameters():
    assert analysis_choices(knn_method="ivf")["analysis"].knn_method == "ivf"
    assert analysis_choices()["analysis"].knn_method == AnalysisParams().knn_method
    with pytest.raises(ValueError, match="Compute: knn method"):
        analysis_choices(knn_method="annoy")
