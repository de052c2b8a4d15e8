"""A legible page at 50 clusters: labels spaced by computation, never overlapping; axis
titles on every hierarchy figure; "Colour by" in groups with file internals folded."""

import numpy as np
import pytest
from scipy.cluster.hierarchy import linkage

from compute.naming import tree_from_linkage
from explorer.hierarchy.figures import (
    clusters_vs_z_figure,
    confusion_figure,
    dendrogram_figure,
    dendrogram_layout,
    heatmap_figure,
    mds_figure,
)
from explorer.legibility import (
    LINE_PX,
    MAX_LABEL_CHARS,
    PLOT_HEIGHT_PX,
    PLOT_WIDTH_PX,
    clear_labels,
    colour_menu,
    overlaps,
    short,
    spaced_ticks,
    to_pixels,
)

K = 50


@pytest.fixture(scope="module")
def fifty():
    """(tree, MDS coordinates, saddle adjacency, names) of 50 synthetic clusters."""
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(K, 2))
    peaks = rng.uniform(3.0, 6.0, K)
    tree = tree_from_linkage(linkage(coords, "single"), leaf_heights=peaks,
                             merge_heights=np.linspace(2.9, 1.0, K - 1),
                             populations=rng.integers(5, 500, K))
    adj = np.full((K, K), np.nan)
    for a, b in rng.integers(0, K, (120, 2)):
        if a != b:
            adj[a, b] = adj[b, a] = rng.uniform(1, 3)
    np.fill_diagonal(adj, peaks)
    names = {c: f"long descriptive cluster name {c}" for c in range(0, K, 3)}
    return tree, coords, adj, names


def test_spaced_ticks_keep_a_line_between_labels():
    shown = spaced_ticks(K, length_px=300, min_gap_px=14)  # 6 px a tick: every 3rd
    assert shown[:3] == [0, 3, 6] and len(shown) == 17
    assert spaced_ticks(10, length_px=300) == list(range(10))  # room for all
    assert spaced_ticks(0) == []


def test_clear_labels_keeps_the_important_one_of_two_that_collide():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [200.0, 0.0]])
    keep = clear_labels(xy, ["aaaa", "bbbb", "cccc"], [1, 5, 1])
    assert keep.tolist() == [False, True, True]
    assert clear_labels(xy, ["aaaa", "bbbb", ""], [1, 1, 9]).tolist() == [True, False, False]


def test_dendrogram_labels_of_fifty_clusters_never_overlap(fifty):
    tree, _, _, names = fifty
    fig = dendrogram_figure(tree, names=names)
    texts = list(fig.data[-1].text)
    x = dendrogram_layout(tree)
    xy = to_pixels(np.column_stack([x, tree.height]))
    assert overlaps(xy, texts) == 0
    assert overlaps(xy, [f"c{n}" for n in range(tree.n_nodes)]) > 0  # all would collide
    shown = [t for t in texts if t]
    assert 5 <= len(shown) < K and all(len(t) <= MAX_LABEL_CHARS for t in shown)
    hover = list(fig.data[-1].hovertext)
    assert hover[0].startswith("long descriptive cluster name 0<br>")  # whole name on hover
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_mds_labels_of_fifty_clusters_never_overlap(fifty):
    tree, coords, adj, names = fifty
    fig = mds_figure(coords, populations=tree.population[:K], adjacency=adj, names=names)
    texts = list(fig.data[-1].text)
    assert overlaps(to_pixels(coords, equal_scale=True), texts) == 0
    assert 5 <= sum(bool(t) for t in texts) < K
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_heatmap_ticks_of_fifty_clusters_are_a_line_apart(fifty):
    tree, _, adj, names = fifty
    order = tree.leaf_order()
    fig = heatmap_figure(adj, order=order, names=names)
    for axis, length in ((fig.layout.xaxis, PLOT_WIDTH_PX), (fig.layout.yaxis, PLOT_HEIGHT_PX)):
        ticks = list(axis.tickvals)
        assert min(np.diff(ticks)) * length / K >= LINE_PX
        assert len(ticks) == len(axis.ticktext) and axis.title.text
    assert fig.layout.xaxis.tickangle == -90
    first = fig.data[0].text[0][1]
    assert first.startswith(f"{'c' if order[0] not in names else 'long'}")
    assert "no common border" in "".join(t for row in fig.data[0].text for t in row)


def test_z_curve_and_confusion_have_axis_titles_with_room_for_them(fifty):
    curve = clusters_vs_z_figure([1, 2, 3], [9, 5, 2], current_z=1.65)
    assert curve.layout.xaxis.title.text.startswith("Z")
    assert curve.layout.margin.b >= 40 and curve.layout.height >= 160
    confusion = confusion_figure(np.ones((K, 3), int), clusters=list(range(K)),
                                 classes=["a", "b", "c"], names=fifty[3])
    assert confusion.layout.xaxis.title.text == "known label"
    assert len(confusion.layout.yaxis.tickvals) < K


def test_short_cuts_long_names_with_an_ellipsis():
    assert short("a" * 30) == "a" * (MAX_LABEL_CHARS - 1) + "…"
    assert short("dots") == "dots"


def test_colour_menu_groups_columns_and_folds_the_technical_ones():
    columns = ["label", "super-class", "size_bytes", "width", "mode", "folder", "scale group",
               "log-density", "bit_depth", "pages", "crop_box", "cluster", "halo"]
    menu = colour_menu(columns)
    headings = [o["label"] for o in menu if o.get("disabled")]
    assert headings == ["— analysis —", "— known labels —", "— image metadata —",
                        "— image metadata (technical) —"]
    values = [o["value"] for o in menu if not o.get("disabled")]
    assert values[:3] == ["cluster", "halo", "log-density"]
    assert values[3:5] == ["label", "super-class"]
    assert values[5:8] == ["width", "folder", "scale group"]
    assert values[-5:] == ["size_bytes", "mode", "bit_depth", "pages", "crop_box"]


def test_the_scatter_axes_are_titled_by_the_projection():
    from explorer.colouring import colouring
    from explorer.figures import scatter_figure

    colour = colouring("label", ["a", "b", "a"])
    fig = scatter_figure(np.zeros((3, 2)), colour, axis_name="UMAP")
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("UMAP 1", "UMAP 2")
    fig3 = scatter_figure(np.zeros((3, 3)), colour, axis_name="PCA")
    assert fig3.layout.scene.zaxis.title.text == "PCA 3"


def test_the_page_opens_on_the_cluster_space_else_umap_once_computed_else_pca(monkeypatch):
    import json

    from compute.projection import ProjectionParams
    from explorer import views

    ready: set[str] = set()
    monkeypatch.setattr(views, "projection_ready",
                        lambda _config, pkey: json.loads(pkey)["projection"]["method"] in ready)
    params = ProjectionParams(method="pca")
    assert views.readable_projection(None, "k", params).method == "pca"
    ready.add("tsne")
    assert views.readable_projection(None, "k", params).method == "tsne"
    ready.add("umap")
    assert views.readable_projection(None, "k", params).method == "umap"
    ready.add("manifold")  # the analysis found its peaks on a 2-D UMAP manifold
    assert views.readable_projection(None, "k", params).method == "manifold"
