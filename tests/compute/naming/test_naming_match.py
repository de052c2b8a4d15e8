import numpy as np
import pytest

from compute.naming import NameStore
from tests.hierarchy_data import PEAKS, RUN, SADDLES, make_clustering, toy_clustering


@pytest.fixture
def store(tmp_path):
    return NameStore(tmp_path / "names.sqlite")


def name_nodes(store, clustering, names: dict[int, str]):
    for node, name in names.items():
        kind = "cluster" if clustering.tree.is_leaf(node) else "node"
        store.create(kind=kind, name=name, anchor=clustering.anchor(node), user="ana", run=RUN)


def test_names_follow_renumbered_clusters_and_moved_points(store):
    before = toy_clustering()
    root_child = int(before.tree.parent[0])
    name_nodes(store, before, {0: "vertical", 3: "dots", root_child: "nanowires"})
    # the same images re-clustered: clusters renumbered 0->1, 1->0 and a few points moved
    labels = before.labels.copy()
    labels = np.where(labels == 0, 1, np.where(labels == 1, 0, labels))
    moved = np.flatnonzero(before.labels == 0)[:3]
    labels[moved] = 2
    after = make_clustering(labels, peaks=PEAKS[[1, 0, 2, 3]], saddles=SADDLES[[1, 0, 2, 3]]
                            [:, [1, 0, 2, 3]], peak_rows=before.peak_rows[[1, 0, 2, 3]])
    match = after.match(store.live())
    names = match.names()
    assert names[1] == "vertical" and names[3] == "dots"
    assert names[int(after.tree.parent[0])] == "nanowires"
    assert match.lost == () and match.score[1] == pytest.approx(27 / 30)


def test_merged_clusters_keep_the_node_name_and_report_the_lost_ones(store):
    before = toy_clustering()
    node01 = int(before.tree.parent[0])
    name_nodes(store, before, {0: "vertical", 1: "tilted", node01: "nanowires"})
    # a larger Z merges clusters 0 and 1 into one (the peak of 0 survives)
    labels = np.where(before.labels == 1, 0, before.labels)
    labels = np.where(labels > 1, labels - 1, labels)
    peaks = PEAKS[[0, 2, 3]]
    saddles = SADDLES[[0, 2, 3]][:, [0, 2, 3]]
    saddles[0, 1] = saddles[1, 0] = 2.0
    after = make_clustering(labels, peaks=peaks, saddles=saddles,
                            peak_rows=before.peak_rows[[0, 2, 3]])
    match = after.match(store.live())
    assert match.names() == {0: "nanowires"}
    assert sorted(r.name for r in match.lost) == ["tilted", "vertical"]


def test_a_cluster_name_follows_its_peak_when_the_cluster_grew(store):
    before = toy_clustering(populations=(10, 40, 25, 10))
    name_nodes(store, before, {0: "core"})
    labels = np.where(before.labels == 1, 0, before.labels)  # 0 absorbs 1: Jaccard 0.2
    labels[np.flatnonzero(before.labels == 1)[:1]] = 1        # keep a one-point cluster 1
    after = make_clustering(labels, peak_rows=before.peak_rows)
    match = after.match(store.live())
    assert match.names() == {0: "core"} and match.score[1] == pytest.approx(10 / 49)


def test_names_of_other_images_are_lost_not_dropped(store):
    name_nodes(store, toy_clustering(), {2: "rods"})
    other = make_clustering(toy_clustering().labels, id_prefix="new")
    match = other.match(store.live())
    assert match.by_node == {} and [r.name for r in match.lost] == ["rods"]


def test_one_name_per_node_best_overlap_wins(store):
    c = toy_clustering()
    node23 = int(c.tree.parent[2])
    name_nodes(store, c, {2: "rods"})
    # a second name anchored to most of cluster 2 (e.g. imported) takes the next best node
    anchor = c.anchor(2)
    part = type(anchor)(members=frozenset(sorted(anchor.members)[:20]), peak_id=None)
    store.create(kind="cluster", name="sticks", user="bo", run=RUN, anchor=part)
    match = c.match(store.live())
    assert match.names() == {2: "rods", node23: "sticks"}
    assert match.score[2] == pytest.approx(20 / 35)
    # ... unless that node has a better name: then it is lost, and reported
    name_nodes(store, c, {node23: "elongated"})
    match = c.match(store.live())
    assert match.names() == {2: "rods", node23: "elongated"}
    assert [r.name for r in match.lost] == ["sticks"]


def test_named_path_skips_unnamed_nodes():
    c = toy_clustering()
    names = {c.tree.root: "all", 3: "dots"}
    assert c.named_path(3, names) == ["all", "dots"]
    assert c.named_path(0, names) == ["all"]
