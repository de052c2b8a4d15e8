"""Intrinsic dimension: the 2-NN estimator, its scale analysis, and the PCA spectrum.

2-NN (Facco et al. 2017): mu_i = r2_i / r1_i; sort the mu ascending and keep the first
floor((1 - discard_fraction) N); with x_j = ln mu_(j) and y_j = -ln(1 - j / N) (j = 1..kept,
the denominator is the full N) the dimension is the least-squares slope through the
origin, d = sum(x y) / sum(x x).

Scale analysis (decimation): for sizes N, N/2, N/4, ... (while at least ``min_size``), split
the points at random into 2^i disjoint subsets of equal size (the N mod 2^i left-over
points are dropped), estimate d on every subset from its own two nearest neighbours, and
report the mean and standard deviation of d per size together with the mean first/second
neighbour distance as the length scale. A plateau of d against scale is the estimate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from compute.arrays import as_points, unit_scale
from compute.graph.knn import KnnGraph, deduplicate, estimation_graph
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)

DEFAULT_DISCARD_FRACTION = 0.1
_BRUTE_FORCE_MAX_SIZE = 2048  # subsets up to this size: batched brute force
_GRAM_BUDGET = 1 << 24  # entries of the batched (B, s, s) squared-distance block


@dataclass(frozen=True)
class IntrinsicDimension:
    """A 2-NN estimate and its fit points (for a diagnostic plot of y against x).

    dimension: the slope d (float).
    log_mu:    (n_kept,) float64, x_j = ln mu_(j), ascending.
    y:         (n_kept,) float64, -ln(1 - j / N).
    n_points:  N, the points used (distinct points when the input had duplicates).
    scale:     mean of the first and second neighbour distances (units of the embedding).
    """

    dimension: float
    log_mu: np.ndarray
    y: np.ndarray
    n_points: int
    scale: float


@dataclass(frozen=True)
class ScaleAnalysis:
    """2-NN dimension against scale, by decimation. All arrays have one entry per level.

    sizes:          (L,) int64, points per subset (N, N/2, N/4, ...).
    n_subsets:      (L,) int64, disjoint subsets per level (1, 2, 4, ...).
    dimension_mean: (L,) float64, mean 2-NN dimension over the subsets of the level.
    dimension_std:  (L,) float64, standard deviation over the subsets (0 for one subset).
    scale:          (L,) float64, mean first/second neighbour distance within the subsets.
    """

    sizes: np.ndarray
    n_subsets: np.ndarray
    dimension_mean: np.ndarray
    dimension_std: np.ndarray
    scale: np.ndarray


@dataclass(frozen=True)
class PcaSpectrum:
    """Variance explained per principal component, largest first.

    explained_variance_ratio: (n_components,) float64, sums to 1.
    cumulative:               (n_components,) float64, running sum (ends at 1).
    n_points:                 rows used (a random sample when N > max_points).
    """

    explained_variance_ratio: np.ndarray
    cumulative: np.ndarray
    n_points: int


# --------------------------------------------------------------------------- 2-NN


def two_nn_fit(mu: np.ndarray, *, discard_fraction: float = DEFAULT_DISCARD_FRACTION
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batched 2-NN fit. mu: (B, n) ratios r2/r1 (> 1) of B independent sets of n points.

    Returns (d (B,), x (B, n_kept), y (n_kept,)) with n_kept = floor((1 - f) n).
    """
    _check_fraction(discard_fraction)
    n = mu.shape[1]
    n_kept = int(n * (1.0 - discard_fraction))
    if n_kept < 1:
        raise ValueError(f"2-NN needs more points: {n} points keep none after discarding "
                         f"{discard_fraction:.0%}")
    x = np.log(np.sort(mu, axis=1)[:, :n_kept])
    y = -np.log1p(-np.arange(1, n_kept + 1) / n)
    denominator = np.einsum("bj,bj->b", x, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (x @ y) / denominator
    return d, x, y


def two_nn_dimension(knn: KnnGraph, *,
                     discard_fraction: float = DEFAULT_DISCARD_FRACTION) -> IntrinsicDimension:
    """2-NN intrinsic dimension from the first two neighbours stored in ``knn``.

    Runs on the distinct points when the graph collapsed duplicates. Raises ValueError for a
    graph with fewer than 2 neighbours per point or with zero distances.
    """
    graph, _ = estimation_graph(knn)
    if graph.maxk < 2:
        raise ValueError(f"2-NN needs at least 2 neighbours per point, the graph has maxk="
                         f"{graph.maxk}; rebuild it with a larger maxk")
    r1, r2 = graph.distances[:, 1], graph.distances[:, 2]
    d, x, y = two_nn_fit((r2 / r1)[None, :], discard_fraction=discard_fraction)
    return IntrinsicDimension(dimension=_check_dimension(float(d[0])), log_mu=x[0], y=y,
                              n_points=graph.n_points,
                              scale=float(np.mean(graph.distances[:, 1:3])))


# --------------------------------------------------------------------------- scale analysis


def id_scale_analysis(
    x: np.ndarray,
    *,
    knn: KnnGraph | None = None,
    min_size: int = 20,
    discard_fraction: float = DEFAULT_DISCARD_FRACTION,
    random_state: int = 0,
    progress: ProgressFn | None = None,
) -> ScaleAnalysis:
    """2-NN dimension of random disjoint subsets of size N, N/2, N/4, ... (>= ``min_size``).

    x:   (N, D) float data (validated like :func:`compute.arrays.as_points`; duplicates are
         collapsed first, so N is the number of distinct vectors).
    knn: optional graph of ``x`` (from :func:`compute.graph.knn.knn_graph`). When given, level 0
         reuses its first two neighbours and big subsets find their in-subset neighbours
         in it (a point's two nearest subset members are the first two members in its exact
         list); only points with fewer than two members listed are searched again. Without
         it every level is searched from scratch (a full 2-NN search at level 0: slower).
    Subsets of up to 2048 points are handled all at once by batched brute force.
    progress is called once per level.
    """
    points = as_points(x)
    dedup = deduplicate(points)
    if knn is not None:
        if knn.n_points != points.shape[0]:
            raise ValueError(f"knn has {knn.n_points} rows but x has {points.shape[0]}")
        graph, _ = estimation_graph(knn)
    else:
        graph = None
    points = points[dedup.representatives]
    n = points.shape[0]
    if n < max(min_size, 4):
        raise ValueError(f"scale analysis needs at least {max(min_size, 4)} distinct points, "
                         f"got {n}")
    unit = unit_scale(points)  # exact rescaling: no overflow or underflow for any units
    if graph is not None:
        graph = replace(graph, distances=graph.distances / unit)
    points = points / unit
    centred = points - points.mean(axis=0, dtype=np.float64)
    rng = np.random.default_rng(random_state)
    sizes = []
    size, n_subsets = n, 1
    while size >= max(min_size, 4):
        sizes.append((size, n_subsets))
        n_subsets *= 2
        size = n // n_subsets
    means, stds, scales = [], [], []
    for level, (size, n_subsets) in enumerate(sizes):
        subsets = rng.permutation(n)[: size * n_subsets].reshape(n_subsets, size)
        r1, r2 = _subset_two_nn(centred, subsets, graph)
        d, _, _ = two_nn_fit(r2 / r1, discard_fraction=discard_fraction)
        d = d[np.isfinite(d) & (d > 0)]  # subsets where 2-NN is meaningless (grids) drop out
        means.append(float(np.mean(d)) if d.size else np.nan)
        stds.append(float(np.std(d)) if d.size else np.nan)
        scales.append(float((r1.mean() + r2.mean()) / 2.0) * unit)
        report(progress, level + 1, len(sizes))
    return _defined_levels(sizes, means, stds, scales)


def _defined_levels(sizes: list[tuple[int, int]], means: list[float], stds: list[float],
                    scales: list[float]) -> ScaleAnalysis:
    """The levels with at least one meaningful subset dimension (ValueError if none)."""
    keep = np.isfinite(means)
    if not keep.any():
        _check_dimension(float("nan"))
    if not keep.all():
        log.warning("scale analysis: 2-NN is undefined at %d of %d levels (first and second "
                    "neighbours at equal distances); they are left out", (~keep).sum(),
                    keep.size)
    return ScaleAnalysis(sizes=np.array([s for s, _ in sizes], dtype=np.int64)[keep],
                         n_subsets=np.array([b for _, b in sizes], dtype=np.int64)[keep],
                         dimension_mean=np.array(means)[keep],
                         dimension_std=np.array(stds)[keep], scale=np.array(scales)[keep])


def _subset_two_nn(points: np.ndarray, subsets: np.ndarray, graph: KnnGraph | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """First and second neighbour distances within each subset; (B, s) float64 each."""
    n_subsets, size = subsets.shape
    if n_subsets == 1 and graph is not None:
        rows = subsets[0]
        return graph.distances[rows, 1][None, :], graph.distances[rows, 2][None, :]
    if size <= _BRUTE_FORCE_MAX_SIZE:
        return _brute_force_two_nn(points, subsets)
    if graph is not None:
        return _graph_two_nn(points, subsets, graph)
    r1 = np.empty(subsets.shape)
    r2 = np.empty(subsets.shape)
    for b in range(n_subsets):
        r1[b], r2[b] = _faiss_two_nn(points, subsets[b], subsets[b])
    return r1, r2


def _graph_two_nn(points: np.ndarray, subsets: np.ndarray, graph: KnnGraph
                  ) -> tuple[np.ndarray, np.ndarray]:
    """In-subset neighbours from the exact graph; a faiss search where it lists < 2."""
    n_subsets, size = subsets.shape
    label = np.full(graph.n_points, -1, dtype=np.int64)
    label[subsets] = np.arange(n_subsets)[:, None]
    from compute.graph.knn_kernels import first_two_members

    rows = subsets.ravel()
    r1, r2 = first_two_members(graph.indices, graph.distances, label, rows)
    missing = np.isnan(r2)
    for b in np.unique(np.flatnonzero(missing) // size):
        local = np.flatnonzero(missing[b * size:(b + 1) * size])
        r1[b * size + local], r2[b * size + local] = _gemm_two_nn(
            points, subsets[b], subsets[b, local])
    return r1.reshape(n_subsets, size), r2.reshape(n_subsets, size)


def _faiss_two_nn(points: np.ndarray, members: np.ndarray, queries: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Exact first/second neighbour distances of ``queries`` among ``members`` (row ids)."""
    import faiss

    base = np.ascontiguousarray(points[members], dtype=np.float32)
    index = faiss.IndexFlatL2(base.shape[1])
    index.add(base)
    _, local = index.search(np.ascontiguousarray(points[queries], dtype=np.float32), 3)
    return _two_nearest_others(points, queries, members[local])


def _gemm_two_nn(points: np.ndarray, members: np.ndarray, queries: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`_faiss_two_nn` for a few queries (``queries`` within ``members``)."""
    from threadpoolctl import threadpool_limits

    from compute.graph.knn_kernels import smallest_columns

    base = points[members].astype(np.float32)
    base_norms = np.einsum("sd,sd->s", base, base)
    r1 = np.empty(queries.size)
    r2 = np.empty(queries.size)
    chunk = max(1, _GRAM_BUDGET // members.size)
    for start in range(0, queries.size, chunk):
        part = queries[start:start + chunk]
        with threadpool_limits(1, user_api="blas"):
            score = base_norms[None, :] - 2.0 * (points[part].astype(np.float32) @ base.T)
        nearest = smallest_columns(score, 4)  # self + 3 (a spare for float32 near-ties)
        r1[start:start + chunk], r2[start:start + chunk] = _two_nearest_others(
            points, part, members[nearest])
    return r1, r2


def _brute_force_two_nn(points: np.ndarray, subsets: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Batched brute-force 2-NN inside many small subsets (float32 Gram, float64 result)."""
    from threadpoolctl import threadpool_limits

    from compute.graph.knn_kernels import three_smallest

    n_subsets, size = subsets.shape
    batch = max(1, _GRAM_BUDGET // (size * size))
    r1 = np.empty(subsets.shape)
    r2 = np.empty(subsets.shape)
    for start in range(0, n_subsets, batch):
        block = subsets[start:start + batch]
        vectors = points[block].astype(np.float32)  # (B, s, D)
        vectors -= vectors.mean(axis=1, keepdims=True)
        norms = np.einsum("bsd,bsd->bs", vectors, vectors)
        with threadpool_limits(1, user_api="blas"):  # many tiny GEMMs: threads only hurt
            gram = np.matmul(vectors, vectors.transpose(0, 2, 1))
        nearest = three_smallest(gram, norms)  # 3: a spare against float32 near-ties
        rows = block.ravel()
        candidates = np.take_along_axis(block[:, None, :], nearest, axis=2).reshape(-1, 3)
        r1[start:start + batch], r2[start:start + batch] = (
            a.reshape(block.shape) for a in _two_nearest_others(points, rows, candidates))
    return r1, r2


def _two_nearest_others(points: np.ndarray, rows: np.ndarray, candidates: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Exact float64 distances to the two nearest candidates other than the row itself."""
    from compute.graph.knn_kernels import pair_distances

    dist = pair_distances(points, rows, candidates)
    dist[candidates == rows[:, None]] = np.inf
    dist.sort(axis=1)
    return dist[:, 0], dist[:, 1]


# --------------------------------------------------------------------------- PCA


def pca_spectrum(x: np.ndarray, *, max_points: int = 20000, random_state: int = 0
                 ) -> PcaSpectrum:
    """Fraction of variance explained by each principal component of ``x`` (N, D).

    Uses a random sample of ``max_points`` rows when N is larger (seeded by
    ``random_state``). Components: min(N_used, D). Constant data raises ValueError.
    """
    points = as_points(x)
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2 (a variance needs two rows), got "
                         f"{max_points}")
    if points.shape[0] > max_points:
        rng = np.random.default_rng(random_state)
        points = points[np.sort(rng.choice(points.shape[0], max_points, replace=False))]
    points = points / unit_scale(points)  # exact: the ratios are scale-free, no overflow
    centred = points - points.mean(axis=0, dtype=np.float64)
    wide = centred.shape[0] < centred.shape[1]
    gram = centred @ centred.T if wide else centred.T @ centred  # same non-zero spectrum
    eigenvalues = np.clip(np.linalg.eigvalsh(gram)[::-1], 0.0, None)
    total = eigenvalues.sum()
    if total <= 0.0:
        raise ValueError("x is constant (zero variance): no principal components")
    ratio = eigenvalues / total
    return PcaSpectrum(explained_variance_ratio=ratio, cumulative=np.cumsum(ratio),
                       n_points=int(points.shape[0]))


# --------------------------------------------------------------------------- checks


def _check_fraction(discard_fraction: float) -> None:
    if not 0.0 < discard_fraction < 1.0:  # 0 would put y = -ln(0) = inf in the fit
        raise ValueError(f"discard_fraction must be in (0, 1), got {discard_fraction}")


def _check_dimension(d: float) -> float:
    if not np.isfinite(d) or d <= 0.0:
        raise ValueError(f"2-NN gave a meaningless dimension ({d}): the first and second "
                         "neighbours are at equal distances for most points (e.g. data on a "
                         "regular grid); add a little noise or use another estimator")
    return d
