"""Which members of a cluster are halo (uncertain), by one of two rules.

* ``"dadapy"`` (DADApy's definition, ADP step 7): every member whose log-density is below
  its cluster's highest saddle. On CNN features most points lie below some saddle, so most
  of a scatter turns halo (89-94 % on the sets of issue 15).
* ``"border"`` (the default): a member is halo only where it lies near a border: one of its
  own k* nearest neighbours belongs to another cluster, and its log-density is below the
  saddle between the two clusters. Cores and the far sides of clusters stay core.
"""

from __future__ import annotations

import numpy as np

from compute.params import HALO_RULES


def border_neighbours(indices: np.ndarray, kstar: np.ndarray) -> np.ndarray:
    """(N, m) int64: each point's first k*_i neighbours (column 0 of ``indices`` is the
    point itself and is dropped), -1 beyond k*_i; m = max k*.

    indices: (N, maxk + 1) int64 kNN graph rows; kstar: (N,) int64 in 1..maxk.
    """
    kstar = np.asarray(kstar, dtype=np.int64)
    width = int(kstar.max(initial=1))
    neighbours = np.asarray(indices, dtype=np.int64)[:, 1:width + 1].copy()
    neighbours[np.arange(width)[None, :] >= kstar[:, None]] = -1
    return neighbours


def halo_mask(rule: str, *, labels: np.ndarray, log_density: np.ndarray,
              saddle_log_density: np.ndarray, neighbours: np.ndarray | None = None
              ) -> np.ndarray:
    """(N,) bool halo flags under ``rule`` ("border" or "dadapy").

    labels: (N,) int64 clusters 0..K-1; log_density: (N,) float64 rho; saddle_log_density:
    (K, K) float64 saddle rho between clusters (-inf where none, and on the diagonal);
    neighbours: (N, m) int64 from :func:`border_neighbours` (-1 = none), needed by "border".
    """
    if rule not in HALO_RULES:
        raise ValueError(f"halo rule must be one of {HALO_RULES}, not {rule!r}")
    labels = np.asarray(labels, dtype=np.int64)
    rho = np.asarray(log_density, dtype=np.float64)
    if saddle_log_density.shape[0] == 0:
        return np.zeros(labels.shape, dtype=bool)
    if rule == "dadapy":
        return rho < saddle_log_density.max(axis=1)[labels]
    if neighbours is None:
        raise ValueError("the border halo rule needs each point's neighbours "
                         "(border_neighbours(knn.indices, density.kstar))")
    valid = neighbours >= 0
    theirs = labels[np.where(valid, neighbours, 0)]
    saddle = saddle_log_density[labels[:, None], theirs]  # -inf for the own cluster
    return ((rho[:, None] < saddle) & valid & (theirs != labels[:, None])).any(axis=1)
