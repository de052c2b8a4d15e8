import numpy as np
import pytest

from compute.naming import tree_from_linkage
from tests.hierarchy_data import PEAKS, toy_clustering


def test_tree_heights_populations_and_peaks_follow_the_saddles():
    c = toy_clustering()
    tree = c.tree
    assert tree.n_leaves == 4 and tree.n_nodes == 7 and tree.root == 6
    # merges: {0,1} at 3.5, {2,3} at 2.5, root at 2.0 (the 1-2 saddle, not 0-2 at 1.0)
    assert sorted(map(sorted, tree.children.tolist())) == [[0, 1], [2, 3], [4, 5]]
    np.testing.assert_allclose(tree.height[:4], PEAKS)
    np.testing.assert_allclose(sorted(tree.height[4:]), [2.0, 2.5, 3.5])
    assert tree.population[tree.root] == 85
    node01 = int(tree.parent[0])
    assert tree.population[node01] == 50 and tree.peak[node01] == 0
    assert tree.peak[int(tree.parent[3])] == 2 and tree.peak[tree.root] == 0
    assert tree.path_from_root(3) == [6, int(tree.parent[3]), 3]
    assert tree.leaf_order() == [0, 1, 2, 3]
    assert tree.leaves_under(int(tree.parent[2])).tolist() == [2, 3]


def test_single_cluster_tree_is_one_leaf():
    tree = tree_from_linkage(np.zeros((0, 4)), leaf_heights=[1.0], merge_heights=[],
                             populations=[9])
    assert tree.n_nodes == 1 and tree.root == 0 and tree.leaf_order() == [0]
    assert tree.path_from_root(0) == [0]


def test_inconsistent_inputs_are_refused():
    with pytest.raises(ValueError, match="K-1 linkage rows"):
        tree_from_linkage(np.zeros((2, 4)), leaf_heights=[1.0, 2.0], merge_heights=[1.0],
                          populations=[1, 2])
    with pytest.raises(ValueError, match="existing nodes"):
        tree_from_linkage(np.array([[0, 5, 1.0, 2]]), leaf_heights=[1.0, 2.0],
                          merge_heights=[1.0], populations=[1, 2])
