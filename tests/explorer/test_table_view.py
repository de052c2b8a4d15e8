"""The selection's sortable table: the CSV's rows and values, capped for the browser."""

import numpy as np
import pandas as pd

from explorer.state import ExplorerData
from explorer.table_view import table_body, table_records, table_view


def data(n=5) -> ExplorerData:
    return ExplorerData(
        ids=np.array([f"id{i}" for i in range(n)], dtype=object),
        paths=np.array([f"run/p{i}.png" for i in range(n)], dtype=object),
        columns=pd.DataFrame({"label": ["a", None, "b", "a", "b"][:n],
                              "log-density": np.linspace(-1, 1, n),
                              "halo": ["core", "halo", "core", "core", "halo"][:n]}),
        knn_indices=np.zeros((n, 1), np.int32), knn_distances=np.zeros((n, 1), np.float32),
        clusters=np.array([0, 1, 1, 0, 2][:n]), summary="",
        cluster_names=("dots", "", "wires"))


def test_records_carry_the_cluster_and_its_name():
    columns, records = table_records(data(), np.array([4, 0]))
    assert columns == ["row", "path", "cluster", "cluster_name", "halo", "label", "log-density"]
    assert [(r["row"], r["cluster"], r["cluster_name"]) for r in records] == \
        [(4, 2, "wires"), (0, 0, "dots")]
    assert records[1]["log-density"] == -1.0
    _, records = table_records(data(), np.array([1]))
    assert records[0]["label"] is None


def test_the_table_is_capped_and_sortable():
    _, records = table_records(data(), np.arange(5), limit=2)
    assert len(records) == 2
    table = table_body(data(), np.arange(5))
    assert table.sort_action == "native" and len(table.data) == 5


def test_the_folded_table_sends_no_rows_until_opened():
    folded = table_view(5)
    assert "5 images" in folded.children[0].children and folded.children[1].children is None
    assert "the first 2000 of 3000" in table_view(3000).children[0].children
