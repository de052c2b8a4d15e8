"""Compiled inner loops of ADP steps 1-4 (numba, cached on disk after the first call).

Every kernel is O(N k) over the kNN index array ``indices`` (N, maxk + 1), column 0 being the
point itself. ``g`` is the ranking score rho - sigma, ``kstar`` the neighbourhood sizes.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def candidate_mask(indices, kstar, g):  # pragma: no cover - compiled
    """(N,) bool: g_i >= g_j for every j among i's first kstar_i neighbours."""
    n = indices.shape[0]
    out = np.ones(n, dtype=np.bool_)
    for i in range(n):
        gi = g[i]
        for j in range(1, kstar[i] + 1):
            if gi < g[indices[i, j]]:
                out[i] = False
                break
    return out


@njit(cache=True)
def eliminators(indices, kstar, g, is_candidate):  # pragma: no cover - compiled
    """(N,) int64: for each candidate c, the highest-g point p with c among p's first kstar_p
    neighbours and g_p > g_c (the lowest index among ties), or -1 when none: c survives.

    One reverse-neighbour scan, O(N k), instead of a candidates x N x k search."""
    n = indices.shape[0]
    elim = np.full(n, -1, dtype=np.int64)
    for p in range(n):
        gp = g[p]
        for j in range(1, kstar[p] + 1):
            c = indices[p, j]
            if is_candidate[c] and gp > g[c]:
                e = elim[c]
                if e < 0 or gp > g[e]:
                    elim[c] = p
    return elim


@njit(cache=True)
def assign(indices, order, labels, is_pruned, partner, g):  # pragma: no cover - compiled
    """Label points in decreasing g (``order``); ``labels`` holds the peaks' labels, -1 elsewhere.

    A point takes the label of its nearest labelled neighbour among all maxk. When none is
    labelled (a local maximum of g within maxk, hence a pruned candidate), it takes the label
    of the highest-g ``partner`` of the pruned candidates in its neighbour list, itself
    included (ties: the smaller candidate index). Returns (number of fallbacks, number of
    points left unlabelled - always 0 for consistent inputs)."""
    n, width = indices.shape
    n_fallback = 0
    n_unlabelled = 0
    for t in range(n):
        p = order[t]
        if labels[p] >= 0:
            continue
        for j in range(1, width):
            lab = labels[indices[p, j]]
            if lab >= 0:
                labels[p] = lab
                break
        if labels[p] >= 0:
            continue
        best = -1
        best_c = -1
        for j in range(width):
            c = indices[p, j]
            if is_pruned[c]:
                e = partner[c]
                if best < 0 or g[e] > g[best] or (g[e] == g[best] and c < best_c):
                    best = e
                    best_c = c
        n_fallback += 1
        if best >= 0 and labels[best] >= 0:
            labels[p] = labels[best]
        else:
            n_unlabelled += 1
    return n_fallback, n_unlabelled


@njit(cache=True)
def border_points(indices, kstar, labels, is_peak):  # pragma: no cover - compiled
    """Border points between clusters: arrays (point, its cluster, the other cluster).

    p (not a peak) of cluster c borders c' if q, its first neighbour within kstar_p from
    another cluster, lies in c', and p is the nearest member of c in q's neighbour list
    (or no member of c appears there)."""
    n, width = indices.shape
    points = np.empty(n, dtype=np.int64)
    own = np.empty(n, dtype=np.int64)
    other = np.empty(n, dtype=np.int64)
    count = 0
    for p in range(n):
        if is_peak[p]:
            continue
        c = labels[p]
        q = -1
        for j in range(1, kstar[p] + 1):
            nb = indices[p, j]
            if labels[nb] != c:
                q = nb
                break
        if q < 0:
            continue
        nearest = True
        for j in range(1, width):
            po = indices[q, j]
            if po == p:
                break
            if labels[po] == c:
                nearest = False
                break
        if nearest:
            points[count] = p
            own[count] = c
            other[count] = labels[q]
            count += 1
    return points[:count], own[:count], other[:count]
