import numpy as np
import pytest

from explorer.figures import UNLABELLED, empty_figure, scatter_figure


def test_scatter_one_trace_per_group_with_row_customdata():
    coords = np.arange(10, dtype=float).reshape(5, 2)
    fig = scatter_figure(coords, ["a", "b", None, "a", "b"])
    assert [t.name for t in fig.data] == ["a", "b", UNLABELLED]
    rows = sorted(int(r) for t in fig.data for r in t.customdata)
    assert rows == [0, 1, 2, 3, 4]
    a = fig.data[0]
    assert list(a.customdata) == [0, 3]
    np.testing.assert_array_equal(a.x, coords[[0, 3], 0])
    assert fig.data[0].type == "scattergl"


def test_scatter_3d():
    fig = scatter_figure(np.zeros((3, 3)), ["a", "a", "b"])
    assert {t.type for t in fig.data} == {"scatter3d"}


def test_scatter_rejects_mismatched_input():
    with pytest.raises(ValueError, match="coords must be"):
        scatter_figure(np.zeros((3, 2)), ["a"])


def test_empty_figure_has_message():
    assert empty_figure("hello").layout.annotations[0].text == "hello"
