"""Baseline clusterings from scikit-learn on the same embeddings as ADP.

Every function takes ``x`` (N, D) float and returns a :class:`BaselineClustering`, so the
dashboard and the model selection treat them alike. Agglomerative clustering needs O(N^2)
memory: subsample beyond :data:`MAX_AGGLOMERATIVE_POINTS` points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from compute.arrays import as_points, unit_scale

Linkage = Literal["single", "complete", "average", "ward"]
LINKAGES: tuple[Linkage, ...] = ("single", "complete", "average", "ward")
MAX_AGGLOMERATIVE_POINTS = 30_000


@dataclass(frozen=True)
class BaselineClustering:
    """method: e.g. "kmeans", "agglomerative-ward", "hdbscan"; params: its options.
    labels: (N,) int64 in 0..K-1, -1 for noise (HDBSCAN only).
    n_clusters: K, noise not counted."""

    method: str
    labels: np.ndarray
    n_clusters: int
    params: dict[str, object] = field(default_factory=dict)

    @property
    def is_noise(self) -> np.ndarray:
        return self.labels < 0


def _as_points(x: np.ndarray, *, at_least: int = 1) -> tuple[np.ndarray, float]:
    """Validated (N, D) points (see :func:`compute.arrays.as_points`) divided by their
    :func:`compute.arrays.unit_scale` (exact; nothing overflows), and that unit."""
    points = as_points(x)
    if points.shape[0] < at_least:
        raise ValueError(f"x must be an (N, D) array with N >= {at_least}; got shape "
                         f"{points.shape}")
    unit = unit_scale(points)
    return points / unit, unit


def _check_n_clusters(n_clusters: int, n: int) -> int:
    if not 1 <= n_clusters <= n:
        raise ValueError(f"n_clusters must lie in 1..N = {n}; got {n_clusters}")
    return int(n_clusters)


def _result(method: str, labels: np.ndarray, **params: object) -> BaselineClustering:
    """Labels renumbered 0..K-1 (an estimator may leave a cluster empty), -1 kept."""
    labels = np.asarray(labels, dtype=np.int64)
    used, compact = np.unique(labels[labels >= 0], return_inverse=True)
    out = np.full_like(labels, -1)
    out[labels >= 0] = compact
    return BaselineClustering(method=method, labels=out, n_clusters=int(used.size),
                              params=dict(params))


def kmeans(x: np.ndarray, *, n_clusters: int, random_state: int = 0) -> BaselineClustering:
    """k-means (k-means++ initialisation, 10 restarts)."""
    from sklearn.cluster import KMeans

    x, _ = _as_points(x)
    n_clusters = _check_n_clusters(n_clusters, x.shape[0])
    model = KMeans(n_clusters=n_clusters, n_init=10, random_state=random_state).fit(x)
    return _result("kmeans", model.labels_, n_clusters=n_clusters, random_state=random_state)


def agglomerative(x: np.ndarray, *, n_clusters: int,
                  linkage: Linkage = "ward") -> BaselineClustering:
    """Agglomerative clustering cut at ``n_clusters`` (single, complete, average or Ward)."""
    from sklearn.cluster import AgglomerativeClustering

    x, _ = _as_points(x)
    check_linkage(linkage, x.shape[0])
    n_clusters = _check_n_clusters(n_clusters, x.shape[0])
    if n_clusters == x.shape[0] or x.shape[0] == 1:
        labels = np.arange(x.shape[0])
    else:
        labels = AgglomerativeClustering(n_clusters=n_clusters, linkage=linkage).fit(x).labels_
    return _result(f"agglomerative-{linkage}", labels, n_clusters=n_clusters, linkage=linkage)


def check_linkage(linkage: str, n: int) -> None:
    """ValueError for an unknown linkage or too many points for an O(N^2) method."""
    if linkage not in LINKAGES:
        raise ValueError(f"linkage must be one of {', '.join(LINKAGES)}; got {linkage!r}")
    if n > MAX_AGGLOMERATIVE_POINTS:
        raise ValueError(f"agglomerative clustering of {n} points needs O(N^2) memory; "
                         f"subsample to at most {MAX_AGGLOMERATIVE_POINTS} points")


def hdbscan(x: np.ndarray, *, min_cluster_size: int = 5,
            min_samples: int | None = None) -> BaselineClustering:
    """HDBSCAN (scikit-learn's); noise is -1."""
    from sklearn.cluster import HDBSCAN

    x, _ = _as_points(x, at_least=2)
    if min_cluster_size < 2:
        raise ValueError(f"min_cluster_size must be >= 2; got {min_cluster_size}")
    n = x.shape[0]
    if min_cluster_size > n or (min_samples is not None and not 1 <= min_samples <= n):
        raise ValueError(f"HDBSCAN of {n} points needs min_cluster_size <= {n} and "
                         f"1 <= min_samples <= {n} (or None); got {min_cluster_size} and "
                         f"{min_samples}")
    labels = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples,
                     copy=True).fit(x).labels_
    return _result("hdbscan", labels, min_cluster_size=int(min_cluster_size),
                   min_samples=min_samples)
