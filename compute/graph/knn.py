"""The k-nearest-neighbour graph shared by every density-peak step, UMAP and the UI.

``knn_graph(x)`` validates the vectors, collapses exact duplicates, searches neighbours
in float32 (exact: faiss ``IndexFlatL2``; approximate for large N: an inverted-file search
over faiss k-means lists, compiled here, or faiss HNSW), and
returns Euclidean distances recomputed exactly in float64 for every stored pair, so the
densities built on them are accurate to float64 precision.

Duplicates. Exact duplicate vectors (identical in every coordinate) make 2-NN ratios and
log-densities infinite. ``knn_graph`` collapses them: the neighbour search runs on the
distinct vectors only, giving ``KnnGraph.distinct`` (one row per distinct vector, no zero
distance off the diagonal), and the returned N-row graph is that graph expanded back to
every input row (copies of a point are each other's nearest neighbours, at distance 0).
The estimators (``compute.graph.intrinsic_dim``, ``compute.graph.density``) work on the
distinct graph and give every copy its representative's value; ``KnnGraph.deduplication``
says which rows are copies of which. Without duplicates both fields are ``None``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Literal

import numpy as np

from compute._parallel import usable_cores
from compute.arrays import as_points, unit_scale
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)

KnnMethod = Literal["auto", "exact", "ivf", "hnsw"]
METHODS: tuple[str, ...] = ("exact", "ivf", "hnsw")  # the searches themselves
AUTO = "auto"  # exact below AUTO_EXACT_BELOW distinct points, ivf from there on
#: Where "auto" switches from exact to IVF search (distinct points). Exact search costs
#: O(N^2 D): at D = 64, maxk 100 on 2 cores about 1 s at 20 000 points but 7 s at 50 000,
#: where IVF takes 1-1.5 s with recall@100 0.998 (benchmarks/RESULTS.md, issues 3 and 16).
AUTO_EXACT_BELOW = 20_000
# IVF's coarse k-means: 10 iterations on 40 points per list (faiss asks for 39) cost a
# third of 25 iterations on 64 per list with the same recall@100 (0.9987 vs 0.9986 at
# N = 50 000, D = 64; benchmarks/RESULTS.md, issue 16).
IVF_TRAIN_ITERATIONS, IVF_TRAIN_PER_LIST = 10, 40
IVF_PROBES = 16  # lists searched per row
RECALL_SAMPLE = 1000  # rows whose neighbours an approximate graph checks against exact search
RECALL_WARNING = 0.95  # below this measured recall, the log says to use exact search
DEFAULT_MAXK = 100


@dataclass(frozen=True)
class Deduplication:
    """How the N input rows map onto M distinct vectors.

    representatives: (M,) int64, the first input row holding each distinct vector
        (increasing), so ``x[representatives]`` are the distinct vectors.
    inverse:         (N,) int64, the distinct vector of each input row:
        ``x[i] == x[representatives[inverse[i]]]``.
    multiplicity:    (M,) int64, how many input rows hold each distinct vector.
    """

    representatives: np.ndarray
    inverse: np.ndarray
    multiplicity: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.inverse.shape[0])

    @property
    def n_distinct(self) -> int:
        return int(self.representatives.shape[0])

    @property
    def n_duplicates(self) -> int:
        """Rows that repeat an earlier row (N - M)."""
        return self.n_points - self.n_distinct


@dataclass(frozen=True)
class KnnGraph:
    """Neighbours of every point, nearest first.

    distances: (N, maxk + 1) float64, Euclidean (not squared); column 0 is the point itself
        at distance 0, column j its j-th neighbour.
    indices:   (N, maxk + 1) int64 row indices, ``indices[i, 0] == i``.
    method:    how it was built ("exact", "ivf", "hnsw"; never "auto", which resolves to
        one of them by size, see :func:`resolve_method`).
    recall:    approximate methods only: recall@maxk measured against exact search on
        ``recall_sample`` random rows (fraction in [0, 1]); None for exact search.
    recall_sample: how many rows the recall was measured on (0 for exact search).
    distinct:  only when the input had exact duplicates: the graph over the M distinct
        vectors (rows and indices refer to ``deduplication.representatives``), which has no
        zero distance off column 0. Estimators run on it.
    deduplication: only when the input had exact duplicates: the row <-> distinct map.
    """

    distances: np.ndarray
    indices: np.ndarray
    method: str = "exact"
    distinct: KnnGraph | None = None
    deduplication: Deduplication | None = None
    recall: float | None = None
    recall_sample: int = 0

    @property
    def maxk(self) -> int:
        return self.indices.shape[1] - 1

    @property
    def n_points(self) -> int:
        return self.indices.shape[0]

    @property
    def has_duplicates(self) -> bool:
        return self.deduplication is not None


# --------------------------------------------------------------------------- validation


def resolve_method(method: str, n_points: int) -> str:
    """The search ``method`` names: "auto" is "exact" below :data:`AUTO_EXACT_BELOW`
    points and "ivf" from there on; the others are returned unchanged. ValueError for an
    unknown method."""
    if method == AUTO:
        return "exact" if n_points < AUTO_EXACT_BELOW else "ivf"
    if method not in METHODS:
        raise ValueError(f"method must be one of {(AUTO, *METHODS)}, got {method!r}")
    return method


def search_record(knn: KnnGraph, requested: str) -> dict:
    """What the run records about its neighbour search (JSON-ready): the method asked
    for, the one used, and the recall measured on a sample (None: exact search)."""
    return {"requested": requested, "method": knn.method,
            "recall": None if knn.recall is None else round(knn.recall, 6),
            "recall_sample": knn.recall_sample, "auto_exact_below": AUTO_EXACT_BELOW}


def default_maxk(n_points: int) -> int:
    """``min(100, N - 1)``."""
    return max(0, min(DEFAULT_MAXK, n_points - 1))


def check_maxk(maxk: int, n_points: int, *, what: str = "points") -> None:
    """ValueError unless ``1 <= maxk <= n_points - 1``."""
    if maxk < 1:
        raise ValueError(f"maxk must be at least 1, got {maxk}")
    if maxk > n_points - 1:
        raise ValueError(f"maxk={maxk} needs more than {maxk} {what} but there are only "
                         f"{n_points}; reduce maxk to at most {n_points - 1}")


# --------------------------------------------------------------------------- duplicates


def deduplicate(x: np.ndarray) -> Deduplication:
    """Find exact duplicate rows of ``x`` (N, D) (bytewise equal after ``as_points``).

    Returns a :class:`Deduplication`; ``x[result.representatives]`` are the distinct rows
    in their original order.
    """
    arr = np.ascontiguousarray(x)
    rows = arr.view(np.dtype((np.void, arr.dtype.itemsize * arr.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(rows, return_index=True, return_inverse=True,
                                          return_counts=True)
    order = np.argsort(first, kind="stable")  # distinct ids in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return Deduplication(representatives=first[order].astype(np.int64),
                         inverse=rank[inverse.ravel()].astype(np.int64),
                         multiplicity=counts[order].astype(np.int64))


# --------------------------------------------------------------------------- public API


def knn_graph(
    x: np.ndarray,
    *,
    maxk: int | None = None,
    method: KnnMethod = "exact",
    batch_size: int = 8192,
    progress: ProgressFn | None = None,
    random_state: int = 0,
) -> KnnGraph:
    """The ``maxk`` nearest neighbours of every row of ``x`` (Euclidean).

    x:      (N, D) float array (float32 and float64 kept, float16/int/bool converted; see
            :func:`as_points`). NaN/inf rows are rejected.
    maxk:   neighbours per point; default ``min(100, M - 1)`` for M distinct vectors. Must
            be < M.
    method: "auto" (exact below :data:`AUTO_EXACT_BELOW` distinct points, "ivf" above),
            "exact" (faiss IndexFlatL2, brute force), "ivf" (inverted file: sqrt(N)
            k-means lists, each row compared with the rows of the :data:`IVF_PROBES` lists
            nearest it, one row per thread in compiled code: approximate, fast for large
            N; the same graph with any number of threads) or "hnsw" (faiss
            IndexHNSWFlat, M=32, efSearch=256: approximate; slower than "ivf" at k = 100
            on 2 cores). An approximate graph measures its recall@maxk against exact
            search on :data:`RECALL_SAMPLE` random rows (``KnnGraph.recall``) and logs a
            warning below :data:`RECALL_WARNING`. faiss uses all cores
            unless OMP_NUM_THREADS is set; HNSW may differ slightly between runs with
            several threads.
    batch_size: query rows per search call (bounds memory; progress is reported per
            batch).
    random_state: seeds the IVF k-means (the exact search is deterministic).

    Neighbours are searched in float32 on mean-centred data; the stored distances are then
    recomputed exactly in float64 from the input vectors and each row re-sorted, so column 0
    is always the point itself at distance 0 and rows are non-decreasing.
    Exact duplicates are collapsed before the search (see the module docstring).
    Returns a :class:`KnnGraph`.
    """
    points = as_points(x)
    n = points.shape[0]
    resolve_method(method, n)  # refuses an unknown method before any work
    if n < 2:
        raise ValueError("x has a single point: a neighbour graph needs at least 2 points")
    dedup = deduplicate(points)
    if dedup.n_distinct == 1:
        raise ValueError(f"all {n} rows of x are identical (constant data): there is no "
                         "neighbourhood structure to estimate; check the embedding step")
    maxk = default_maxk(dedup.n_distinct) if maxk is None else int(maxk)
    check_maxk(maxk, n)
    method = resolve_method(method, dedup.n_distinct)
    if dedup.n_duplicates == 0:
        return _distinct_graph(points, maxk, method, batch_size, progress, random_state)
    log.warning("%d of %d rows are exact duplicates of earlier rows: collapsing them to %d "
                "distinct points for estimation", dedup.n_duplicates, n, dedup.n_distinct)
    check_maxk(maxk, dedup.n_distinct, what="distinct points")
    distinct = _distinct_graph(points[dedup.representatives], maxk, method, batch_size,
                               progress, random_state)
    distances, indices = _expand_duplicates(distinct, dedup)
    return KnnGraph(distances=distances, indices=indices, method=method,
                    distinct=distinct, deduplication=dedup, recall=distinct.recall,
                    recall_sample=distinct.recall_sample)


def knn_recall(
    x: np.ndarray,
    knn: KnnGraph,
    *,
    n_queries: int = 1000,
    random_state: int = 0,
) -> float:
    """Recall@maxk of an (approximate) graph against exact search, on a random sample.

    For ``n_queries`` random rows, the fraction of the ``maxk`` stored neighbours whose
    true distance (recomputed from ``x``) is within the exact maxk-th neighbour distance
    (robust to ties), averaged.
    1.0 means the graph is exact on the sample.
    """
    points = as_points(x)
    if points.shape[0] != knn.n_points:
        raise ValueError(f"x has {points.shape[0]} rows but the graph has {knn.n_points}")
    rng = np.random.default_rng(random_state)
    rows = rng.choice(knn.n_points, size=min(n_queries, knn.n_points), replace=False)
    from compute.graph.knn_kernels import pair_distances

    exact_kth = _exact_kth_distance(points, rows, knn.maxk)
    stored = pair_distances(points, rows, knn.indices[rows, 1:])  # not trusting knn.distances
    tolerance = 1e-9 * np.maximum(exact_kth, 1.0)
    hits = stored <= (exact_kth + tolerance)[:, None]
    return float(hits.mean())


def estimation_graph(knn: KnnGraph) -> tuple[KnnGraph, np.ndarray | None]:
    """The graph an estimator should run on, and how to map its rows back.

    Returns ``(knn.distinct, inverse)`` when the graph collapsed duplicates (expand a
    per-row result with ``result[inverse]``), else ``(knn, None)``. Raises ValueError if the
    graph has zero distances off column 0 that were not collapsed (a graph built by hand
    from data with duplicates).
    """
    if knn.distinct is not None and knn.deduplication is not None:
        graph, inverse = knn.distinct, knn.deduplication.inverse
    else:
        graph, inverse = knn, None
    if graph.maxk >= 1 and np.any(graph.distances[:, 1] <= 0.0):
        n_zero = int(np.count_nonzero(graph.distances[:, 1] <= 0.0))
        raise ValueError(f"{n_zero} points have a neighbour at distance 0 (duplicate vectors);"
                         " build the graph with compute.graph.knn.knn_graph(x), which collapses "
                         "duplicates, or remove them first (compute.graph.knn.deduplicate)")
    return graph, inverse


# --------------------------------------------------------------------------- internals


def _set_faiss_threads() -> None:
    """The cores this process may use (:func:`compute._parallel.usable_cores`), unless
    OMP_NUM_THREADS says otherwise."""
    import faiss

    faiss.omp_set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or usable_cores()))


def _distinct_graph(points: np.ndarray, maxk: int, method: str, batch_size: int,
                    progress: ProgressFn | None, random_state: int) -> KnnGraph:
    """Graph over rows with no exact duplicates.

    The search and the distances run on ``points`` divided by :func:`unit_scale` (exact), so
    huge or tiny units neither overflow to inf nor underflow to 0; distances are scaled back.
    """
    scale = unit_scale(points)
    scaled = points / scale
    query = np.empty(scaled.shape, dtype=np.float32)  # centred in float64, stored float32:
    np.subtract(scaled, scaled.mean(axis=0, dtype=np.float64), out=query, casting="unsafe")
    indices = _search(query, maxk, method, batch_size, progress, random_state)
    distances, indices = _exact_rows(scaled, indices)
    recall, sample = (None, 0) if method == "exact" else _sample_recall(
        scaled, query, distances, random_state)
    distances *= scale
    if not np.isfinite(distances).all():
        raise ValueError(f"distances between rows of x overflow float64 (values up to "
                         f"{scale:.3g}); divide x by a large constant first")
    return KnnGraph(distances=distances, indices=indices, method=method, recall=recall,
                    recall_sample=sample)


def _sample_recall(scaled: np.ndarray, query: np.ndarray, distances: np.ndarray,
                   random_state: int) -> tuple[float, int]:
    """Recall@maxk of a graph's exact ``distances`` (N, maxk + 1) against brute-force search
    on :data:`RECALL_SAMPLE` random rows: the fraction of stored neighbours within the true
    maxk-th neighbour distance (robust to ties). ``query``: the float32 centred rows that
    were searched, ``scaled``: the rows the distances were computed from."""
    import faiss

    from compute.graph.knn_kernels import pair_distances

    n, maxk = distances.shape[0], distances.shape[1] - 1
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(n, size=min(RECALL_SAMPLE, n), replace=False))
    _, neighbours = faiss.knn(query[rows], query, maxk + 1)  # brute force, no index copy
    exact_kth = np.sort(pair_distances(scaled, rows, neighbours), axis=1)[:, maxk]
    tolerance = 1e-9 * np.maximum(exact_kth, 1.0)
    recall = float((distances[rows, 1:] <= (exact_kth + tolerance)[:, None]).mean())
    if recall < RECALL_WARNING:
        log.warning("approximate neighbours: recall@%d %.3f on %d rows is below %.2f; "
                    "use --knn exact (slower) for exact neighbours", maxk, recall,
                    rows.size, RECALL_WARNING)
    return recall, int(rows.size)


def _build_index(query: np.ndarray, method: str):
    """A faiss index over ``query`` for the exact and HNSW searches."""
    import faiss

    dim = query.shape[1]
    if method == "exact":
        index = faiss.IndexFlatL2(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, 32)
        index.hnsw.efConstruction = 64
        index.hnsw.efSearch = 256
    index.add(query)
    return index


@dataclass(frozen=True)
class _InvertedLists:
    """``query`` regrouped by the coarse k-means cell (list) of each row.

    order: (N,) int64, row ``j`` of ``points`` is ``query[order[j]]``; points: (N, D)
    float32, list ``l`` in rows ``bounds[l]:bounds[l + 1]``; norms: (N,) float32 squared
    norms; probes: (N, P) int64, the P lists nearest each row of ``points`` (its own first).
    """

    order: np.ndarray
    points: np.ndarray
    norms: np.ndarray
    bounds: np.ndarray
    probes: np.ndarray


def _inverted_lists(query: np.ndarray, random_state: int) -> _InvertedLists:
    """sqrt(N) k-means lists (faiss's k-means: :data:`IVF_TRAIN_ITERATIONS` iterations on
    :data:`IVF_TRAIN_PER_LIST` rows per list) and the :data:`IVF_PROBES` nearest per row."""
    import faiss

    n, dim = query.shape
    nlist = max(1, min(int(round(np.sqrt(n))), n // 39))
    kmeans = faiss.Kmeans(dim, nlist, niter=IVF_TRAIN_ITERATIONS, seed=int(random_state),
                          max_points_per_centroid=IVF_TRAIN_PER_LIST)
    rng = np.random.default_rng(random_state)
    sample = rng.choice(n, size=min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
    kmeans.train(query[np.sort(sample)])
    _, probes = kmeans.index.search(query, min(nlist, IVF_PROBES))
    order = np.argsort(probes[:, 0], kind="stable")
    bounds = np.searchsorted(probes[order, 0], np.arange(nlist + 1)).astype(np.int64)
    points = np.ascontiguousarray(query[order])
    return _InvertedLists(order=order, points=points,
                          norms=np.einsum("ij,ij->i", points, points),
                          bounds=bounds, probes=np.ascontiguousarray(probes[order]))


def _search(query: np.ndarray, maxk: int, method: str, batch_size: int,
            progress: ProgressFn | None, random_state: int) -> np.ndarray:
    """(n, maxk + 1) int64 neighbour rows (self included somewhere; -1 never)."""
    _set_faiss_threads()
    n = query.shape[0]
    indices = np.empty((n, maxk + 1), dtype=np.int64)
    report(progress, 0, n)
    if method == "ivf":
        from compute.graph.knn_kernels import ivf_rows

        lists = _inverted_lists(query, random_state)
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            found = ivf_rows(lists.points, lists.norms, lists.bounds, lists.probes, start,
                             stop, maxk + 1)  # rows of lists.points
            indices[lists.order[start:stop]] = np.where(found >= 0, lists.order[found], -1)
            report(progress, stop, n)
    else:
        index = _build_index(query, method)
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            _, indices[start:stop] = index.search(query[start:stop], maxk + 1)
            report(progress, stop, n)
    missing = np.flatnonzero((indices < 0).any(axis=1))
    if missing.size and method != "exact":  # too few candidates probed: redo those exactly
        import faiss

        flat = faiss.IndexFlatL2(query.shape[1])
        flat.add(query)
        _, indices[missing] = flat.search(query[missing], maxk + 1)
    _put_self_in_row(indices)
    return indices


def _put_self_in_row(indices: np.ndarray) -> None:
    """Make sure every row contains its own index (replacing the farthest if absent)."""
    rows = np.arange(indices.shape[0])
    absent = ~(indices == rows[:, None]).any(axis=1)
    indices[absent, -1] = rows[absent]


def _exact_rows(points: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 distances for the stored pairs, rows sorted by them (self first)."""
    from compute.graph.knn_kernels import sorted_rows

    return sorted_rows(points, indices)


def _exact_kth_distance(points: np.ndarray, rows: np.ndarray, maxk: int) -> np.ndarray:
    """Exact float64 distance from each of ``rows`` to its maxk-th neighbour."""
    _set_faiss_threads()
    import faiss

    centred = np.ascontiguousarray(points - points.mean(axis=0, dtype=np.float64),
                                   dtype=np.float32)
    index = faiss.IndexFlatL2(centred.shape[1])
    index.add(centred)
    _, neighbours = index.search(centred[rows], maxk + 1)
    from compute.graph.knn_kernels import pair_distances

    dist = np.sort(pair_distances(points, rows, neighbours), axis=1)
    return dist[:, maxk]  # column 0 is the point itself (or a copy at distance 0)


def _expand_duplicates(distinct: KnnGraph, dedup: Deduplication) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """N-row graph from the distinct graph: copies of a vector are adjacent at distance 0.

    Row i lists i itself, then the other copies of its vector, then the copies of each
    distinct neighbour in order, truncated to maxk + 1 columns.
    """
    maxk = distinct.maxk
    order = np.argsort(dedup.inverse, kind="stable")  # input rows grouped by distinct id
    starts = np.concatenate([[0], np.cumsum(dedup.multiplicity)[:-1]])
    m = dedup.n_distinct
    # expanded rows per distinct point, one column at a time (maxk + 1 columns)
    slot = np.zeros(m, dtype=np.int64)
    offset = np.zeros(m, dtype=np.int64)
    rows_m = np.arange(m)
    expanded = np.empty((m, maxk + 1), dtype=np.int64)
    expanded_d = np.empty((m, maxk + 1), dtype=np.float64)
    for col in range(maxk + 1):
        unique_id = distinct.indices[rows_m, slot]
        expanded[:, col] = order[starts[unique_id] + offset]
        expanded_d[:, col] = distinct.distances[rows_m, slot]
        offset += 1
        done = offset >= dedup.multiplicity[unique_id]
        slot[done] += 1
        offset[done] = 0
        np.minimum(slot, maxk, out=slot)
    full = expanded[dedup.inverse]  # (N, maxk + 1): copies of row i's vector come first
    full_d = expanded_d[dedup.inverse]
    n = dedup.n_points
    own = np.arange(n)
    keep = full != own[:, None]
    absent = keep.all(axis=1)
    keep[absent, -1] = False  # i not listed (more copies than columns): drop the last
    indices = np.empty((n, maxk + 1), dtype=np.int64)
    distances = np.empty((n, maxk + 1), dtype=np.float64)
    indices[:, 0] = own
    distances[:, 0] = 0.0
    indices[:, 1:] = full[keep].reshape(n, maxk)
    distances[:, 1:] = full_d[keep].reshape(n, maxk)
    return distances, indices
