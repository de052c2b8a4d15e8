"""Log-densities with errors (kNN with fixed k, or PAk) over a kNN graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
