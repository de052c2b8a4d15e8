"""The k-nearest-neighbour graph shared by every density-peak step, UMAP and the UI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KnnGraph:
    """Neighbours of every point, nearest first.

    distances: (N, maxk + 1) float64, Euclidean (not squared); column 0 is the point itself
        at distance 0, column j its j-th neighbour.
    indices:   (N, maxk + 1) int64 row indices, ``indices[i, 0] == i``.
    method:    how it was built ("exact", "hnsw", ...).
    """

    distances: np.ndarray
    indices: np.ndarray
    method: str = "exact"

    @property
    def maxk(self) -> int:
        return self.indices.shape[1] - 1

    @property
    def n_points(self) -> int:
        return self.indices.shape[0]
