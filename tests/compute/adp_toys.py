"""Small hand-made inputs shared by the ADP, hierarchy and model-selection tests."""

from __future__ import annotations

import numpy as np

from compute.graph.density import Density
from compute.graph.knn import KnnGraph
from compute.peaks import Clustering, adp


def brute_force_graph(x: np.ndarray, maxk: int) -> KnnGraph:
    """Exact kNN of (N, D) ``x`` with the point itself in column 0 (ties broken by index)."""
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, -1.0)
    ind = np.argsort(d, axis=1, kind="stable")[:, : maxk + 1]
    dist = np.take_along_axis(d, ind, axis=1)
    dist[:, 0] = 0.0
    return KnnGraph(distances=dist, indices=ind.astype(np.int64))


def line_case(rho: np.ndarray, *, maxk: int, kstar: int,
              sigma: float = 0.1) -> tuple[KnnGraph, Density]:
    """Points 0, 1, 2, ... on a line with the given log-densities and a fixed k*."""
    x = np.arange(rho.size, dtype=float)[:, None]
    knn = brute_force_graph(x, maxk)
    density = Density(rho, np.full(rho.size, sigma), np.full(rho.size, kstar), "knn", 1.0)
    return knn, density


THREE_BUMPS = np.array([0.0, 1.0, 3.0, 2.0, 1.0, 0.5, 1.5, 2.5, 4.0, 3.0, 2.0, 1.0, 2.5, 3.5,
                        5.0, 3.0])


def three_bumps(z: float = 1.0) -> tuple[KnnGraph, Density, Clustering]:
    """Peaks at rows 2, 8 and 14 (rho 3, 4, 5); saddles 1.5 (between the first two) and 2.5
    (between the last two); the first and last bumps share no border."""
    knn, density = line_case(THREE_BUMPS, maxk=4, kstar=2)
    return knn, density, adp(knn, density, z=z)


def rays(n_per_ray: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two directions in 8-D, the points of each at a short or a long radius (1-1.3 or
    8-10.4, at random): the direction is the class, the norm is noise."""
    rng = np.random.default_rng(seed)
    directions = np.linalg.qr(rng.normal(size=(8, 2)))[0].T  # two orthonormal rows
    truth = np.repeat([0, 1], n_per_ray)
    radius = (rng.uniform(1.0, 1.3, truth.size) * rng.choice([1.0, 8.0], truth.size))[:, None]
    x = radius * (directions[truth] + 0.05 * rng.normal(size=(truth.size, 8)))
    return x.astype(np.float32), truth

