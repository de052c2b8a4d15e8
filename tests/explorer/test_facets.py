"""Facets: counts per category that follow the selection, filter the map and each other."""

import numpy as np
import pandas as pd

from explorer.facets import (
    SCALE_KEY,
    chosen_mask,
    facet_bars,
    facet_columns,
    facet_panel,
    row_filter,
    toggled,
)
from explorer.state import ExplorerData
from explorer.views import removed_rows


def data() -> ExplorerData:
    labels = ["bag", "bag", "bag", "shoe", "shoe", None]
    clusters = ["0", "0", "1", "1", "2", "2"]
    groups = ["1 um", "1 um", "2 um", "2 um", "1 um", "1 um"]
    n = len(labels)
    return ExplorerData(
        ids=np.array([f"id{i}" for i in range(n)], dtype=object),
        paths=np.array([f"p{i}.png" for i in range(n)], dtype=object),
        columns=pd.DataFrame({"label": labels, "cluster": clusters, "scale group": groups,
                              "mode": ["L"] * n}),
        knn_indices=np.zeros((n, 1), np.int32), knn_distances=np.zeros((n, 1), np.float32),
        clusters=np.array([0, 0, 1, 1, 2, 2]), summary="")


def test_bars_count_the_passing_rows_and_the_selected_among_them():
    d = data()
    passing = np.ones(6, bool)
    selected = np.array([1, 0, 1, 1, 0, 0], bool)
    bars, more = facet_bars(d, "label", passing=passing, selected=selected)
    assert [(b.value, b.selected, b.shown) for b in bars] == \
        [("bag", 2, 3), ("shoe", 1, 2), ("(none)", 0, 1)]
    assert more == 0
    bars, more = facet_bars(d, "label", passing=passing, selected=selected, limit=1,
                            chosen=["shoe"])
    assert [b.value for b in bars] == ["shoe"] and bars[0].chosen and more == 2


def test_facets_filter_each_other_but_not_themselves():
    d = data()
    choices = {"label": ["bag"], "cluster": ["1"]}
    assert chosen_mask(d, choices).tolist() == [False, False, True, False, False, False]
    # the label facet counts what passes the cluster choice (and vice versa)
    assert chosen_mask(d, choices, skip="label").tolist() == [0, 0, 1, 1, 0, 0]
    panel = facet_panel(d, selected_rows=[2], choices=choices, removed=None, extra="mode")
    text = str(panel)
    assert facet_columns(d, "mode") == ["cluster", "label", "scale group", "mode"]
    assert "'1/1'" in text  # cluster 1 among the bags: row 2, selected


def test_the_row_filter_hides_rows_outside_scale_groups_and_facet_choices():
    d = data()
    assert removed_rows(d, row_filter([], {})) is None
    assert removed_rows(d, row_filter(["2 um"], {})).tolist() == [1, 1, 0, 0, 1, 1]
    both = removed_rows(d, row_filter(["1 um"], {"label": ["bag"]}))
    assert both.tolist() == [0, 0, 1, 1, 1, 1]
    assert removed_rows(d, ["2 um"]).tolist() == [1, 1, 0, 0, 1, 1]  # a plain list still works
    assert row_filter(None, {"label": []}) == {SCALE_KEY: []}


def test_a_click_toggles_a_category():
    once = toggled({}, "label", "bag")
    assert once == {"label": ["bag"]}
    assert toggled(toggled(once, "label", "shoe"), "label", "bag") == {"label": ["shoe"]}
    assert toggled(once, "label", "bag") == {}


def test_a_selection_kept_from_another_folder_counts_as_none(app_config, monkeypatch):
    """The facets follow the selection as the selection panel does: rows selected on
    another folder (a tab's session storage outliving a server restarted elsewhere) are
    not this folder's rows."""
    import explorer.facets as facets
    from explorer.config import folder_tag
    from explorer.views import analysis_job, projection_job, request_projection

    key, _ = analysis_job(lambda _p: None, app_config, backbone="pixels")
    _, request, _ = request_projection(app_config, key, method="pca", dims=2, seed=0,
                                       perplexity=30, n_neighbors=15, min_dist=0.1)
    pkey = projection_job(lambda _p: None, app_config, request)
    counted = []
    monkeypatch.setattr(facets, "facet_panel",
                        lambda data, *, selected_rows, **_: counted.append(selected_rows))
    facets.facets_view(app_config, pkey, None, [0, 1, 2], folder_tag(app_config), None,
                       None, None)
    facets.facets_view(app_config, pkey, None, [0, 1, 2], "another folder's tag", None,
                       None, None)
    assert counted == [[0, 1, 2], []]
