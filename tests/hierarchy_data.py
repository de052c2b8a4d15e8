"""A small hand-made clustering (4 clusters, a known tree) for naming, export and figures.

Importable from every test folder (pytest puts ``tests/`` on ``sys.path`` for its conftest).
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from compute.naming import LabelledClustering, RunInfo, tree_from_linkage

NO_SADDLE = -np.inf
PEAKS = np.array([5.0, 4.5, 4.0, 3.0])
# Saddles 0-1 at 3.5, 2-3 at 2.5, 1-2 at 2.0, 0-2 at 1.0; no border between the others.
SADDLES = np.full((4, 4), NO_SADDLE)
for (a, b), h in {(0, 1): 3.5, (2, 3): 2.5, (1, 2): 2.0, (0, 2): 1.0}.items():
    SADDLES[a, b] = SADDLES[b, a] = h
RUN = RunInfo(data_fingerprint="toy", backbone="pixels", weights="none", density="pak",
              k=None, z=1.65)


def peak_distance_linkage(peaks: np.ndarray, saddles: np.ndarray, rho_max: float) -> np.ndarray:
    """SciPy single linkage on D = rho_max - saddle (no saddle: farther than any)."""
    has = np.isfinite(saddles)
    D = np.where(has, rho_max - saddles, 0.0)
    D[~has] = D[has].max() + 1.0 if has.any() else 1.0
    np.fill_diagonal(D, 0.0)
    return linkage(squareform(D, checks=False), method="single")


def make_clustering(labels: np.ndarray, *, peaks: np.ndarray = PEAKS,
                    saddles: np.ndarray = SADDLES, id_prefix: str = "img",
                    peak_rows: np.ndarray | None = None) -> LabelledClustering:
    """A clustering of ``len(labels)`` images with ids ``{id_prefix}0000...``."""
    labels = np.asarray(labels, dtype=np.int64)
    K, n = len(peaks), len(labels)
    rho_max = float(np.max(peaks))
    tree_linkage = peak_distance_linkage(peaks, saddles, rho_max)
    tree = tree_from_linkage(tree_linkage, leaf_heights=peaks,
                             merge_heights=rho_max - tree_linkage[:, 2],
                             populations=np.bincount(labels, minlength=K))
    if peak_rows is None:
        peak_rows = np.array([np.flatnonzero(labels == c)[0] for c in range(K)])
    known = tuple(None if i % 7 == 0 else ("=cmd|' /C calc'!A0" if i % 11 == 0 else
                                           f"class-{labels[i]}") for i in range(n))
    return LabelledClustering(
        ids=tuple(f"{id_prefix}{i:04d}" for i in range(n)),
        paths=tuple(f"folder/{id_prefix}-{i}.png" for i in range(n)),
        known_labels=known, labels=labels, is_halo=np.arange(n) % 5 == 0,
        assigned=np.zeros(n, dtype=bool), peak_rows=np.asarray(peak_rows), tree=tree, run=RUN)


def toy_clustering(populations=(30, 20, 25, 10), *, seed: int = 0) -> LabelledClustering:
    """N = sum(populations) images; cluster c has populations[c] members (shuffled rows)."""
    rng = np.random.default_rng(seed)
    return make_clustering(rng.permutation(np.repeat(np.arange(4), populations)))
