"""Pure figure builders of the hierarchy panel: arrays in, ``go.Figure`` out.

Every clickable mark carries a tree node id in ``customdata`` (leaves 0..K-1 are the
clusters, see :class:`compute.naming.ClusterTree`); the heatmap's cells carry the pair of
clusters ``[row, column]``. Node marks show the panel's tooltip instead of Plotly's label
(``hoverinfo="none"`` still sends hover events). User text (names) goes through
:func:`explorer.figures.plain` because Plotly interprets a few HTML tags in text and hover labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from compute.naming import ClusterTree
from explorer.figures import plain
from explorer.legibility import (
    LINE_PX,
    MAX_LABEL_CHARS,
    PLOT_HEIGHT_PX,
    PLOT_WIDTH_PX,
    clear_labels,
    short,
    spaced_ticks,
    to_pixels,
)

BASE_COLOUR = "#8c8c8c"
HIGHLIGHT_COLOUR = "#d62728"
NAMED_COLOUR = "#1f77b4"
Z_CURVE_HEIGHT_PX = 170  # the curve's graph is drawn at this height (layout uses it)
_LAYOUT = {"template": "plotly_white", "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
           "showlegend": False}


def node_label(tree: ClusterTree, node: int, names: Mapping[int, str], *,
               limit: int | None = None) -> str:
    """A short label: the name if any (cut to ``limit`` characters), else ``c3`` for
    cluster 3 or ``n7`` for node 7."""
    if node in names:
        return plain(names[node] if limit is None else short(names[node], limit))
    return f"c{node}" if tree.is_leaf(node) else f"n{node}"


def _cluster_label(cluster: int, names: Mapping[int, str], *, limit: int | None = None) -> str:
    if cluster in names:
        return plain(names[cluster] if limit is None else short(names[cluster], limit))
    return f"c{cluster}"


def _widths(population: np.ndarray, lo: float, hi: float) -> np.ndarray:
    frac = np.sqrt(population / max(float(population.max()), 1.0))
    return lo + (hi - lo) * frac


def dendrogram_layout(tree: ClusterTree) -> np.ndarray:
    """(2K-1,) x position of every node: leaves 0..K-1 in draw order, parents centred."""
    x = np.empty(tree.n_nodes)
    x[tree.leaf_order()] = np.arange(tree.n_leaves)
    for i, (a, b) in enumerate(tree.children):
        x[tree.n_leaves + i] = (x[a] + x[b]) / 2
    return x


def dendrogram_figure(tree: ClusterTree, *, names: Mapping[int, str] | None = None,
                      highlight: int | None = None, max_width: float = 14.0) -> go.Figure:
    """The peak dendrogram: leaves at peak log-density, merges at saddle log-density.

    Each node's branch (from its height down to its parent's) is as wide as its population
    (square-root scale); the subtree under ``highlight`` is drawn in red.
    """
    names = names or {}
    x, y = dendrogram_layout(tree), tree.height
    widths = _widths(tree.population, 1.0, max_width)
    lit = set(tree.leaves_under(highlight).tolist()) if highlight is not None else set()
    lit_nodes = {n for n in range(tree.n_nodes) if lit and set(
        tree.leaves_under(n).tolist()) <= lit}
    fig = go.Figure()
    for node in range(tree.n_nodes):
        parent = int(tree.parent[node])
        if parent < 0:
            continue
        colour = HIGHLIGHT_COLOUR if node in lit_nodes else BASE_COLOUR
        fig.add_trace(go.Scatter(x=[x[node], x[node], x[parent]], y=[y[node], y[parent],
                                                                      y[parent]],
                                 mode="lines", hoverinfo="skip",
                                 line={"width": float(widths[node]), "color": colour}))
    labels = [node_label(tree, n, names) for n in range(tree.n_nodes)]
    hover = [f"{labels[n]}<br>{int(tree.population[n])} images<br>"
             f"log-density {y[n]:.2f}" for n in range(tree.n_nodes)]
    colours = [HIGHLIGHT_COLOUR if n in lit_nodes else NAMED_COLOUR if n in names
               else BASE_COLOUR for n in range(tree.n_nodes)]
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="markers+text", customdata=list(range(tree.n_nodes)),
        text=dendrogram_texts(tree, names, x, y), textposition="top center",
        hovertext=hover, hoverinfo="none",
        marker={"size": 10, "color": colours, "line": {"width": 1, "color": "white"}}))
    fig.update_layout(**_LAYOUT, uirevision="dendrogram",
                      xaxis={"title": "clusters (leaves, in tree order)", "showticklabels": False,
                             "showgrid": False, "zeroline": False},
                      yaxis={"title": "log-density (peaks and saddles)"})
    return fig


def dendrogram_texts(tree: ClusterTree, names: Mapping[int, str], x: np.ndarray,
                     y: np.ndarray) -> list[str]:
    """The node labels drawn above the marks: leaves and named nodes, named ones and
    big clusters first, none overlapping another (:func:`explorer.legibility.clear_labels`;
    the others show their name on hover)."""
    labels = [node_label(tree, n, names, limit=MAX_LABEL_CHARS)
              if (n in names or tree.is_leaf(n)) else "" for n in range(tree.n_nodes)]
    xy = to_pixels(np.column_stack([x, y]))
    xy[:, 1] += LINE_PX  # drawn above the mark ("top center")
    priority = tree.population + np.array([1e12 if n in names else 0
                                           for n in range(tree.n_nodes)])
    keep = clear_labels(xy, labels, priority)
    return [s if k else "" for s, k in zip(labels, keep, strict=True)]


def mds_figure(coords: np.ndarray, *, populations: np.ndarray, adjacency: np.ndarray,
               names: Mapping[int, str] | None = None, highlight: Sequence[int] = (),
               max_size: float = 60.0, n_widths: int = 5) -> go.Figure:
    """The MDS map of the K peaks: circle area by population, an edge per saddle.

    coords: (K, 2); populations: (K,); adjacency: (K, K) saddle log-densities, NaN (or
    -inf) where two clusters share no border (the diagonal is ignored). Edge widths grow
    with the saddle height normalised to [0, 1] over the edges (log-densities can be
    negative), in ``n_widths`` steps.
    """
    names = names or {}
    coords = np.asarray(coords, dtype=np.float64)
    K = len(coords)
    if coords.shape != (K, 2) or np.shape(adjacency) != (K, K) or len(populations) != K:
        raise ValueError(f"need (K, 2) coordinates, (K, K) adjacency and K populations; got "
                         f"{coords.shape}, {np.shape(adjacency)}, {len(populations)}")
    fig = go.Figure()
    i, j = np.triu_indices(K, 1)
    heights = np.asarray(adjacency, dtype=np.float64)[i, j]
    has = np.isfinite(heights)
    i, j, heights = i[has], j[has], heights[has]
    if len(heights):
        span = np.ptp(heights)
        level = np.zeros(len(heights), dtype=int) if span == 0 else np.minimum(
            ((heights - heights.min()) / span * n_widths).astype(int), n_widths - 1)
        for step in range(n_widths):
            edges = np.flatnonzero(level == step)
            if not len(edges):
                continue
            xs = np.column_stack([coords[i[edges], 0], coords[j[edges], 0],
                                  np.full(len(edges), np.nan)]).ravel()
            ys = np.column_stack([coords[i[edges], 1], coords[j[edges], 1],
                                  np.full(len(edges), np.nan)]).ravel()
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip",
                                     line={"width": 0.5 + 1.5 * step, "color": "#b0b0b0"}))
    populations = np.asarray(populations, dtype=np.float64)
    lit = set(int(c) for c in highlight)
    labels = [plain(names[c]) if c in names else f"c{c}" for c in range(K)]
    fig.add_trace(go.Scatter(
        x=coords[:, 0], y=coords[:, 1], mode="markers+text",
        text=mds_texts(coords, [_cluster_label(c, names, limit=MAX_LABEL_CHARS)
                                for c in range(K)], populations, named=set(names)),
        customdata=list(range(K)), textposition="middle center",
        hovertext=[f"{labels[c]}<br>{int(populations[c])} images" for c in range(K)],
        hoverinfo="none",
        marker={"size": populations, "sizemode": "area",
                "sizeref": 2.0 * max(populations.max(), 1.0) / max_size ** 2, "sizemin": 4,
                "color": [HIGHLIGHT_COLOUR if c in lit else NAMED_COLOUR if c in names
                          else BASE_COLOUR for c in range(K)], "opacity": 0.8}))
    bare = {"showticklabels": False, "showgrid": False, "zeroline": False}
    fig.update_layout(**_LAYOUT, uirevision="mds",
                      xaxis={**bare, "title": "MDS 1 (near: high saddle between)"},
                      yaxis={**bare, "title": "MDS 2", "scaleanchor": "x"})
    return fig


def mds_texts(coords: np.ndarray, labels: Sequence[str], populations: np.ndarray, *,
              named: set[int]) -> list[str]:
    """The peak labels drawn on the MDS map: named and populous peaks first, none
    overlapping another (the others show their name on hover)."""
    texts = list(labels)
    priority = np.asarray(populations, dtype=np.float64) + np.array(
        [1e12 if c in named else 0 for c in range(len(labels))])
    keep = clear_labels(to_pixels(coords, equal_scale=True), texts, priority)
    return [s if k else "" for s, k in zip(texts, keep, strict=True)]


def heatmap_figure(adjacency: np.ndarray, *, order: Sequence[int],
                   names: Mapping[int, str] | None = None,
                   highlight: Sequence[int] = ()) -> go.Figure:
    """The saddle adjacency heatmap: saddle log-densities, peaks on the diagonal.

    adjacency: (K, K) with NaN where there is no border; rows and columns are drawn in
    ``order`` (the dendrogram's leaf order); highlighted clusters get a box.
    """
    names = names or {}
    order = [int(c) for c in order]
    adj = np.asarray(adjacency, dtype=np.float64)[np.ix_(order, order)]
    adj = np.where(np.isfinite(adj), adj, np.nan)
    labels = [_cluster_label(c, names) for c in order]
    short_labels = [_cluster_label(c, names, limit=MAX_LABEL_CHARS) for c in order]
    axis = list(range(len(order)))
    customdata = [[[a, b] for b in order] for a in order]
    hover = [[f"{labels[r]} / {labels[c]}: " + ("peak" if r == c else "saddle")
              + (f" {adj[r, c]:.2f}" if np.isfinite(adj[r, c]) else ": no common border")
              for c in axis] for r in axis]
    fig = go.Figure(go.Heatmap(z=adj, x=axis, y=axis, customdata=customdata, text=hover,
                               colorscale="Viridis",
                               colorbar={"title": "log-density"},
                               hovertemplate="%{text}<extra></extra>"))
    for pos, cluster in enumerate(order):
        if cluster in set(int(c) for c in highlight):
            fig.add_shape(type="rect", x0=-0.5, x1=len(order) - 0.5, y0=pos - 0.5,
                          y1=pos + 0.5, line={"color": HIGHLIGHT_COLOUR, "width": 2})
    fig.update_layout(**_LAYOUT, uirevision="heatmap",
                      xaxis={**heatmap_ticks(short_labels, PLOT_WIDTH_PX), "tickangle": -90,
                             "title": "cluster (tree order)"},
                      yaxis={**heatmap_ticks(short_labels, PLOT_HEIGHT_PX),
                             "autorange": "reversed", "title": "cluster (tree order)"})
    return fig


def heatmap_ticks(labels: Sequence[str], length_px: float) -> dict:
    """Tick labels along one heatmap axis: every k-th, spaced a line apart (k from the
    axis' length in pixels; each cell's hover has both names)."""
    shown = spaced_ticks(len(labels), length_px=length_px)
    return {"tickmode": "array", "tickvals": shown, "ticktext": [labels[i] for i in shown]}


SUGGESTED_COLOUR = "#d62728"


def clusters_vs_z_figure(z_values: Sequence[float], n_clusters: Sequence[int], *,
                         current_z: float, suggested_z: float | None = None,
                         plateau: tuple[float, float] | None = None) -> go.Figure:
    """Number of clusters against Z, with the current Z and the suggested cut marked, and
    the plateau of the suggested cut's count shaded (how well that count is supported)."""
    fig = go.Figure(go.Scatter(x=list(z_values), y=list(n_clusters), mode="lines+markers",
                               line={"shape": "hv"}, hovertemplate="Z %{x}: %{y} clusters"
                                                                   "<extra></extra>"))
    if plateau is not None:
        fig.add_vrect(x0=plateau[0], x1=plateau[1], fillcolor=SUGGESTED_COLOUR, opacity=0.1,
                      line_width=0, layer="below")
    if suggested_z is not None:
        fig.add_vline(x=suggested_z, line={"color": SUGGESTED_COLOUR, "width": 2},
                      annotation_text="suggested", annotation_position="top right",
                      annotation_font_color=SUGGESTED_COLOUR)
    fig.add_vline(x=current_z, line={"color": HIGHLIGHT_COLOUR, "dash": "dot"})
    fig.update_layout(**{**_LAYOUT, "margin": {"l": 50, "r": 10, "t": 10, "b": 42}},
                      xaxis={"title": {"text": "Z (merge significance)", "standoff": 4}},
                      yaxis={"title": "clusters"}, height=Z_CURVE_HEIGHT_PX)
    return fig


def confusion_figure(counts: np.ndarray, *, clusters: Sequence[int],
                     classes: Sequence[str], names: Mapping[int, str] | None = None
                     ) -> go.Figure:
    """Clusters (rows) x known labels (columns), counts as colour and text."""
    names = names or {}
    rows = [_cluster_label(int(c), names) for c in clusters]
    counts = np.asarray(counts)
    fig = go.Figure(go.Heatmap(z=counts, x=[plain(str(c)) for c in classes], y=rows,
                               text=counts.astype(str), texttemplate="%{text}",
                               colorscale="Blues", showscale=False,
                               hovertemplate="%{y} / %{x}: %{z}<extra></extra>"))
    shown = spaced_ticks(len(rows), length_px=PLOT_HEIGHT_PX)
    fig.update_layout(**_LAYOUT, xaxis={"type": "category", "title": "known label"},
                      yaxis={"autorange": "reversed", "type": "category", "title": "cluster",
                             "tickmode": "array", "tickvals": [rows[i] for i in shown],
                             "ticktext": [_cluster_label(int(clusters[i]), names,
                                                         limit=MAX_LABEL_CHARS)
                                          for i in shown]})
    return fig


def two_nn_figure(log_mu: np.ndarray, y: np.ndarray, *, dimension: float) -> go.Figure:
    """The 2-NN fit: -ln(1 - F) against ln mu, and the line of slope d through 0."""
    fig = go.Figure(go.Scattergl(x=log_mu, y=y, mode="markers", marker={"size": 3},
                                 hoverinfo="skip"))
    top = float(np.max(log_mu)) if len(log_mu) else 1.0
    fig.add_trace(go.Scatter(x=[0, top], y=[0, dimension * top], mode="lines",
                             line={"color": HIGHLIGHT_COLOUR}, hoverinfo="skip"))
    fig.update_layout(**_LAYOUT, title=f"2-NN: d = {dimension:.2f}",
                      xaxis={"title": "ln mu"}, yaxis={"title": "-ln(1 - F(mu))"})
    return fig


def id_scale_figure(scale: np.ndarray, dimension_mean: np.ndarray,
                    dimension_std: np.ndarray) -> go.Figure:
    """Intrinsic dimension against scale (decimation): a plateau is the estimate."""
    fig = go.Figure(go.Scatter(x=scale, y=dimension_mean, mode="lines+markers",
                               error_y={"type": "data", "array": dimension_std}))
    fig.update_layout(**_LAYOUT, title="ID against scale",
                      xaxis={"title": "scale (mean neighbour distance)", "type": "log"},
                      yaxis={"title": "2-NN dimension"})
    return fig


def pca_figure(explained_variance_ratio: np.ndarray, cumulative: np.ndarray) -> go.Figure:
    """PCA spectrum: variance explained per component and cumulated."""
    n = np.arange(1, len(explained_variance_ratio) + 1)
    fig = go.Figure(go.Bar(x=n, y=explained_variance_ratio, name="per component"))
    fig.add_trace(go.Scatter(x=n, y=cumulative, mode="lines", name="cumulative"))
    fig.update_layout(**_LAYOUT, title="PCA spectrum", xaxis={"title": "component"},
                      yaxis={"title": "variance explained"})
    return fig


def decision_graph_figure(log_density: np.ndarray, delta: np.ndarray,
                          centers: np.ndarray) -> go.Figure:
    """Classic density peaks' decision graph: log-density against the distance to the
    nearest denser image; ADP's cluster peaks (``centers``: rows) are marked. Peaks stand
    out at the top right: dense and far from anything denser."""
    fig = go.Figure(go.Scattergl(x=log_density, y=delta, mode="markers", name="images",
                                 marker={"size": 3, "color": "#9a9a9a"}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=log_density[centers], y=delta[centers], mode="markers+text",
                             name="cluster peaks", text=[str(i) for i in range(len(centers))],
                             textposition="top center",
                             marker={"size": 8, "color": HIGHLIGHT_COLOUR}))
    fig.update_layout(**_LAYOUT, title="Decision graph",
                      xaxis={"title": "log-density"},
                      yaxis={"title": "distance to nearest denser", "type": "log"})
    return fig
