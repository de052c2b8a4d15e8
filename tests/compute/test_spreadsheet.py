"""CSV formula injection: text cells are neutralised, numbers stay numbers."""

import numpy as np
import pandas as pd
import pytest

from compute.spreadsheet import neutralise, neutralise_cell, neutralised_frame, unneutralise


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("'quoted", "''quoted"), ("plain", "plain"),
    ("a=b", "a=b"), ("", ""),
])
def test_neutralise_prefixes_only_what_a_spreadsheet_would_run(text, safe):
    assert neutralise(text) == safe and unneutralise(safe) == text


def test_cells_and_frames_keep_numbers_and_missing_values():
    assert neutralise_cell(-3.5) == -3.5 and neutralise_cell(None) is None
    frame = pd.DataFrame({"path": ["+a.png", "b.png"], "label": ["=x", None],
                          "height": [-1.5, 2.0], "cluster": np.array([-1, 0]),
                          "halo": [True, False]})
    safe = neutralised_frame(frame)
    assert safe["path"].tolist() == ["'+a.png", "b.png"]
    assert safe["label"][0] == "'=x" and pd.isna(safe["label"][1])
    assert safe[["height", "cluster", "halo"]].equals(frame[["height", "cluster", "halo"]])
    assert frame["path"].tolist() == ["+a.png", "b.png"]  # the input is not changed
    assert neutralised_frame(frame, ["label"])["path"].tolist() == ["+a.png", "b.png"]
