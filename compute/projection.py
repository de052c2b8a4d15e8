"""Low-dimensional projections of embeddings for display (2-D or 3-D).

PCA is the default (fast, deterministic, no compilation). t-SNE comes from scikit-learn;
UMAP from umap-learn, reusing the kNN graph of the density steps (``precomputed_knn``) so
it never searches neighbours again. umap-learn compiles numba code for ~20 s the first
time it is imported in a process, so it is imported only when UMAP is asked for.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from compute.arrays import as_points
from compute.graph.knn import KnnGraph
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)

METHODS = ("pca", "tsne", "umap", "manifold")
# "manifold": the 2-D UMAP manifold the density peaks were found on (AnalysisParams.space
# "umap"): the analysis made it, so showing it costs nothing and shows the cluster space
# itself (compute.pipeline.project_analysis)
PROJECTION_VERSION = "2"


@dataclass(frozen=True)
class ProjectionParams:
    """How to project. Only the fields of the chosen ``method`` matter.

    perplexity: t-SNE perplexity (must be below the number of points).
    n_neighbors, min_dist: UMAP's neighbourhood size and minimum distance in the layout.
    """

    method: str = "pca"
    n_components: int = 2
    random_state: int = 0
    perplexity: float = 30.0
    n_neighbors: int = 15
    min_dist: float = 0.1

    def relevant(self) -> dict[str, float | int | str]:
        """The parameters that change the result of ``method`` (a cache key)."""
        out: dict[str, float | int | str] = {"method": self.method,
                                              "n_components": self.n_components}
        if self.method != "pca":
            out["random_state"] = self.random_state
        if self.method == "tsne":
            out["perplexity"] = float(self.perplexity)
        if self.method == "umap":
            out.update(n_neighbors=int(self.n_neighbors), min_dist=float(self.min_dist))
        if self.method == "manifold":
            out.pop("random_state")  # the analysis' own layout
        return out


@dataclass(frozen=True)
class Projection:
    """``coords`` (N, n_components) float32; ``explained`` the variance ratio per axis (PCA)."""

    coords: np.ndarray
    method: str
    explained: np.ndarray | None = None


def validate_params(params: ProjectionParams, n_points: int) -> None:
    """Raise ValueError, saying what to change, if ``params`` cannot project ``n_points``."""
    if params.method not in METHODS:
        raise ValueError(f"unknown projection {params.method!r}; choose one of {METHODS}")
    if params.n_components not in (2, 3):
        raise ValueError("n_components must be 2 or 3")
    if params.method == "tsne" and not 0 < params.perplexity < n_points:
        suggested = max(1, (n_points - 1) // 3)
        raise ValueError(f"t-SNE perplexity must be in (0, {n_points}) for {n_points} points; "
                         f"got {params.perplexity:g}: set perplexity to {suggested} (a third "
                         "of the images), or choose UMAP or PCA")
    if params.method == "umap":
        if params.n_neighbors < 2:
            raise ValueError(f"UMAP n_neighbors must be at least 2; got {params.n_neighbors}")
        if not 0.0 <= params.min_dist <= 1.0:
            raise ValueError(f"UMAP min_dist must be in [0, 1]; got {params.min_dist}")


def project(vectors: np.ndarray, *, method: str = "pca", n_components: int = 2,
            random_state: int = 0, params: ProjectionParams | None = None,
            knn: KnnGraph | None = None, progress: ProgressFn | None = None) -> Projection:
    """Project ``vectors`` (N, D) to 2 or 3 dimensions.

    Either pass ``method``/``n_components``/``random_state`` or a full ``params``.
    ``knn`` (over the same rows, Euclidean, self in column 0) lets UMAP skip its own
    neighbour search; it needs ``knn.maxk + 1 >= n_neighbors``.
    """
    params = params or ProjectionParams(method=method, n_components=n_components,
                                        random_state=random_state)
    x = as_points(vectors, name="vectors")
    if x.shape[0] < 2:
        raise ValueError(f"need an (N, D) array with N >= 2 to project, got shape {x.shape}")
    with np.errstate(over="ignore"):
        x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise ValueError("vectors exceed the float32 range (about 3.4e38) used for "
                         "projections: divide them by a large constant first")
    validate_params(params, x.shape[0])
    log.info("projecting %s with %s", x.shape, params.relevant())
    if params.method == "pca":
        result = _pca(x, params)
    elif params.method == "tsne":
        result = Projection(coords=_tsne(x, params), method="tsne")
    else:
        result = Projection(coords=_umap(x, params, knn), method="umap")
    report(progress, 1, 1)
    return result


def _pca(x: np.ndarray, params: ProjectionParams) -> Projection:
    from sklearn.decomposition import PCA

    k = min(params.n_components, x.shape[1], x.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):  # constant vectors: 0 / 0 ratios
        pca = PCA(n_components=k, random_state=params.random_state).fit(x)
    coords = pca.transform(x).astype(np.float32)
    if k < params.n_components:  # too few dimensions: pad so plots get the axes they ask for
        coords = np.pad(coords, ((0, 0), (0, params.n_components - k)))
    explained = pca.explained_variance_ratio_
    if not np.isfinite(explained).all():  # constant vectors: no variance to explain
        explained = np.zeros_like(explained)
    return Projection(coords=coords, method="pca", explained=explained)


def _tsne(x: np.ndarray, params: ProjectionParams) -> np.ndarray:
    from sklearn.manifold import TSNE

    tsne = TSNE(n_components=params.n_components, perplexity=params.perplexity, init="pca",
                random_state=params.random_state)
    return tsne.fit_transform(x).astype(np.float32)


def _umap(x: np.ndarray, params: ProjectionParams, knn: KnnGraph | None) -> np.ndarray:
    from compute.graph.manifold import import_umap

    umap = import_umap()  # its numba kernels cached on disk

    n_neighbors = min(params.n_neighbors, x.shape[0] - 1)
    precomputed = (None, None, None)
    if knn is not None:
        if knn.n_points != x.shape[0]:
            raise ValueError(f"the kNN graph has {knn.n_points} rows but the embedding has "
                             f"{x.shape[0]}; rebuild the graph for these vectors")
        if knn.maxk + 1 >= n_neighbors:
            precomputed = (knn.indices[:, :n_neighbors].astype(np.int32),
                           knn.distances[:, :n_neighbors].astype(np.float32))
        else:
            log.warning("kNN graph (maxk=%d) too small for UMAP n_neighbors=%d: UMAP searches "
                        "its own neighbours", knn.maxk, n_neighbors)
    model = umap.UMAP(n_components=params.n_components, n_neighbors=n_neighbors,
                      min_dist=params.min_dist, random_state=params.random_state,
                      n_jobs=1, precomputed_knn=precomputed)
    with warnings.catch_warnings():  # no search index: we never call transform()
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        return model.fit_transform(x).astype(np.float32)
