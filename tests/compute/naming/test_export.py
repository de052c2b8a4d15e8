import json

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compute.naming import Anchor, NameStore
from compute.naming.export import (
    export_paths,
    images_frame,
    import_names,
    names_from_export,
    neutralise,
    read_images_csv,
    read_tree_csv,
    unneutralise,
    write_export,
)
from tests.hierarchy_data import RUN, toy_clustering


@pytest.fixture
def named(tmp_path):
    """A toy clustering with names on the root, the {0,1} node and clusters 0 and 3."""
    store = NameStore(tmp_path / "names.sqlite")
    c = toy_clustering()
    node01 = int(c.tree.parent[0])
    for node, name in {c.tree.root: "all", node01: "=nanowires", 0: "vertical, arrays",
                       3: "dots"}.items():
        store.create(kind="cluster" if c.tree.is_leaf(node) else "node", name=name,
                     note=f"note on {node}\nsecond line", anchor=c.anchor(node), user="ana",
                     run=RUN)
    store.create(kind="cluster", name="orphan", anchor=Anchor(frozenset({"gone"})),
                 user="bo", run=RUN)
    return store, c


def test_export_read_back_equals_the_table_the_app_shows(named, tmp_path):
    store, c = named
    match = c.match(store.live())
    files = write_export(tmp_path / "out" / "labels.csv", c, match)
    back = read_images_csv(files.images)
    pd.testing.assert_frame_equal(back, images_frame(c, match.names()))
    row = back.iloc[int(c.peak_rows[0])]
    assert (row.cluster_name, row.level_1, row.level_2, row.level_3) == \
        ("vertical, arrays", "all", "=nanowires", "vertical, arrays")
    assert row.hierarchy_path == "all > =nanowires > vertical, arrays"
    row1 = back.iloc[int(c.peak_rows[1])]
    assert (row1.cluster_name, row1.hierarchy_path, row1.level_3) == ("", "all > =nanowires", "")
    assert back["is_halo"].tolist() == c.is_halo.tolist()


def test_export_tree_and_sidecar(named, tmp_path):
    store, c = named
    files = write_export(tmp_path / "labels.csv", c, c.match(store.live()))
    tree = read_tree_csv(files.tree)
    assert len(tree) == c.tree.n_nodes
    assert tree["parent"].tolist() == c.tree.parent.tolist()
    assert tree["height"].tolist() == pytest.approx(c.tree.height.tolist())
    assert tree.loc[c.tree.root, "name"] == "all" and tree.loc[0, "note"].endswith("line")
    side = json.loads(files.sidecar.read_text())
    assert side["run"]["z"] == RUN.z and side["n_clusters"] == 4
    assert [n["name"] for n in side["lost_names"]] == ["orphan"]


def test_formula_cells_are_neutralised_in_the_file(named, tmp_path):
    store, c = named
    files = write_export(tmp_path / "labels.csv", c, c.match(store.live()))
    raw = pd.read_csv(files.images, dtype=str, keep_default_na=False)
    text = raw[["id", "path", "known_label", "cluster_name", "hierarchy_path", "level_2"]]
    assert not text.map(lambda v: v.startswith(("=", "+", "-", "@"))).any().any()
    assert "'=nanowires" in set(raw["level_2"])
    assert "'=cmd|' /C calc'!A0" in set(raw["known_label"])
    raw_tree = pd.read_csv(files.tree, dtype=str, keep_default_na=False)
    assert "'=nanowires" in set(raw_tree["name"])


@given(st.text(max_size=20))
def test_neutralise_round_trips_and_never_starts_a_formula(text):
    safe = neutralise(text)
    assert unneutralise(safe) == text
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_names_import_back_into_an_empty_store(named, tmp_path):
    store, c = named
    files = write_export(tmp_path / "labels.csv", c, c.match(store.live()))
    fresh = NameStore(tmp_path / "fresh.sqlite")
    summary = import_names(fresh, names_from_export(files.images), user="cy", run=RUN)
    assert (summary.created, summary.updated, summary.unchanged) == (4, 0, 0)
    assert c.match(fresh.live()).names() == c.match(store.live()).names()
    assert {h.action for h in fresh.history()} == {"import"}
    again = import_names(fresh, names_from_export(files.images), user="cy", run=RUN)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_import_updates_a_renamed_node_with_history(named, tmp_path):
    store, c = named
    files = write_export(tmp_path / "labels.csv", c, c.match(store.live()))
    tree = pd.read_csv(files.tree, dtype=str, keep_default_na=False)
    tree.loc[tree["name"] == "dots", "name"] = "round dots"
    tree.to_csv(files.tree, index=False)
    summary = import_names(store, names_from_export(files.images), user="cy", run=RUN)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 3)
    assert c.match(store.live()).names()[3] == "round dots"
    assert [h.name for h in store.history() if h.user == "cy"] == ["round dots"]


def test_export_needs_a_csv_name_and_import_needs_both_files(tmp_path):
    with pytest.raises(ValueError, match="end in .csv"):
        export_paths(tmp_path / "labels.xlsx")
    (tmp_path / "labels.csv").write_text("id\n")
    with pytest.raises(FileNotFoundError, match="labels.tree.csv"):
        names_from_export(tmp_path / "labels.csv")
