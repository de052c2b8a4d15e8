"""Log-densities with errors (kNN with fixed k, or PAk) over a kNN graph.

Both estimators need the intrinsic dimension d (2-NN, ``compute.graph.intrinsic_dim``) for the
volume of a d-ball, omega_d r^d with omega_d = pi^(d/2) / Gamma(d/2 + 1), and return the
natural log of a probability density in the units of the embedding (per unit d-volume).

- kNN, fixed k: rho_i = ln k - ln omega_d - d ln r_ik - ln N, sigma_i = 1 / sqrt(k).
- PAk (Rodriguez et al. 2018): a per-point neighbourhood size k*_i (:func:`kstar_selection`)
  and a log-linear density in the shells of the k*_i neighbours, fitted by maximum
  likelihood (solved to machine precision), sigma_i = sqrt((4 k* + 2) / (k* (k* - 1))).

Duplicates: on a graph that collapsed exact duplicates (``knn_graph`` does), every
estimate is made on the M distinct vectors (N in the formulas is then M) and each copy
gets its representative's value, so no density is infinite.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from compute.graph.knn import KnnGraph, estimation_graph
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)

KSTAR_THRESHOLD = 23.92812698  # chi-square quantile, 1 dof, p = 1e-6
_ROW_CHUNK = 16384  # PAk rows per kernel call (progress granularity)


@dataclass(frozen=True)
class Density:
    """Per-point log-density estimate.

    log_density: (N,) float64, rho_i (natural log of a density in units of the embedding).
    error:       (N,) float64, sigma_i, the standard error of rho_i.
    kstar:       (N,) int64, neighbourhood size used for point i (k for fixed-k densities).
    method:      "pak" or "knn".
    intrinsic_dim: the dimension d used for the volumes.
    """

    log_density: np.ndarray
    error: np.ndarray
    kstar: np.ndarray
    method: str
    intrinsic_dim: float


def log_unit_ball_volume(d: float) -> float:
    """ln omega_d = (d/2) ln pi - ln Gamma(d/2 + 1), for real d > 0."""
    return float(d / 2.0 * np.log(np.pi) - math.lgamma(d / 2.0 + 1.0))


def knn_density(knn: KnnGraph, *, intrinsic_dim: float, k: int) -> Density:
    """Fixed-k log-density: rho_i = ln k - ln omega_d - d ln r_ik - ln N, sigma = 1/sqrt(k).

    knn: the graph (``1 <= k <= knn.maxk``); intrinsic_dim: d > 0 (e.g. the 2-NN estimate).
    Returns a :class:`Density` with ``kstar`` = k for every point, ``method="knn"``.
    """
    d = _check_dimension(intrinsic_dim)
    graph, inverse = estimation_graph(knn)
    if not 1 <= k <= graph.maxk:
        raise ValueError(f"k must be between 1 and the graph's maxk={graph.maxk}, got {k}")
    n = graph.n_points
    rho = np.log(k) - log_unit_ball_volume(d) - d * np.log(graph.distances[:, k]) - np.log(n)
    error = np.full(n, 1.0 / np.sqrt(k))
    kstar = np.full(n, k, dtype=np.int64)
    return _expanded(rho, error, kstar, inverse, method="knn", d=d)


def kstar_selection(knn: KnnGraph, *, intrinsic_dim: float,
                    threshold: float = KSTAR_THRESHOLD) -> np.ndarray:
    """Per-point neighbourhood size k* for PAk; (N,) int64 in [3, maxk - 1].

    For k = 3 .. maxk - 2, with j the (k+1)-th neighbour of i,
    D_k = -2k [ln V_i + ln V_j - 2 ln(V_i + V_j) + ln 4] (V = omega_d r_k^d, the volume of
    the k-th neighbour ball of i and of j; equal to 4k ln cosh(d/2 ln(r_ik / r_jk))). k*_i is
    the first k with D_k >= threshold, and maxk - 1 if there is none. Matching the
    reference implementation (DADApy), a first crossing at the last tested k = maxk - 2
    also gives maxk - 1. Needs maxk >= 4.
    """
    d = _check_dimension(intrinsic_dim)
    graph, inverse = estimation_graph(knn)
    kstar = _kstar_distinct(graph, d, threshold)
    return kstar if inverse is None else kstar[inverse]


def pak_density(
    knn: KnnGraph,
    *,
    intrinsic_dim: float,
    kstar: np.ndarray | None = None,
    threshold: float = KSTAR_THRESHOLD,
    progress: ProgressFn | None = None,
) -> Density:
    """Point-adaptive kNN (PAk) log-density.

    For each point, with shell volumes v_l = omega_d (r_l^d - r_{l-1}^d), l = 1..k*_i,
    maximises L(F, a) = sum_l [F + a l - v_l exp(F + a l)]; rho_i = F - ln N. The solve
    eliminates F (e^F = k* / sum_l v_l e^{a l}) and finds the slope a by safeguarded Newton
    to machine precision (the reference's damped Newton stops earlier; they agree to ~1e-4).
    sigma_i = sqrt((4 k* + 2) / (k* (k* - 1))).

    knn: the graph; intrinsic_dim: d > 0; kstar: (N,) optional precomputed
    :func:`kstar_selection` result (copies of a vector must share a value); threshold: the
    k* test threshold when kstar is not given. progress is called per block of points.
    In the rare case where tied distances leave no finite maximum, the point gets the
    kNN estimate at k* (logged).
    """
    from compute.graph.density_kernels import pak_solve

    d = _check_dimension(intrinsic_dim)
    graph, inverse = estimation_graph(knn)
    if kstar is None:
        kstar_distinct = _kstar_distinct(graph, d, threshold)
    else:
        kstar_distinct = _check_kstar(kstar, knn, graph)
    n = graph.n_points
    log_omega = log_unit_ball_volume(d)
    free = np.empty(n)
    status = np.empty(n, dtype=np.int8)
    report(progress, 0, n)
    for start in range(0, n, _ROW_CHUNK):
        stop = min(n, start + _ROW_CHUNK)
        free[start:stop], _, status[start:stop] = pak_solve(
            graph.distances[start:stop], kstar_distinct[start:stop], d, log_omega)
        report(progress, stop, n)
    if np.any(status == 1):
        log.warning("PAk: %d points have tied neighbour distances and no finite likelihood "
                    "maximum; they use the kNN estimate at k*", int(np.sum(status == 1)))
    if np.any(status == 2):
        log.warning("PAk: Newton did not converge for %d points", int(np.sum(status == 2)))
    k = kstar_distinct.astype(np.float64)
    error = np.sqrt((4.0 * k + 2.0) / (k * (k - 1.0)))
    return _expanded(free - np.log(n), error, kstar_distinct, inverse, method="pak", d=d)


# --------------------------------------------------------------------------- internals


def _kstar_distinct(graph: KnnGraph, d: float, threshold: float) -> np.ndarray:
    from compute.graph.density_kernels import kstar_scan

    if graph.maxk < 4:
        raise ValueError(f"k* selection needs a graph with maxk >= 4, got maxk={graph.maxk}; "
                         "rebuild the graph with more neighbours")
    with np.errstate(divide="ignore"):  # column 0 is 0: ln 0 = -inf, never used
        log_dist = np.log(graph.distances)
    return kstar_scan(log_dist, np.ascontiguousarray(graph.indices, dtype=np.int64), d,
                      float(threshold))


def _check_kstar(kstar: np.ndarray, knn: KnnGraph, graph: KnnGraph) -> np.ndarray:
    values = np.asarray(kstar)
    if values.shape != (knn.n_points,):
        raise ValueError(f"kstar must have shape ({knn.n_points},), got {values.shape}")
    if values.min() < 2 or values.max() > graph.maxk:
        raise ValueError(f"kstar values must be in [2, maxk={graph.maxk}]")
    if knn.deduplication is not None:
        values = values[knn.deduplication.representatives]
    return np.ascontiguousarray(values, dtype=np.int64)


def _check_dimension(d: float) -> float:
    d = float(d)
    if not np.isfinite(d) or d <= 0.0:
        raise ValueError(f"intrinsic_dim must be a positive finite number, got {d}")
    return d


def _expanded(rho: np.ndarray, error: np.ndarray, kstar: np.ndarray,
              inverse: np.ndarray | None, *, method: str, d: float) -> Density:
    if inverse is not None:
        rho, error, kstar = rho[inverse], error[inverse], kstar[inverse]
    return Density(log_density=rho, error=error, kstar=kstar, method=method,
                   intrinsic_dim=d)
