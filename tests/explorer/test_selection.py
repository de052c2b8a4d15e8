import numpy as np
import pandas as pd
import pytest

from compute.graph.knn import knn_graph
from explorer.selection import (
    nearest_outside,
    neighbours_of,
    page_of,
    rows_from_event,
    same_group,
    selection_table,
)
from explorer.state import ExplorerData


def make_data(n: int = 40, maxk: int = 8, clusters: bool = True, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    knn = knn_graph(x, maxk=maxk)
    labels = np.where(x[:, 0] > 0, "pos", "neg")
    data = ExplorerData(
        ids=np.array([f"{i:032x}" for i in range(n)], dtype=object),
        paths=np.array([f"img{i}.png" for i in range(n)], dtype=object),
        columns=pd.DataFrame({"label": labels}), knn_indices=knn.indices,
        knn_distances=knn.distances,
        clusters=np.where(x[:, 1] > 0, 1, 0) if clusters else None, summary="")
    return data, x


def test_rows_from_event_reads_point_numbers_of_the_main_trace():
    event = {"points": [{"curveNumber": 0, "pointNumber": 7},
                        {"curveNumber": 0, "pointNumber": 3},
                        {"curveNumber": 2, "pointNumber": 1}]}
    np.testing.assert_array_equal(rows_from_event(event), [3, 7])
    assert len(rows_from_event(None)) == 0 and len(rows_from_event({"points": []})) == 0


def test_neighbours_come_from_the_embedding_space():
    data, x = make_data()
    rows, dist = neighbours_of(data, 5, 4)
    brute = np.linalg.norm(x - x[5], axis=1)
    brute[5] = np.inf
    np.testing.assert_array_equal(rows, np.argsort(brute)[:4])
    np.testing.assert_allclose(dist, np.sort(brute)[:4])
    with pytest.raises(ValueError, match="outside the dataset"):
        neighbours_of(data, 40, 4)


def test_same_group_uses_clusters_then_labels():
    data, x = make_data()
    others = np.arange(40)
    np.testing.assert_array_equal(same_group(data, 0, others),
                                  (x[:, 1] > 0) == (x[0, 1] > 0))
    data, x = make_data(clusters=False)
    np.testing.assert_array_equal(same_group(data, 0, others),
                                  (x[:, 0] > 0) == (x[0, 0] > 0))


def test_nearest_outside_matches_brute_force_within_the_graph():
    data, x = make_data(n=60, maxk=10)
    selected = np.arange(0, 60, 7)
    rows, dist = nearest_outside(data, selected, 5)
    assert not set(rows) & set(selected)
    assert (np.diff(dist) >= 0).all()
    d = np.linalg.norm(x[:, None] - x[selected][None], axis=-1).min(axis=1)
    d[selected] = np.inf
    # the very nearest outside row is always within the graph of its nearest selected row
    assert rows[0] == d.argmin() and dist[0] == pytest.approx(d.min())
    assert (dist >= d[rows] * (1 - 1e-6)).all()  # a graph distance is never below the true one


def test_page_of_clamps():
    rows = np.arange(50)
    shown, page, n_pages = page_of(rows, 5, 24)
    assert (page, n_pages) == (2, 3) and list(shown) == [48, 49]
    assert page_of(rows, -1, 24)[1] == 0
    assert page_of(rows[:0], 0, 24)[2] == 1


def test_selection_table_has_ids_columns_and_coordinates():
    data, x = make_data()
    table = selection_table(data, [3, 1], x[:, :2])
    assert list(table["row"]) == [3, 1] and list(table["path"]) == ["img3.png", "img1.png"]
    assert list(table.columns[-2:]) == ["proj_1", "proj_2"]
    assert table["proj_2"].iloc[0] == pytest.approx(x[3, 1])


def test_excluded_rows_are_never_neighbours_nor_nearest_outside():
    data, _ = make_data()
    excluded = np.zeros(data.n_rows, dtype=bool)
    excluded[::2] = True
    rows, _ = neighbours_of(data, 5, 8, excluded)
    assert len(rows) and not excluded[rows].any()
    assert len(neighbours_of(data, 5, 8)[0]) == 8
    outside, dist = nearest_outside(data, np.array([1, 3]), 5, excluded)
    assert len(outside) and not excluded[outside].any() and not {1, 3} & set(outside)
    assert (np.diff(dist) >= 0).all()


def test_a_kept_selection_applies_only_to_the_folder_it_was_made_on(tmp_path):
    """The browser keeps a selection over a reload with its folder's tag; a server now
    exploring another folder (the map, the panel, the table, the export) ignores it."""
    from explorer.config import AppConfig, folder_tag, kept_selection

    here = AppConfig(images=tmp_path / "a", labels=None, cache_dir=tmp_path / "cache")
    there = AppConfig(images=tmp_path / "b", labels=None, cache_dir=tmp_path / "cache")
    assert kept_selection(here, [3, 1], folder_tag(here)) == [3, 1]
    assert kept_selection(here, [3, 1], folder_tag(there)) is None
    assert kept_selection(here, [3, 1], None) is None
