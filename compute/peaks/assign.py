"""Place new images into existing clusters without re-clustering.

A new vector gets a kNN log-density estimate against the original points (same intrinsic
dimension, same normalisation N as the original estimate) and takes the cluster of its
nearest *denser* original point, the rule ADP itself uses to assign non-peak points. A new
point denser than all its searched neighbours (it would be a peak) takes its nearest
neighbour's cluster and is flagged, so a user can see where the clustering may be stale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compute.arrays import unit_scale
from compute.graph.density import log_unit_ball_volume


@dataclass(frozen=True)
class Assignment:
    """Clusters of M new points.

    labels:       (M,) int64 cluster (from the original labels).
    neighbour:    (M,) int64 original row the cluster was taken from.
    distance:     (M,) float64 Euclidean distance to that row.
    log_density:  (M,) float64 kNN log-density estimate of the new point.
    denser_found: (M,) bool, False where no searched original point was denser (the
        cluster is then the nearest neighbour's).
    is_halo:      (M,) bool, below its cluster's halo threshold (all False without one).
    """

    labels: np.ndarray
    neighbour: np.ndarray
    distance: np.ndarray
    log_density: np.ndarray
    denser_found: np.ndarray
    is_halo: np.ndarray

    @property
    def assigned(self) -> np.ndarray:
        """(M,) bool, all True: every point here was assigned, not clustered."""
        return np.ones(len(self.labels), dtype=bool)


def assign_new_points(new: np.ndarray, *, old: np.ndarray, old_log_density: np.ndarray,
                      old_labels: np.ndarray, intrinsic_dim: float, k: int = 10,
                      n_search: int = 100, halo_threshold: np.ndarray | None = None
                      ) -> Assignment:
    """Assign each row of ``new`` (M, D) to a cluster of ``old`` (N, D).

    old_log_density: (N,) rho of the original points; old_labels: (N,) int clusters
    0..K-1; intrinsic_dim: the d of the original density estimate; k: neighbours for the
    new points' density, rho = ln k - ln omega_d - d ln r_k - ln N; n_search: how many
    nearest original points are searched for a denser one; halo_threshold: (K,) e.g. each
    cluster's highest saddle log-density (a new point below it is halo).
    """
    new, old = _points(new, "new"), _points(old, "old")
    n_old = len(old)
    old_log_density = np.asarray(old_log_density, dtype=np.float64)
    old_labels = np.asarray(old_labels, dtype=np.int64)
    if new.shape[1] != old.shape[1]:
        raise ValueError(f"new vectors have {new.shape[1]} dimensions, the original ones "
                         f"{old.shape[1]}: embed the new images with the same backbone")
    if old_log_density.shape != (n_old,) or old_labels.shape != (n_old,):
        raise ValueError(f"old_log_density and old_labels need one value per original point "
                         f"({n_old}); got {old_log_density.shape} and {old_labels.shape}")
    if not 1 <= k <= n_old or not (np.isfinite(intrinsic_dim) and intrinsic_dim > 0):
        raise ValueError(f"need 1 <= k <= {n_old} original points and a finite "
                         f"intrinsic_dim > 0; got k={k}, intrinsic_dim={intrinsic_dim}")
    n_search = max(k, min(n_search, n_old))
    unit = max(unit_scale(new), unit_scale(old))  # exact rescaling: no overflow/underflow
    dist, ind = _nearest(new / unit, old / unit, n_search)
    with np.errstate(divide="ignore"):  # a copy of an original point: rho = +inf
        rho = (np.log(k) - log_unit_ball_volume(intrinsic_dim)
               - intrinsic_dim * (np.log(dist[:, k - 1]) + np.log(unit)) - np.log(n_old))
    dist *= unit
    denser = old_log_density[ind] > rho[:, None]
    found = denser.any(axis=1)
    column = np.where(found, np.argmax(denser, axis=1), 0)
    rows = np.arange(len(new))
    neighbour = ind[rows, column]
    labels = old_labels[neighbour]
    is_halo = np.zeros(len(new), dtype=bool)
    if halo_threshold is not None:
        is_halo = rho < np.asarray(halo_threshold, dtype=np.float64)[labels]
    return Assignment(labels=labels, neighbour=neighbour, distance=dist[rows, column],
                      log_density=rho, denser_found=found, is_halo=is_halo)


def _points(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0 or not np.isfinite(x).all():
        raise ValueError(f"{name} must be a non-empty (rows, D) array of finite numbers; got "
                         f"shape {x.shape}")
    return x


def _nearest(query: np.ndarray, data: np.ndarray, k: int,
             batch: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean (M, k) distances and indices, nearest first."""
    dist = np.empty((len(query), k))
    ind = np.empty((len(query), k), dtype=np.int64)
    data_sq = np.einsum("ij,ij->i", data, data)
    for start in range(0, len(query), batch):
        q = query[start:start + batch]
        d2 = np.einsum("ij,ij->i", q, q)[:, None] - 2.0 * q @ data.T + data_sq[None, :]
        part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(d2, part, axis=1).argsort(axis=1, kind="stable")
        part = np.take_along_axis(part, order, axis=1)
        ind[start:start + batch] = part
        dist[start:start + batch] = np.sqrt(np.clip(
            np.take_along_axis(d2, part, axis=1), 0.0, None))
    return dist, ind
