"""A low-dimensional UMAP manifold of an embedding, built from its kNN graph.

Peer tools cluster a UMAP projection of CNN features; :func:`umap_manifold` gives the
density-peak analysis the same footing in a principled dimension: ``d`` is the 2-NN
intrinsic dimension of the embedding rounded (at least 1), capped at ``dim_cap``, and UMAP
reads its neighbours from the kNN graph already built (no second neighbour search).
The density peaks are then found among the manifold's points (:mod:`compute.peaks.topography`).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from compute.graph.knn import KnnGraph

log = logging.getLogger(__name__)

#: The cluster space's UMAP seed (not a view's): the manifold is reproducible.
RANDOM_STATE = 0
#: umap-learn's modules whose numba kernels it compiles without numba's on-disk cache.
UMAP_KERNEL_MODULES = ("umap.layouts", "umap.umap_", "umap.utils", "umap.spectral",
                       "umap.sparse", "umap.distances")
_umap_kernels_cached = False


@dataclass(frozen=True)
class Manifold:
    """points: (N, dimension) float64 coordinates on the manifold (UMAP's units).

    dimension: d, the manifold's dimension; intrinsic_dim: the 2-NN estimate of the
    original space it came from; n_neighbors: UMAP's neighbourhood (read from the graph);
    min_dist: UMAP's min_dist (how tightly it packed the points).
    """

    points: np.ndarray
    dimension: int
    intrinsic_dim: float
    n_neighbors: int
    min_dist: float

    def describe(self) -> str:
        """``a 2-D UMAP manifold (intrinsic dimension 7.3, capped at 2)``-like words."""
        return (f"a {self.dimension}-D UMAP manifold of the embedding (its intrinsic "
                f"dimension is {self.intrinsic_dim:.1f}; {self.n_neighbors} neighbours)")


def manifold_dimension(intrinsic_dim: float, dim_cap: int) -> int:
    """``round(intrinsic_dim)`` clipped to 1..``dim_cap``."""
    if not np.isfinite(intrinsic_dim) or dim_cap < 1:
        raise ValueError(f"need a finite intrinsic dimension and dim_cap >= 1, got "
                         f"{intrinsic_dim} and {dim_cap}")
    return int(min(max(1, round(intrinsic_dim)), dim_cap))


def umap_manifold(points: np.ndarray, knn: KnnGraph, *, intrinsic_dim: float, dim_cap: int,
                  n_neighbors: int, min_dist: float,
                  random_state: int = RANDOM_STATE) -> Manifold:
    """The ``d``-dimensional UMAP embedding of ``points`` (N, D), the rows of ``knn``.

    points: only where the graph has separate components (UMAP lays them out by their
    centroids); knn: the embedding's graph (its first ``n_neighbors`` columns are UMAP's
    neighbours; ``n_neighbors`` is clamped to the graph's width); intrinsic_dim: its 2-NN
    dimension; d = :func:`manifold_dimension`; min_dist: UMAP's (0-1). Deterministic for a
    given ``random_state`` (serial UMAP). Raises ValueError for fewer than 3 points.
    """
    n = knn.n_points
    if len(points) != n:
        raise ValueError(f"the kNN graph has {n} rows but there are {len(points)} points; "
                         "build the graph on these points")
    if n < 3:
        raise ValueError(f"a UMAP manifold needs at least 3 points, got {n}")
    dimension = manifold_dimension(intrinsic_dim, dim_cap)
    neighbours = int(min(n_neighbors, knn.maxk + 1))
    indices = knn.indices[:, :neighbours].astype(np.int32)
    distances = knn.distances[:, :neighbours].astype(np.float32)
    fit = _in_child_if_serial(_umap_layout)
    points = fit(np.asarray(points, dtype=np.float32), indices, distances, dimension,
                 float(min_dist), random_state)
    log.info("UMAP manifold: %d points, %d-D (intrinsic dimension %.2f)", n, dimension,
             intrinsic_dim)
    return Manifold(points=points, dimension=dimension, intrinsic_dim=float(intrinsic_dim),
                    n_neighbors=neighbours, min_dist=float(min_dist))


def _umap_layout(points: np.ndarray, indices: np.ndarray, distances: np.ndarray,
                 dimension: int, min_dist: float, random_state: int) -> np.ndarray:
    """UMAP's (N, dimension) float64 layout of ``points`` (N, D) float32 from their
    precomputed neighbours (N, n_neighbors) int32 / float32."""
    umap = import_umap()
    n, neighbours = indices.shape
    model = umap.UMAP(n_components=dimension, n_neighbors=neighbours, min_dist=min_dist,
                      random_state=random_state, n_jobs=1, init=_init(n, dimension),
                      precomputed_knn=(indices, distances, None))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        warnings.filterwarnings("ignore", message="Graph is not fully connected")
        return model.fit_transform(points).astype(np.float64)


def import_umap():
    """The ``umap`` module, its numba kernels cached on disk like ours.

    umap-learn compiles about a hundred numba kernels without numba's cache, so every new
    process (a command, a dashboard job's child) spent 4-5 CPU-s on its first small layout,
    mostly compiling them again; with the cache about 1 CPU-s, the import included
    (measured on 300 points; benchmarks/RESULTS.md, issue 16). Caching changes no result:
    the same compiled code is stored and loaded. Where a numba release lacks the hook, umap
    compiles as before."""
    global _umap_kernels_cached
    import importlib

    import umap

    if not _umap_kernels_cached:
        from numba.core.dispatcher import Dispatcher

        for name in UMAP_KERNEL_MODULES:
            module = importlib.import_module(name)
            for kernel in vars(module).values():
                if isinstance(kernel, Dispatcher) and hasattr(kernel, "enable_caching"):
                    kernel.enable_caching()
        _umap_kernels_cached = True
    return umap


def _in_child_if_serial(fn):
    """``fn`` itself, or, in a process that must stay serial (the page's server, which
    forks its jobs: :func:`compute._parallel.stay_serial_in_this_process`), ``fn`` run in
    a child process. UMAP's numba kernels start numba's thread pool, and a fork after that
    can deadlock the forked job; the child takes the pool with it when it exits."""
    from compute._parallel import parallel_kernels_allowed

    if parallel_kernels_allowed():
        return fn

    def in_child(*args):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method)) as pool:
            return pool.submit(fn, *args).result()
    return in_child


def _init(n: int, dimension: int) -> str:
    """UMAP's spectral start needs more points than dimensions + 1; else random."""
    return "spectral" if n > dimension + 2 else "random"
