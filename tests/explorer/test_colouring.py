import base64

import numpy as np
import pandas as pd
import pytest

from explorer.colouring import (
    HIDDEN_COLOUR,
    MISSING,
    MISSING_COLOUR,
    colouring,
    discrete_scale,
    typed_array,
)


def decode(spec: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))


def test_typed_array_round_trips_and_narrows_float64():
    spec = typed_array(np.array([1.5, -2.0]))
    assert spec["dtype"] == "f4"
    np.testing.assert_array_equal(decode(spec), [1.5, -2.0])
    with pytest.raises(ValueError, match="typed arrays"):
        typed_array(np.array(["a"]))


def test_categorical_codes_with_missing_last_and_natural_order():
    c = colouring("cluster", pd.Series(["10", "2", None, "2", "halo"]))
    assert c.kind == "categorical"
    assert c.categories == ("2", "10", "halo", MISSING)
    np.testing.assert_array_equal(c.values, [1, 0, 3, 0, 2])
    assert c.colours[-1] == MISSING_COLOUR and len(set(c.colours[:3])) == 3


def test_hidden_categories_get_the_transparent_code():
    c = colouring("label", ["a", "b", "a", "c"])
    marker = c.marker(hidden=["a"])
    codes = decode(marker["color"])
    np.testing.assert_array_equal(codes, [3, 1, 3, 2])
    scale = dict((round(v, 6), col) for v, col in marker["colorscale"])
    # code 3 of 4 (+ hidden) maps into the last step of the scale: transparent
    assert marker["cmin"] == -0.5 and marker["cmax"] == 3.5
    assert scale[1.0] == HIDDEN_COLOUR
    np.testing.assert_array_equal(c.rows_in(["a", "c"]), [True, False, True, True])


def test_discrete_scale_maps_each_code_to_its_colour():
    colours = ("#111111", "#222222")
    scale = discrete_scale(colours)
    cmin, cmax = -0.5, len(colours) + 0.5
    for code, expected in enumerate([*colours, HIDDEN_COLOUR]):
        pos = (code - cmin) / (cmax - cmin)
        steps = [col for (lo, col), (hi, _) in zip(scale[::2], scale[1::2], strict=True)
                 if lo <= pos <= hi]
        assert steps == [expected]


def test_float_column_is_continuous_with_robust_range():
    values = np.r_[np.linspace(0, 1, 200), 1000.0, np.nan]
    c = colouring("log-density", values)
    assert c.kind == "continuous"
    marker = c.marker()
    assert marker["showscale"] and marker["cmax"] < 1000
    assert np.isnan(decode(marker["color"])[-1])


def test_too_many_categories_is_refused():
    with pytest.raises(ValueError, match="distinct values"):
        colouring("path", [f"x{i}" for i in range(1001)])


def test_removed_rows_are_transparent_in_both_kinds_of_colouring():
    removed = np.array([True, False, False, True])
    cat = colouring("label", ["a", "b", "a", "c"])
    codes = decode(cat.marker(removed=removed)["color"])
    np.testing.assert_array_equal(codes, [3, 1, 0, 3])  # code 3 = the transparent step
    cont = colouring("log-density", np.array([0.0, 1.0, 2.0, 3.0]))
    marker = cont.marker(removed=removed)
    values = decode(marker["color"])
    assert values[0] == values[3] == pytest.approx(marker["cmax"])
    assert values[1] < marker["cmax"] and values[2] < marker["cmax"]
    assert marker["colorscale"][-1] == [1.0, HIDDEN_COLOUR]
    assert marker["colorscale"][0][1] != HIDDEN_COLOUR
    assert cont.marker()["colorscale"] == "Viridis"  # nothing removed: the plain scale


def test_categories_follow_a_given_sort_key():
    c = colouring("scale group", ["2 um", "200 nm", "no scale (x)"],
                  sort_key=lambda name: {"200 nm": 0, "2 um": 1}.get(name, 2))
    assert c.categories == ("200 nm", "2 um", "no scale (x)")
