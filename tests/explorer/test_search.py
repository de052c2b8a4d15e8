"""The search box: cluster names and numbers, file names and ids select their images."""

import numpy as np
import pandas as pd

from explorer.search import search_rows
from explorer.state import ExplorerData


def data(clusters=(0, 0, 1, 2, 1), names=("vertical arrays", "", "dots")) -> ExplorerData:
    n = len(clusters)
    return ExplorerData(
        ids=np.array(["a1b2c3d4e5", "ffff000011", "a1b2c3ffff", "0123456789", "9999999999"],
                     dtype=object)[:n],
        paths=np.array(["run1/wire_01.tif", "run1/wire_02.tif", "run2/Dot_7.png",
                        "run2/dot_8.png", "other.png"], dtype=object)[:n],
        columns=pd.DataFrame({"label": [None] * n}), knn_indices=np.zeros((n, 1), np.int32),
        knn_distances=np.zeros((n, 1), np.float32), clusters=np.array(clusters),
        summary="", cluster_names=names)


def test_a_cluster_name_selects_its_members_case_insensitively():
    found = search_rows(data(), "ARRAYS")
    assert found.rows.tolist() == [0, 1]
    assert found.what == "2 images match 'ARRAYS': 2 in matching clusters"


def test_a_file_name_and_an_id_prefix_select_their_images():
    assert search_rows(data(), "dot_").rows.tolist() == [2, 3]  # "dots" is no substring of it
    found = search_rows(data(), "a1b2c3")
    assert found.rows.tolist() == [0, 2] and "2 by id" in found.what
    assert search_rows(data(), "a1b2").rows.tolist() == []  # too short to be an id


def test_a_cluster_number_selects_the_cluster():
    assert search_rows(data(), "c1").rows.tolist() == [2, 4]
    assert search_rows(data(), "c2").rows.tolist() == [3]


def test_nothing_found_says_what_is_searched():
    found = search_rows(data(), "zebra")
    assert found.rows.tolist() == [] and "nothing matches 'zebra'" in found.what
    assert search_rows(data(), "  ").what == ""
