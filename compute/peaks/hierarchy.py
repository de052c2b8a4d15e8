"""Pictures of an ADP result: peak distances, dendrogram, MDS peak map, saddle adjacency, and
the decision graph of classic density peaks (Rodriguez & Laio 2014)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compute.arrays import as_points, unit_scale
from compute.graph.knn import KnnGraph
from compute.peaks import Clustering


def peak_distances(clustering: Clustering, *, rho_max: float) -> np.ndarray:
    """(K, K) float64 D_ab = rho_max - rho_ab, 0 on the diagonal.

    ``rho_max`` is the highest log-density of any point (>= every peak). Pairs without a
    saddle are the farthest: 1 + the largest finite distance (1 + the largest peak depth
    rho_max - rho_peak when no pair has a saddle)."""
    rho = clustering.saddles.log_density
    k = rho.shape[0]
    if k and rho_max < clustering.peak_log_density.max():
        raise ValueError("rho_max must be at least the highest peak; pass "
                         "density.log_density.max()")
    dist = rho_max - rho
    connected = np.isfinite(rho)
    reach = np.r_[dist[connected], rho_max - clustering.peak_log_density]
    far = (reach.max() if reach.size else 0.0) + 1.0
    dist = np.where(connected, dist, far)
    np.fill_diagonal(dist, 0.0)
    return dist


@dataclass(frozen=True)
class Dendrogram:
    """Single-linkage tree of the K peaks (the maximum spanning tree of saddle heights).

    linkage: (K - 1, 4) float64 in scipy format; column 2 is the peak distance D of each merge.
    leaf_heights:  (K,) float64, the peaks' log-densities (draw leaves there).
    merge_heights: (K - 1,) float64, log-density of each merge, rho_max - D (its saddle).
    leaf_order:    (K,) int64, left-to-right order of the leaves (scipy ``leaves_list``).
    populations:   (K,) int64, cluster sizes, for widths.
    """

    linkage: np.ndarray
    leaf_heights: np.ndarray
    merge_heights: np.ndarray
    leaf_order: np.ndarray
    populations: np.ndarray


def dendrogram(clustering: Clustering, *, rho_max: float) -> Dendrogram:
    """The peak dendrogram of an ADP result (see :func:`peak_distances` for ``rho_max``)."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    dist = peak_distances(clustering, rho_max=rho_max)
    k = dist.shape[0]
    if k < 2:
        tree = np.empty((0, 4))
        order = np.arange(k, dtype=np.int64)
    else:
        tree = linkage(squareform(dist, checks=False), method="single")
        order = leaves_list(tree).astype(np.int64)
    return Dendrogram(linkage=tree, leaf_heights=clustering.peak_log_density.copy(),
                      merge_heights=rho_max - tree[:, 2], leaf_order=order,
                      populations=clustering.populations.copy())


def classical_mds(dist: np.ndarray, *, n_components: int = 2) -> np.ndarray:
    """(K, n_components) float64 coordinates whose distances approximate ``dist`` (Torgerson).

    Deterministic: each axis is signed so that its largest-magnitude coordinate is positive;
    axes beyond the positive spectrum are zero."""
    k = dist.shape[0]
    centre = np.eye(k) - 1.0 / k
    gram = -0.5 * centre @ (dist**2) @ centre
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(values)[::-1][:n_components]
    coords = vectors[:, top] * np.sqrt(np.clip(values[top], 0.0, None))
    out = np.zeros((k, n_components))
    out[:, : coords.shape[1]] = coords
    for axis in range(out.shape[1]):
        if out[np.argmax(np.abs(out[:, axis])), axis] < 0:
            out[:, axis] *= -1
    return out


def mds_map(clustering: Clustering, *, rho_max: float) -> np.ndarray:
    """(K, 2) float64 map of the peaks: classical metric MDS of the peak distances."""
    return classical_mds(peak_distances(clustering, rho_max=rho_max))


def saddle_adjacency(clustering: Clustering) -> np.ndarray:
    """(K, K) float64 saddle log-densities with the peak log-densities on the diagonal and NaN
    where two clusters share no border (a blank cell in a heatmap)."""
    out = np.where(np.isfinite(clustering.saddles.log_density),
                   clustering.saddles.log_density, np.nan)
    np.fill_diagonal(out, clustering.peak_log_density)
    return out


@dataclass(frozen=True)
class DecisionGraph:
    """Classic density peaks' decision graph.

    log_density: (N,) float64, rho.
    delta: (N,) float64, distance to the nearest point of higher rho; for the densest point,
        its largest distance found (its farthest neighbour, or farthest point given ``x``).
    nearest_denser: (N,) int64, that point's row, -1 where none was found.
    exact: (N,) bool, False where delta is only a lower bound (no denser point among the
        maxk neighbours and no coordinates given to search further).
    """

    log_density: np.ndarray
    delta: np.ndarray
    nearest_denser: np.ndarray
    exact: np.ndarray


def decision_graph(knn: KnnGraph, log_density: np.ndarray, *, x: np.ndarray | None = None,
                   chunk: int = 4096) -> DecisionGraph:
    """rho against the distance to the nearest denser point, from the kNN graph.

    Points whose denser neighbour lies beyond maxk (the few local maxima) are resolved by a
    brute-force search over the coordinates ``x`` (N, D) when given; otherwise their delta is
    their maxk-th neighbour distance, marked not exact."""
    rho = np.asarray(log_density, dtype=np.float64)
    n = knn.n_points
    if rho.shape != (n,):
        raise ValueError(f"log_density has shape {rho.shape}, the kNN graph {n} points")
    denser = rho[knn.indices[:, 1:]] > rho[:, None]
    has = denser.any(axis=1)
    first = np.argmax(denser, axis=1) + 1
    rows = np.arange(n)
    nearest = np.where(has, knn.indices[rows, first], -1)
    delta = np.where(has, knn.distances[rows, first], knn.distances[:, -1])
    exact = has.copy()
    if x is not None:
        x = as_points(x)
        if x.shape[0] != n:
            raise ValueError(f"x has {x.shape[0]} rows, the kNN graph {n} points")
        unit = unit_scale(x)  # exact rescaling: squared distances never overflow
        x = x / unit
        for i in np.flatnonzero(~has):
            delta[i], nearest[i] = _nearest_denser_brute(x, rho, i, chunk)
            delta[i] *= unit
            exact[i] = True
        for i in np.flatnonzero(nearest < 0):
            delta[i] = np.sqrt(((x - x[i]) ** 2).sum(axis=1)).max() * unit
    return DecisionGraph(log_density=rho, delta=delta, nearest_denser=nearest, exact=exact)


def _nearest_denser_brute(x: np.ndarray, rho: np.ndarray, i: int, chunk: int) -> tuple[float, int]:
    best, arg = np.inf, -1
    for start in range(0, x.shape[0], chunk):
        block = slice(start, start + chunk)
        cand = rho[block] > rho[i]
        if not cand.any():
            continue
        d = np.sqrt(((x[block][cand] - x[i]) ** 2).sum(axis=1))
        j = int(np.argmin(d))
        if d[j] < best:
            best, arg = float(d[j]), int(np.flatnonzero(cand)[j] + start)
    return best, arg
