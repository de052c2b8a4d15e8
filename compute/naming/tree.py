"""The cluster tree: the peak dendrogram as nodes with parents, heights and populations.

Node ids follow SciPy's linkage convention: leaves ``0..K-1`` are the clusters (ADP labels),
internal node ``K + i`` is the merge in row ``i`` of the linkage matrix; the root is the
last node. Heights are log-densities: a leaf sits at its peak's log-density, an internal
node at the saddle log-density where its two subtrees join (so the root is the lowest).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class ClusterTree:
    """A binary tree over K clusters (``2K - 1`` nodes).

    children:   (K-1, 2) int64, the two children of internal node ``K + i``.
    parent:     (2K-1,) int64, the parent of each node, -1 for the root.
    height:     (2K-1,) float64 log-density (peak for leaves, saddle for merges).
    population: (2K-1,) int64 number of points below each node.
    peak:       (2K-1,) int64 the cluster (leaf) with the highest peak below each node.
    """

    children: np.ndarray
    parent: np.ndarray
    height: np.ndarray
    population: np.ndarray
    peak: np.ndarray

    @property
    def n_leaves(self) -> int:
        return len(self.children) + 1

    @property
    def n_nodes(self) -> int:
        return len(self.parent)

    @property
    def root(self) -> int:
        return self.n_nodes - 1

    def is_leaf(self, node: int) -> bool:
        return 0 <= node < self.n_leaves

    @cached_property
    def membership(self) -> np.ndarray:
        """(2K-1, K) bool: ``membership[n, c]`` is True when cluster c lies below node n."""
        K = self.n_leaves
        m = np.zeros((self.n_nodes, K), dtype=bool)
        m[np.arange(K), np.arange(K)] = True
        for i, (a, b) in enumerate(self.children):
            m[K + i] = m[a] | m[b]
        return m

    def leaves_under(self, node: int) -> np.ndarray:
        """Sorted cluster labels below ``node``."""
        return np.flatnonzero(self.membership[node])

    def path_from_root(self, node: int) -> list[int]:
        """Node ids from the root down to ``node`` (both included)."""
        path = [node]
        while self.parent[path[-1]] >= 0:
            path.append(int(self.parent[path[-1]]))
        return path[::-1]

    def leaf_order(self) -> list[int]:
        """Leaves left to right as a dendrogram draws them (denser subtree first)."""
        order, stack = [], [self.root]
        while stack:
            node = stack.pop()
            if self.is_leaf(node):
                order.append(node)
                continue
            a, b = self.children[node - self.n_leaves]
            first, second = (a, b) if self.height[self.peak[a]] >= self.height[self.peak[b]] \
                else (b, a)
            stack.extend((int(second), int(first)))
        return order


def tree_from_linkage(linkage: np.ndarray, *, leaf_heights: np.ndarray,
                      merge_heights: np.ndarray, populations: np.ndarray) -> ClusterTree:
    """The tree of a SciPy-format linkage matrix over the K peaks.

    linkage:       (K-1, 4) float, rows ``[a, b, distance, count]`` (only a, b are used).
    leaf_heights:  (K,) float, the log-density of each cluster's peak.
    merge_heights: (K-1,) float, the log-density of each merge (its saddle).
    populations:   (K,) int, points per cluster.

    These are the fields of :class:`compute.peaks.hierarchy.Dendrogram`.
    """
    leaf_heights = np.asarray(leaf_heights, dtype=np.float64)
    merge_heights = np.asarray(merge_heights, dtype=np.float64)
    populations = np.asarray(populations, dtype=np.int64)
    K = len(leaf_heights)
    linkage = np.asarray(linkage, dtype=np.float64).reshape(-1, 4)
    if K < 1 or len(populations) != K or len(linkage) != K - 1 or len(merge_heights) != K - 1:
        raise ValueError(f"need K >= 1 peaks with K populations, K-1 linkage rows and K-1 "
                         f"merge heights; got {K} peaks, {len(populations)} populations, "
                         f"{len(linkage)} rows, {len(merge_heights)} merge heights")
    children = linkage[:, :2].astype(np.int64)
    if K > 1 and (children.min() < 0 or np.any(children >= K + np.arange(K - 1)[:, None])):
        raise ValueError("linkage rows must only join existing nodes (SciPy format)")
    n = 2 * K - 1
    parent = np.full(n, -1, dtype=np.int64)
    population = np.concatenate([populations, np.empty(K - 1, dtype=np.int64)])
    peak = np.arange(n, dtype=np.int64)
    for i, (a, b) in enumerate(children):
        node = K + i
        parent[[a, b]] = node
        population[node] = population[a] + population[b]
        peak[node] = peak[a] if leaf_heights[peak[a]] >= leaf_heights[peak[b]] else peak[b]
    return ClusterTree(children=children, parent=parent,
                       height=np.concatenate([leaf_heights, merge_heights]),
                       population=population, peak=peak)
