import numpy as np
import pytest

from explorer.hierarchy.figures import (
    HIGHLIGHT_COLOUR,
    clusters_vs_z_figure,
    confusion_figure,
    dendrogram_figure,
    dendrogram_layout,
    heatmap_figure,
    id_scale_figure,
    mds_figure,
    pca_figure,
    two_nn_figure,
)
from tests.hierarchy_data import PEAKS, SADDLES, toy_clustering

ADJ = np.where(np.isfinite(SADDLES), SADDLES, np.nan)
np.fill_diagonal(ADJ, PEAKS)


def test_dendrogram_nodes_sit_at_peak_and_saddle_heights():
    tree = toy_clustering().tree
    fig = dendrogram_figure(tree)
    nodes = fig.data[-1]
    assert list(nodes.customdata) == list(range(7))
    np.testing.assert_allclose(nodes.y, tree.height)
    branches = fig.data[:-1]
    assert len(branches) == 6  # every node but the root
    # a branch runs from the node's height down to its parent's, widths by population
    by_width = sorted((b.line.width, b.y[0], b.y[1]) for b in branches)
    assert all(top > bottom for _, top, bottom in by_width)
    assert by_width[-1][1] == pytest.approx(3.5)  # the widest: the 50-image node {0, 1}
    assert by_width[0][1] == pytest.approx(PEAKS[3])  # the narrowest: 10-image cluster 3


def test_dendrogram_x_positions_put_parents_between_children():
    tree = toy_clustering().tree
    x = dendrogram_layout(tree)
    assert sorted(x[:4]) == [0, 1, 2, 3]
    for i, (a, b) in enumerate(tree.children):
        assert min(x[a], x[b]) < x[4 + i] < max(x[a], x[b])


def test_dendrogram_highlight_colours_the_subtree_and_names_are_plain_text():
    tree = toy_clustering().tree
    node23 = int(tree.parent[2])
    fig = dendrogram_figure(tree, names={3: "<b>dots</b>"}, highlight=node23)
    colours = list(fig.data[-1].marker.color)
    lit = [n for n, c in enumerate(colours) if c == HIGHLIGHT_COLOUR]
    assert lit == [2, 3, node23]
    assert "&lt;b&gt;dots&lt;/b&gt;" in fig.data[-1].text[3]
    assert "<b>" not in "".join(fig.data[-1].text)


def test_mds_circles_by_population_and_one_edge_per_saddle():
    c = toy_clustering()
    coords = np.array([[0, 0], [1, 0], [1, 1], [2, 1]], dtype=float)
    fig = mds_figure(coords, populations=c.tree.population[:4], adjacency=ADJ,
                     names={0: "a&b"}, highlight=[2, 3])
    nodes = fig.data[-1]
    assert list(nodes.marker.size) == c.tree.population[:4].tolist()
    assert nodes.text[0] == "a&amp;b" and list(nodes.customdata) == [0, 1, 2, 3]
    assert [col == HIGHLIGHT_COLOUR for col in nodes.marker.color] == [False, False, True, True]
    edges = fig.data[:-1]
    n_edges = sum(np.isnan(np.asarray(t.x, dtype=float)).sum() for t in edges)
    assert n_edges == 4
    widest = max(edges, key=lambda t: t.line.width)
    assert list(widest.x[:2]) == [0, 1]  # the highest saddle (3.5) joins clusters 0 and 1


def test_mds_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="K, 2"):
        mds_figure(np.zeros((3, 2)), populations=[1, 2, 3], adjacency=ADJ)


def test_heatmap_in_leaf_order_with_peaks_on_the_diagonal():
    fig = heatmap_figure(ADJ, order=[2, 3, 0, 1], highlight=[0])
    z = np.asarray(fig.data[0].z, dtype=float)
    np.testing.assert_allclose(np.diag(z), PEAKS[[2, 3, 0, 1]])
    assert z[0, 1] == 2.5 and np.isnan(z[1, 2])  # 2-3 saddle; 3 and 0 share no border
    assert fig.data[0].customdata[0][1] == [2, 3]
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].y0 == 1.5


def test_small_figures_carry_their_data():
    fig = clusters_vs_z_figure([1.0, 2.0, 3.0], [9, 4, 2], current_z=2.0)
    assert list(fig.data[0].y) == [9, 4, 2] and fig.layout.shapes[0].x0 == 2.0
    fig = clusters_vs_z_figure([1.0, 2.0, 3.0], [9, 4, 4], current_z=2.0, suggested_z=2.5,
                               plateau=(2.0, 3.0))
    assert (fig.layout.shapes[0].x0, fig.layout.shapes[0].x1) == (2.0, 3.0)  # shaded
    fig = confusion_figure(np.array([[3, 0], [1, 5]]), clusters=[0, 1], classes=["a", "<b"],
                           names={1: "ones"})
    assert list(fig.data[0].y) == ["c0", "ones"] and list(fig.data[0].x) == ["a", "&lt;b"]
    fig = two_nn_figure(np.array([0.1, 0.5]), np.array([0.2, 1.0]), dimension=2.0)
    assert list(fig.data[1].y) == [0, 1.0]
    assert len(id_scale_figure(np.ones(3), np.ones(3), np.zeros(3)).data[0].x) == 3
    assert len(pca_figure(np.array([0.6, 0.4]), np.array([0.6, 1.0])).data) == 2


def test_a_single_cluster_draws_without_edges():
    from compute.naming import tree_from_linkage

    tree = tree_from_linkage(np.zeros((0, 4)), leaf_heights=[1.0], merge_heights=[],
                             populations=[5])
    assert len(dendrogram_figure(tree, highlight=0).data) == 1
    assert len(mds_figure(np.zeros((1, 2)), populations=[5], adjacency=np.ones((1, 1))).data) == 1
    assert np.asarray(heatmap_figure(np.ones((1, 1)), order=[0]).data[0].z).shape == (1, 1)
