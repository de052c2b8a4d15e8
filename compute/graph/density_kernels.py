"""Compiled (numba) PAk likelihood solver; imported lazily by compute.graph.density."""

from __future__ import annotations

import numba
import numpy as np

from compute._parallel import twin_kernel


@numba.njit(cache=True)
def _log_shell_volumes(dist_row, k, d, log_omega):  # pragma: no cover - compiled
    """ln v_l = ln(omega_d (r_l^d - r_{l-1}^d)), l = 1..k (-inf for an empty shell)."""
    out = np.empty(k)
    for shell_no in range(1, k + 1):
        r = dist_row[shell_no]
        ratio = dist_row[shell_no - 1] / r
        shell = -np.expm1(d * np.log(ratio)) if ratio > 0.0 else 1.0
        out[shell_no - 1] = log_omega + d * np.log(r) + np.log(shell) if shell > 0.0 else -np.inf
    return out


@numba.njit(cache=True)
def _moments(log_v, a):  # pragma: no cover - compiled
    """log-sum-exp of ln v_l + a l, and mean/variance of l under weights v_l e^{a l}."""
    top = -np.inf
    for j in range(log_v.shape[0]):
        top = max(top, log_v[j] + a * (j + 1))
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    for j in range(log_v.shape[0]):
        e = np.exp(log_v[j] + a * (j + 1) - top)
        s0 += e
        s1 += (j + 1) * e
        s2 += (j + 1) * (j + 1) * e
    mean = s1 / s0
    return top + np.log(s0), mean, max(s2 / s0 - mean * mean, 0.0)


@numba.njit(cache=True)
def _solve_slope(log_v, k):  # pragma: no cover - compiled
    """Root of the profile score k(k+1)/2 - k E[l] in a (safeguarded Newton/bisection).

    Returns (a, converged)."""
    target = (k + 1) / 2.0
    lo = -np.inf
    hi = np.inf
    a = 0.0
    for _ in range(200):
        _, mean, var = _moments(log_v, a)
        score = target - mean  # decreasing in a
        if abs(score) <= 1e-13 * k:
            return a, True
        if score > 0.0:
            lo = a
        else:
            hi = a
        new = a + score / var if var > 0.0 else np.nan
        if not (lo < new < hi):  # outside the bracket (or no curvature): bisect or expand
            if np.isfinite(lo) and np.isfinite(hi):
                new = 0.5 * (lo + hi)
            elif np.isfinite(lo):
                new = lo + max(1.0, abs(lo))
            else:
                new = hi - max(1.0, abs(hi))
        if abs(new - a) <= 1e-15 * (1.0 + abs(a)):
            return new, True
        a = new
    return a, False


@twin_kernel()
def pak_solve(distances, kstar, d, log_omega):  # pragma: no cover - compiled
    """Maximise sum_l [F + a l - v_l exp(F + a l)] for every row.

    distances: (N, maxk + 1) float64 (column 0 = 0); kstar: (N,) int64 (2 <= k* <= maxk).
    Returns (F (N,), a (N,), status (N,) int8): status 0 converged; 1 fallback to the kNN
    estimate (the non-empty shells lie on one side of (k+1)/2, so the likelihood has no
    finite maximum in a; only with tied distances); 2 not converged in 200 iterations.
    """
    n = distances.shape[0]
    free = np.empty(n)
    slope = np.zeros(n)
    status = np.zeros(n, dtype=np.int8)
    for i in numba.prange(n):
        k = kstar[i]
        log_v = _log_shell_volumes(distances[i], k, d, log_omega)
        first = k + 1
        last = 0
        for j in range(k):
            if np.isfinite(log_v[j]):
                first = min(first, j + 1)
                last = j + 1
        if not first < (k + 1) / 2.0 < last:  # no finite maximum in a
            free[i] = np.log(k) - log_omega - d * np.log(distances[i, k])
            status[i] = 1
            continue
        a, converged = _solve_slope(log_v, k)
        log_sum, _, _ = _moments(log_v, a)
        free[i] = np.log(k) - log_sum
        slope[i] = a
        if not converged:
            status[i] = 2
    return free, slope, status


@twin_kernel()
def kstar_scan(log_dist, indices, d, threshold):  # pragma: no cover - compiled
    """k* per row: first k in 3..maxk-2 with D_k >= threshold, else maxk - 1 (a first
    crossing at maxk - 2 also gives maxk - 1, as in the reference).

    log_dist: (N, maxk + 1) float64 ln distances; indices: (N, maxk + 1) int64.
    D_k = 4k ln cosh(d/2 (ln r_ik - ln r_jk)), j = the (k+1)-th neighbour of i.
    """
    n, width = log_dist.shape
    maxk = width - 1
    out = np.full(n, maxk - 1, dtype=np.int64)
    log2 = np.log(2.0)
    for i in numba.prange(n):
        for k in range(3, maxk - 1):
            half = 0.5 * d * (log_dist[i, k] - log_dist[indices[i, k + 1], k])
            statistic = 4.0 * k * (np.logaddexp(half, -half) - log2)
            if statistic >= threshold:
                out[i] = k if k < maxk - 2 else maxk - 1
                break
    return out
