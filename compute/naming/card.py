"""What a cluster card shows, as rows: densest members, a sample, the border images.

Pure functions over the arrays of one clustering; a "node" is a tree node (a cluster or an
internal node of the peak dendrogram, see :class:`compute.naming.ClusterTree`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compute.naming import ClusterTree


def node_rows(tree: ClusterTree, labels: np.ndarray, node: int) -> np.ndarray:
    """(n,) int64 rows of the images below ``node``."""
    return np.flatnonzero(np.isin(labels, tree.leaves_under(node)))


def densest(rows: np.ndarray, log_density: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` rows of ``rows`` with the highest log-density, densest first."""
    rows = np.asarray(rows, dtype=np.int64)
    return rows[np.argsort(-log_density[rows], kind="stable")[:n]]


def sample(rows: np.ndarray, n: int, *, random_state: int = 0) -> np.ndarray:
    """Up to ``n`` rows drawn without replacement (sorted, reproducible)."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) <= n:
        return rows
    return np.sort(np.random.default_rng(random_state).choice(rows, n, replace=False))


@dataclass(frozen=True)
class Border:
    """The transition between two clusters: their saddle point and its neighbourhood.

    inside, outside: the clusters (``inside`` belongs to the node the card shows).
    saddle_log_density: rho at the saddle; rows: the saddle point first, then its nearest
    neighbours.
    """

    inside: int
    outside: int
    saddle_log_density: float
    rows: np.ndarray


def borders(tree: ClusterTree, node: int, *, saddle_log_density: np.ndarray,
            saddle_point: np.ndarray, knn_indices: np.ndarray, n: int = 6) -> list[Border]:
    """The saddles from the clusters below ``node`` to every cluster outside it, highest
    first (for the root: the saddles between its two subtrees).

    saddle_log_density: (K, K), -inf where no border; saddle_point: (K, K) row, -1 where
    none; knn_indices: (N, maxk + 1), column 0 the point itself.
    """
    inside = tree.leaves_under(node)
    if node == tree.root and not tree.is_leaf(node):
        a = tree.children[node - tree.n_leaves][0]
        inside = tree.leaves_under(int(a))
    outside = np.setdiff1d(np.arange(tree.n_leaves), inside)
    found = []
    for b in outside:
        column = saddle_log_density[inside, b]
        if not np.isfinite(column).any():
            continue
        a = int(inside[np.argmax(column)])
        point = int(saddle_point[a, b])
        found.append(Border(inside=a, outside=int(b),
                            saddle_log_density=float(saddle_log_density[a, b]),
                            rows=np.asarray(knn_indices[point, :n], dtype=np.int64)))
    return sorted(found, key=lambda border: -border.saddle_log_density)


def composition(known_labels: Sequence[str | None], rows: np.ndarray) -> list[tuple[str, int]]:
    """(label, count) of the known labels among ``rows``, commonest first (None excluded)."""
    counts = Counter(known_labels[int(r)] for r in rows)
    counts.pop(None, None)
    return counts.most_common()
