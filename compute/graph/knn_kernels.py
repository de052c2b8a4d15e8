"""Compiled (numba) kernels for the neighbour graph; imported lazily by compute.graph.knn."""

from __future__ import annotations

import numba
import numpy as np

from compute._parallel import twin_kernel


@numba.njit(cache=True, fastmath=True)
def _row_distances(points, rows, neighbours, out, r):  # pragma: no cover - compiled
    dim = points.shape[1]
    a = rows[r]
    for c in range(neighbours.shape[1]):
        b = neighbours[r, c]
        total = 0.0
        for f in range(dim):
            diff = np.float64(points[a, f]) - np.float64(points[b, f])
            total += diff * diff
        out[r, c] = np.sqrt(total)


@twin_kernel()
def _pair_distances(points, rows, neighbours):  # pragma: no cover - compiled
    out = np.empty(neighbours.shape, dtype=np.float64)
    for r in numba.prange(neighbours.shape[0]):
        _row_distances(points, rows, neighbours, out, r)
    return out


_PARALLEL_MIN_PAIRS = 1 << 16  # below this, waking threads costs more than it saves


def pair_distances(points: np.ndarray, rows: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Exact float64 distances ``|points[rows[r]] - points[neighbours[r, c]]|``.

    points: (N, D) float32/float64; rows: (R,) int64; neighbours: (R, K) int64.
    Returns (R, K) float64.
    """
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    neighbours = np.ascontiguousarray(neighbours, dtype=np.int64)
    if neighbours.size >= _PARALLEL_MIN_PAIRS:
        return _pair_distances(points, rows, neighbours)
    return _pair_distances.serial(points, rows, neighbours)


@numba.njit(cache=True, inline="always")
def _insert_sorted(values, labels, pos, value, label):  # pragma: no cover - compiled
    """Put (value, label) at slot ``pos`` or before it, shifting larger values right by one
    (``values[:pos]`` ascending; slot ``pos`` is overwritten; ties keep earlier first)."""
    while pos > 0 and values[pos - 1] > value:
        values[pos] = values[pos - 1]
        labels[pos] = labels[pos - 1]
        pos -= 1
    values[pos] = value
    labels[pos] = label


@twin_kernel()
def _sorted_rows(points, indices):  # pragma: no cover - compiled
    n_rows, width = indices.shape
    rows = np.arange(n_rows)
    distances = np.empty((n_rows, width), dtype=np.float64)
    ordered = np.empty_like(indices)
    for r in numba.prange(n_rows):
        _row_distances(points, rows, indices, distances, r)
        row_d = distances[r]
        row_i = ordered[r]
        row_i[:] = indices[r]
        # insertion sort (stable): faiss lists rows nearly sorted already, so this is ~linear
        for c in range(1, width):
            _insert_sorted(row_d, row_i, c, row_d[c], row_i[c])
        if row_i[0] != r:  # a distinct point at float64 distance 0 listed before r: rare
            for c in range(1, width):
                if row_i[c] == r:
                    row_i[c], row_i[0] = row_i[0], r
                    row_d[c], row_d[0] = row_d[0], row_d[c]
                    break
    return distances, ordered


def sorted_rows(points: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact float64 distances from each row ``r`` to ``indices[r]``, each row sorted by them.

    points: (N, D) float32/float64; indices: (N, K) int64 with ``r`` somewhere in row ``r``.
    Returns ((N, K) float64 distances, (N, K) int64 indices), ascending per row (ties keep
    their listed order) with ``r`` itself in column 0. One parallel pass; an insertion sort,
    so near-linear for rows listed nearly in order (as faiss lists them), quadratic at worst.
    """
    return _sorted_rows(points, np.ascontiguousarray(indices, dtype=np.int64))


@twin_kernel()
def _first_two_members(indices, distances, label, rows):  # pragma: no cover - compiled
    n_rows = rows.shape[0]
    maxk = indices.shape[1] - 1
    r1 = np.full(n_rows, np.nan)
    r2 = np.full(n_rows, np.nan)
    for r in numba.prange(n_rows):
        i = rows[r]
        found = 0
        for j in range(1, maxk + 1):
            if label[indices[i, j]] == label[i]:
                if found == 0:
                    r1[r] = distances[i, j]
                    found = 1
                else:
                    r2[r] = distances[i, j]
                    break
    return r1, r2


def first_two_members(indices: np.ndarray, distances: np.ndarray, label: np.ndarray,
                      rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ``i`` in ``rows``: distances to the first two listed neighbours ``j`` with
    ``label[j] == label[i]`` (NaN where fewer than two are listed). (R,) float64 each."""
    return _first_two_members(indices, distances, np.ascontiguousarray(label),
                              np.ascontiguousarray(rows, dtype=np.int64))


@twin_kernel()
def _three_smallest(gram, norms):  # pragma: no cover - compiled
    n_batch, size, _ = gram.shape
    out = np.empty((n_batch, size, 3), dtype=np.int64)
    for flat in numba.prange(n_batch * size):
        b = flat // size
        i = flat % size
        best = np.full(3, np.inf)
        arg = np.zeros(3, dtype=np.int64)
        for j in range(size):
            if j == i:
                continue
            v = norms[b, j] - 2.0 * gram[b, i, j]
            if v < best[2]:
                if v < best[1]:
                    best[2] = best[1]
                    arg[2] = arg[1]
                    if v < best[0]:
                        best[1] = best[0]
                        arg[1] = arg[0]
                        best[0] = v
                        arg[0] = j
                    else:
                        best[1] = v
                        arg[1] = j
                else:
                    best[2] = v
                    arg[2] = j
        for c in range(3):
            out[b, i, c] = arg[c]
    return out


def three_smallest(gram: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Per row of each (s, s) block: the 3 columns j != i with the smallest
    ``norms[j] - 2 gram[i, j]`` (squared distance minus the row's own norm).

    gram: (B, s, s) float32 inner products; norms: (B, s) squared norms. Returns (B, s, 3)
    int64 local indices, nearest first (needs s >= 4).
    """
    return _three_smallest(gram, norms)


@twin_kernel()
def _smallest_columns(scores, count):  # pragma: no cover - compiled
    n_rows, n_cols = scores.shape
    out = np.empty((n_rows, count), dtype=np.int64)
    for r in numba.prange(n_rows):
        best = np.full(count, np.inf)
        arg = np.zeros(count, dtype=np.int64)
        for c in range(n_cols):
            v = scores[r, c]
            if v < best[count - 1]:
                _insert_sorted(best, arg, count - 1, v, c)
        out[r] = arg
    return out


def smallest_columns(scores: np.ndarray, count: int) -> np.ndarray:
    """Column indices of the ``count`` smallest entries of each row, smallest first.

    scores: (R, S) float array with S >= count. Returns (R, count) int64. One pass, no sort.
    """
    return _smallest_columns(scores, count)


# --------------------------------------------------------------------------- IVF search

_IVF_SAMPLE = 128  # candidates per query sampled to guess the k-th smallest distance


@numba.njit(cache=True, inline="always")
def _swap(values, labels, a, b):  # pragma: no cover - compiled
    values[a], values[b] = values[b], values[a]
    labels[a], labels[b] = labels[b], labels[a]


@numba.njit(cache=True)
def _select_smallest(values, labels, size, count):  # pragma: no cover - compiled
    """Quickselect: reorder ``values[:size]`` (and ``labels`` alike) so that its first
    ``count`` entries are the ``count`` smallest, in no order; returns the largest of
    them. Needs 1 <= count <= size."""
    lo, hi, target = 0, size - 1, count - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < values[lo]:
            _swap(values, labels, mid, lo)
        if values[hi] < values[lo]:
            _swap(values, labels, hi, lo)
        if values[hi] < values[mid]:
            _swap(values, labels, hi, mid)
        pivot = values[mid]
        i, j = lo, hi
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                _swap(values, labels, i, j)
                i += 1
                j -= 1
        if target <= j:
            hi = j
        elif target >= i:
            lo = i
        else:
            break
    largest = values[0]
    for t in range(1, count):
        largest = max(largest, values[t])
    return largest


@numba.njit(cache=True, fastmath=True)
def _probed_distances(points, norms, bounds, probes, i):  # pragma: no cover - compiled
    """(values, labels) over the rows of the lists ``probes[i]``: ``|x|^2 - 2 q.x`` (the
    squared distance to row ``i`` less ``|q|^2``, float32) and each row's number."""
    total = 0
    for p in range(probes.shape[1]):
        total += bounds[probes[i, p] + 1] - bounds[probes[i, p]]
    values = np.empty(total, dtype=np.float32)
    labels = np.empty(total, dtype=np.int64)
    q = points[i]
    at = 0
    for p in range(probes.shape[1]):
        for c in range(bounds[probes[i, p]], bounds[probes[i, p] + 1]):
            dot = np.float32(0.0)
            for f in range(points.shape[1]):
                dot += q[f] * points[c, f]
            values[at] = norms[c] - np.float32(2.0) * dot
            labels[at] = c
            at += 1
    return values, labels


@numba.njit(cache=True)
def _front_smallest(values, labels, count):  # pragma: no cover - compiled
    """Reorder ``values`` and ``labels`` so that the ``count`` smallest values come first
    (in no order; ``count`` < their length): a threshold guessed from an even sample of
    :data:`_IVF_SAMPLE` values keeps about 1.25 ``count`` of them, selected exactly; when
    it keeps too few, every value is selected instead."""
    total = values.shape[0]
    stride = max(1, total // _IVF_SAMPLE)
    size = (total + stride - 1) // stride
    rank = min(size, (5 * count * size) // (4 * total) + 4)
    threshold = _select_smallest(values[::stride].copy(), np.empty(size, dtype=np.int64),
                                 size, rank)
    passed = 0
    for a in range(total):
        passed += values[a] <= threshold
    if passed < count:  # the sample guessed too low
        passed = total
    else:
        passed = 0
        for a in range(total):
            if values[a] <= threshold:
                values[passed], labels[passed] = values[a], labels[a]
                passed += 1
    _select_smallest(values, labels, passed, count)


@numba.njit(cache=True)
def _ivf_row(points, norms, bounds, probes, i, count, out_row):  # pragma: no cover
    """The ``count`` nearest candidates of row ``i`` among the lists ``probes[i]``, nearest
    first, into ``out_row`` (left as it is where fewer candidates exist)."""
    values, labels = _probed_distances(points, norms, bounds, probes, i)
    kept = min(count, values.shape[0])
    if values.shape[0] > count:
        _front_smallest(values, labels, count)
    order = np.argsort(values[:kept])
    for a in range(kept):
        out_row[a] = labels[order[a]]


@twin_kernel(fastmath=True)
def _ivf_rows(points, norms, bounds, probes, first, stop, count):  # pragma: no cover
    out = np.full((stop - first, count), -1, dtype=np.int64)
    for r in numba.prange(stop - first):
        _ivf_row(points, norms, bounds, probes, first + r, count, out[r])
    return out


def ivf_rows(points: np.ndarray, norms: np.ndarray, bounds: np.ndarray, probes: np.ndarray,
             first: int, stop: int, count: int) -> np.ndarray:
    """Inverted-file search of rows ``first:stop`` of ``points`` among ``points`` itself.

    points: (N, D) float32, grouped by list: list ``l`` holds rows ``bounds[l]:bounds[l+1]``.
    norms:  (N,) float32 squared norms of ``points``.
    bounds: (L + 1,) int64.
    probes: (N, P) int64, the lists each row searches (its own first).
    Returns (stop - first, count) int64 row numbers of ``points``: the ``count`` nearest
    (squared Euclidean, float32) among the probed lists' rows, nearest first; -1 where the
    probed lists hold fewer. One query per thread, so the result does not depend on the
    number of threads.
    """
    return _ivf_rows(points, norms, np.ascontiguousarray(bounds, dtype=np.int64),
                     np.ascontiguousarray(probes, dtype=np.int64), int(first), int(stop),
                     int(count))
