"""Low-dimensional projections of embeddings for display (2-D or 3-D)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compute.progress import ProgressFn, report

METHODS = ("pca",)


@dataclass(frozen=True)
class Projection:
    """``coords`` (N, n_components) float32; ``explained`` the variance ratio per axis (PCA)."""

    coords: np.ndarray
    method: str
    explained: np.ndarray | None = None


def project(vectors: np.ndarray, *, method: str = "pca", n_components: int = 2,
            random_state: int = 0, progress: ProgressFn | None = None) -> Projection:
    """Project ``vectors`` (N, D) to ``n_components`` dimensions."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need an (N, D) array with N >= 2 to project, got shape {x.shape}")
    if method != "pca":
        raise ValueError(f"unknown projection {method!r}; choose one of {METHODS}")
    if n_components not in (2, 3):
        raise ValueError("n_components must be 2 or 3")
    from sklearn.decomposition import PCA

    k = min(n_components, x.shape[1])
    pca = PCA(n_components=k, random_state=random_state).fit(x)
    coords = pca.transform(x).astype(np.float32)
    if k < n_components:  # 1-D input: pad with zeros so plots always get the axes they ask for
        coords = np.pad(coords, ((0, 0), (0, n_components - k)))
    report(progress, 1, 1)
    return Projection(coords=coords, method="pca", explained=pca.explained_variance_ratio_)
