import numpy as np

from compute.naming.card import borders, composition, densest, node_rows, sample
from tests.hierarchy_data import SADDLES, toy_clustering


def test_node_rows_densest_and_sample():
    c = toy_clustering()
    node01 = int(c.tree.parent[0])
    rows = node_rows(c.tree, c.labels, node01)
    assert len(rows) == 50 and set(c.labels[rows]) == {0, 1}
    rho = np.arange(len(c.labels), dtype=float)
    top = densest(rows, rho, 3)
    assert top.tolist() == sorted(rows)[-3:][::-1]
    picked = sample(rows, 10, random_state=1)
    assert len(set(picked)) == 10 and set(picked) <= set(rows)
    assert sample(rows, 10, random_state=1).tolist() == picked.tolist()
    assert sample(rows[:4], 10).tolist() == rows[:4].tolist()


def test_borders_are_the_saddles_to_the_outside_highest_first():
    c = toy_clustering()
    n = len(c.labels)
    point = np.full((4, 4), -1)
    point[0, 1] = point[1, 0] = 5
    point[1, 2] = point[2, 1] = 6
    point[0, 2] = point[2, 0] = 7
    point[2, 3] = point[3, 2] = 8
    knn = np.column_stack([np.arange(n), (np.arange(n) + 1) % n, (np.arange(n) + 2) % n])
    kwargs = {"saddle_log_density": SADDLES, "saddle_point": point, "knn_indices": knn, "n": 2}
    found = borders(c.tree, 2, **kwargs)
    assert [(b.inside, b.outside, b.saddle_log_density) for b in found] == [
        (2, 3, 2.5), (2, 1, 2.0), (2, 0, 1.0)]
    assert found[0].rows.tolist() == [8, 9]
    node01 = int(c.tree.parent[0])
    # from {0, 1} the best crossing to cluster 2 is the 1-2 saddle (2.0), not 0-2 (1.0)
    assert [(b.inside, b.outside) for b in borders(c.tree, node01, **kwargs)] == [(1, 2)]
    # the root: the saddle that joins its two subtrees
    assert [(b.inside, b.outside) for b in borders(c.tree, c.tree.root, **kwargs)] in (
        [(1, 2)], [(2, 1)])


def test_composition_counts_known_labels_only():
    labels = ["a", None, "b", "a", "a"]
    assert composition(labels, np.arange(5)) == [("a", 3), ("b", 1)]
    assert composition(labels, np.array([1])) == []
