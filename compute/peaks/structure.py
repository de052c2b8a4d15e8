"""ADP steps 1-4, independent of Z: peaks, initial labels, borders and saddles."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from compute.graph.density import Density
from compute.graph.knn import KnnGraph
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Peaks:
    """The Z-independent part of ADP: what a new Z re-merges without touching the points.

    log_density: (N,) float64, rho_i;  error: (N,) float64, sigma_i (copied from the Density).
    candidates:  (C,) int64, points that are local maxima of g = rho - sigma within their
        k*_i neighbours (step 1), ascending.
    eliminated_by: (C,) int64, for each candidate the point whose fallback label a stranded
        point inherits (see :func:`find_peaks`), -1 for candidates that survived pruning.
    centers:     (K0,) int64, the peaks after pruning (step 2), ascending point indices;
        peak ``a`` is ``centers[a]``.
    labels:      (N,) int64 in 0..K0-1, the initial assignment (step 3).
    n_fallback:  how many points took the fallback label in step 3.
    saddle_pairs: (E, 2) int64 peak ids a < b of every pair of peaks that share a border.
    saddle_log_density, saddle_error: (E,) float64, rho and sigma of the pair's saddle point.
    saddle_point: (E,) int64, the saddle point: the border point (either side) of highest g.
    """

    log_density: np.ndarray
    error: np.ndarray
    candidates: np.ndarray
    eliminated_by: np.ndarray
    centers: np.ndarray
    labels: np.ndarray
    n_fallback: int
    saddle_pairs: np.ndarray
    saddle_log_density: np.ndarray
    saddle_error: np.ndarray
    saddle_point: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_peaks(self) -> int:
        return int(self.centers.shape[0])

    @property
    def peak_log_density(self) -> np.ndarray:
        """(K0,) float64, rho at each peak."""
        return self.log_density[self.centers]

    @property
    def peak_error(self) -> np.ndarray:
        """(K0,) float64, sigma at each peak."""
        return self.error[self.centers]


def _validate(knn: KnnGraph, density: Density) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    indices = np.ascontiguousarray(knn.indices, dtype=np.int64)
    n, width = indices.shape
    rho = np.ascontiguousarray(density.log_density, dtype=np.float64)
    sigma = np.ascontiguousarray(density.error, dtype=np.float64)
    kstar = np.ascontiguousarray(density.kstar, dtype=np.int64)
    for name, arr in (("log_density", rho), ("error", sigma), ("kstar", kstar)):
        if arr.shape != (n,):
            raise ValueError(f"density.{name} has shape {arr.shape} but the kNN graph has "
                             f"{n} points: compute the density on the same kNN graph")
    if width < 2:
        raise ValueError("the kNN graph has no neighbours (maxk = 0): rebuild it with maxk >= 1")
    if n and not np.array_equal(indices[:, 0], np.arange(n)):
        raise ValueError("knn.indices[:, 0] must be each point itself; pass the KnnGraph "
                         "built by compute.graph.knn.knn_graph")
    if indices.min(initial=0) < 0 or indices.max(initial=0) >= n:
        raise ValueError("knn.indices holds row indices outside 0..N-1: rebuild the kNN graph")
    if not (np.isfinite(rho).all() and np.isfinite(sigma).all()):
        raise ValueError("the density has non-finite values (often exact duplicate vectors): "
                         "remove or collapse duplicates before estimating the density")
    if (sigma <= 0).any():
        raise ValueError("density.error must be positive: ADP weighs density differences "
                         "by their errors")
    if n and (kstar.min() < 1 or kstar.max() > width - 1):
        raise ValueError(f"density.kstar must lie in 1..maxk = {width - 1}; the density was "
                         "computed with a larger neighbourhood than this kNN graph has")
    return indices, rho, sigma, kstar


def _partners(candidates: np.ndarray, elim: np.ndarray) -> np.ndarray:
    """Fallback partner of each pruned candidate, following DADApy's pure-Python path.

    A pruned candidate c's partner is its eliminator e (the highest-g point that has c within
    its k* neighbours), except that when e is itself a pruned candidate with a smaller index,
    c takes e's partner instead (DADApy visits candidates in index order and substitutes the
    partner already recorded for e)."""
    partner = elim.copy()
    for c in candidates:  # ascending; only pruned candidates have elim >= 0
        e = elim[c]
        if e >= 0 and e < c and elim[e] >= 0:
            partner[c] = partner[e]
    return partner


def _saddles(points: np.ndarray, own: np.ndarray, other: np.ndarray, g: np.ndarray,
             n_peaks: int) -> tuple[np.ndarray, np.ndarray]:
    """For each pair of clusters, the border point of highest g (ties: lowest own cluster,
    then lowest point index - the order in which the reference visits them).

    ``points`` come ascending; two stable integer sorts order them by (pair, own, point)."""
    if points.size == 0:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64)
    lo, hi = np.minimum(own, other), np.maximum(own, other)
    key = lo * n_peaks + hi
    order = np.argsort(own, kind="stable")
    order = order[np.argsort(key[order], kind="stable")]
    key_sorted, g_sorted = key[order], g[points[order]]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, key_sorted.size]))
    at_max = np.flatnonzero(g_sorted == np.maximum.reduceat(g_sorted, starts)[group])
    first = at_max[np.r_[True, group[at_max][1:] != group[at_max][:-1]]]
    best = order[first]
    return np.stack([lo[best], hi[best]], axis=1), points[best]


def find_peaks(knn: KnnGraph, density: Density, *,
               progress: ProgressFn | None = None) -> Peaks:
    """ADP steps 1-4 (d'Errico et al. 2021): everything that does not depend on Z.

    Inputs: the kNN graph (indices (N, maxk + 1), column 0 = the point) and a density on it
    (rho, sigma > 0, k* per point, k* <= maxk). With g = rho - sigma:
    1. candidates: g_i >= g_j for the first k*_i neighbours j of i;
    2. pruning: a candidate c is dropped if some p with g_p > g_c has c among its first k*_p
       neighbours (one O(N k) reverse-neighbour scan);
    3. assignment in decreasing g: the label of the nearest labelled neighbour among maxk;
       a point with none (a pruned local maximum) takes the label of the highest-g partner of
       the pruned candidates in its neighbour list (DADApy's pure-Python rule, which its
       compiled code gets wrong, issue 165); every point ends with a valid label;
    4. borders and saddles: see :func:`compute.peaks.kernels.border_points`; the saddle of a
       pair of clusters is its border point of highest g.
    When the graph collapsed exact duplicates (``knn.deduplication``), steps 1-4 run on the
    distinct points and every copy joins its representative's cluster; all row indices in
    the result (centres, saddle points) are input rows.
    Raises ValueError on inconsistent or non-finite inputs.
    """
    if knn.distinct is None or knn.deduplication is None:
        return _find_peaks_distinct(knn, density, progress)
    reps, inverse = knn.deduplication.representatives, knn.deduplication.inverse
    if np.shape(density.log_density) != (knn.n_points,):
        raise ValueError(f"the density has {np.shape(density.log_density)[0]} values but the "
                         f"kNN graph has {knn.n_points} points: compute it on the same graph")
    reduced = Density(log_density=density.log_density[reps], error=density.error[reps],
                      kstar=density.kstar[reps], method=density.method,
                      intrinsic_dim=density.intrinsic_dim)
    peaks = _find_peaks_distinct(knn.distinct, reduced, progress)
    return Peaks(log_density=np.asarray(density.log_density, dtype=np.float64),
                 error=np.asarray(density.error, dtype=np.float64),
                 candidates=reps[peaks.candidates],
                 eliminated_by=np.where(peaks.eliminated_by >= 0,
                                        reps[np.maximum(peaks.eliminated_by, 0)], -1),
                 centers=reps[peaks.centers], labels=peaks.labels[inverse],
                 n_fallback=peaks.n_fallback, saddle_pairs=peaks.saddle_pairs,
                 saddle_log_density=peaks.saddle_log_density, saddle_error=peaks.saddle_error,
                 saddle_point=reps[peaks.saddle_point])


def _find_peaks_distinct(knn: KnnGraph, density: Density,
                         progress: ProgressFn | None) -> Peaks:
    from compute.peaks import kernels

    indices, rho, sigma, kstar = _validate(knn, density)
    n = indices.shape[0]
    g = rho - sigma
    report(progress, 0, 4)
    is_candidate = kernels.candidate_mask(indices, kstar, g)
    candidates = np.flatnonzero(is_candidate)
    elim = kernels.eliminators(indices, kstar, g, is_candidate)
    centers = candidates[elim[candidates] < 0]
    report(progress, 1, 4)

    partner = _partners(candidates, elim)
    labels = np.full(n, -1, dtype=np.int64)
    labels[centers] = np.arange(centers.size)
    order = np.argsort(-g, kind="stable")
    n_fallback, n_unlabelled = kernels.assign(indices, order, labels, elim >= 0, partner, g)
    if n_unlabelled:
        raise RuntimeError(f"ADP left {n_unlabelled} points unlabelled; this is a bug")
    report(progress, 2, 4)

    is_peak = np.zeros(n, dtype=np.bool_)
    is_peak[centers] = True
    points, own, other = kernels.border_points(indices, kstar, labels, is_peak)
    pairs, saddle_point = _saddles(points, own, other, g, centers.size)
    report(progress, 4, 4)
    log.debug("ADP: %d candidates, %d peaks, %d fallbacks, %d saddles", candidates.size,
              centers.size, n_fallback, saddle_point.size)
    return Peaks(log_density=rho, error=sigma, candidates=candidates,
                 eliminated_by=partner[candidates], centers=centers, labels=labels,
                 n_fallback=int(n_fallback), saddle_pairs=pairs,
                 saddle_log_density=rho[saddle_point], saddle_error=sigma[saddle_point],
                 saddle_point=saddle_point)
