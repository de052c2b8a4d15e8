"""Representation-quality report for any embedding (the seeds' section 3.2 and their NMI table).

Three views of how well an embedding separates known classes:

1. a class-balanced sample's distance matrix, rows and columns sorted by label (the
   heatmap: a good embedding shows dark diagonal blocks) -> :func:`label_sorted_distances`;
2. the Pearson correlation between those distances and the 0/1 label distance
   (:func:`compute.evaluation.scores.representation_check`);
3. NMI / AMI / ARI of the analysis' Advanced Density Peaks clusters (the same
   :class:`compute.params.AnalysisParams` as every other view), scored on the labelled
   subset (:func:`compute.evaluation.scores.score_clustering`), beside familiar references:
   k-means and agglomerative clustering told the number of classes, HDBSCAN told nothing
   (:func:`reference_clusterings`).

Everything is a pure function over arrays; :func:`heatmap_rgb` renders the matrix as an
RGB uint8 image without any plotting library (the CLI saves it with Pillow).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from compute.evaluation.scores import (
    Scores,
    labelled_mask,
    representation_check,
    score_clustering,
    silhouette,
)
from compute.params import AnalysisParams
from compute.progress import ProgressFn, report, scaled

if TYPE_CHECKING:
    from compute.peaks.topography import Topography

log = logging.getLogger(__name__)
MAX_BASELINE_POINTS = 5000  # agglomerative needs O(N^2) memory and time


@dataclass(frozen=True)
class LabelSortedDistances:
    """Distances within a class-balanced sample, sorted by label.

    distances: (n, n) float32 Euclidean distances; row/column i is input row ``rows[i]``.
    rows: (n,) int64 input rows, grouped by class (classes in sorted order).
    labels: (n,) str, the class of each sorted row.
    classes: the class names in block order; boundaries: (len(classes) + 1,) int64 block
    edges, class c occupying ``boundaries[c]:boundaries[c + 1]``.
    """

    distances: np.ndarray
    rows: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    boundaries: np.ndarray


@dataclass(frozen=True)
class ClusterQuality:
    """Scores of one clustering method on the labelled subset.

    method: e.g. "adp-pak-z1.65" or "kmeans-k10"; n_clusters found; scores (NMI/AMI/ARI and
    the confusion matrix, halo excluded if any); params used.
    """

    method: str
    n_clusters: int
    scores: Scores
    params: dict[str, Any]
    silhouette: float | None = None  # label-free: mean silhouette, halo / noise left out


@dataclass(frozen=True)
class QualityReport:
    """The whole report: sample heatmap arrays, label correlation, cluster scores."""

    n_points: int
    n_labelled: int
    pearson_r: float
    heatmap: LabelSortedDistances
    clusters: tuple[ClusterQuality, ...]
    intrinsic_dim: float | None

    def summary(self) -> dict[str, Any]:
        """JSON-able numbers (no matrices)."""
        return {
            "n_points": self.n_points, "n_labelled": self.n_labelled,
            "pearson_r_label_distance": self.pearson_r,
            "heatmap_sample": int(len(self.heatmap.rows)),
            "intrinsic_dim_2nn": self.intrinsic_dim,
            "clusters": [{"method": c.method, "n_clusters": c.n_clusters,
                          "nmi": c.scores.nmi, "ami": c.scores.ami, "ari": c.scores.ari,
                          "n_scored": c.scores.n_scored, "silhouette": c.silhouette,
                          "params": c.params}
                         for c in self.clusters],
        }


def class_balanced_rows(labels: Sequence[object] | np.ndarray, *, per_class: int,
                        random_state: int = 0) -> np.ndarray:
    """Row indices (n,) int64: min(per_class, smallest class) labelled rows of each class,
    grouped by class in sorted class order, seeded."""
    known = np.flatnonzero(labelled_mask(labels))
    names = np.asarray([str(v) for v in np.asarray(labels, dtype=object)[known]])
    classes, counts = np.unique(names, return_counts=True)
    if classes.size < 2:
        raise ValueError("the quality report needs labels for at least two classes: pass a "
                         "labels file with a 'label' column")
    take = int(min(per_class, counts.min()))
    rng = np.random.default_rng(random_state)
    return np.concatenate([np.sort(rng.choice(known[names == c], size=take, replace=False))
                           for c in classes]).astype(np.int64)


def label_sorted_distances(vectors: np.ndarray, labels: Sequence[object] | np.ndarray, *,
                           per_class: int = 100, random_state: int = 0) -> LabelSortedDistances:
    """The heatmap arrays: distances of a class-balanced sample sorted by label.

    vectors: (N, D) float; labels: (N,) with None / "" for unlabelled rows.
    """
    from scipy.spatial.distance import cdist

    x = _checked(vectors, labels)
    rows = class_balanced_rows(labels, per_class=per_class, random_state=random_state)
    sorted_labels = np.asarray([str(v) for v in np.asarray(labels, dtype=object)[rows]])
    classes, starts = np.unique(sorted_labels, return_index=True)
    boundaries = np.append(starts, len(rows)).astype(np.int64)
    dist = cdist(x[rows], x[rows]).astype(np.float32)
    return LabelSortedDistances(distances=dist, rows=rows, labels=sorted_labels,
                                classes=tuple(str(c) for c in classes), boundaries=boundaries)


def quality_report(vectors: np.ndarray, labels: Sequence[object] | np.ndarray, *,
                   params: AnalysisParams | None = None, per_class: int = 100,
                   with_adp: bool = True, with_baselines: bool = True, random_state: int = 0,
                   topography: Topography | None = None,
                   progress: ProgressFn | None = None) -> QualityReport:
    """The representation-quality report of ``vectors`` (N, D) against ``labels`` (N,).

    ``params``: the analysis (metric, graph, density, cut) whose ADP clusters are scored,
    as everywhere else (default :class:`AnalysisParams`); ``topography``: that analysis
    when the caller holds it already (nothing is recomputed; it must match ``params``).
    Under the cosine metric the whole report (r, heatmap, references, ADP) is of the
    L2-normalised rows (:func:`compute.arrays.metric_points`). Unlabelled rows (None / "")
    take part in the clustering but not in the scores. References told the number of
    classes K: k-means, and with ``with_baselines`` agglomerative (Ward) and HDBSCAN (told
    nothing), on at most :data:`MAX_BASELINE_POINTS` rows. ``with_adp=False`` skips ADP.
    """
    from compute.arrays import metric_points

    params = (AnalysisParams() if params is None else params).resolved(cnn_features=None)
    x = metric_points(_checked(vectors, labels), params.metric, name="vectors")
    _distinct_rows(x)
    check = representation_check(x, labels, per_class=per_class, random_state=random_state)
    heatmap = label_sorted_distances(x, labels, per_class=per_class, random_state=random_state)
    clusters = list(reference_clusterings(x, labels, n_classes=len(heatmap.classes),
                                          with_baselines=with_baselines,
                                          random_state=random_state))
    dim = None
    if with_adp:
        topo = _topography(vectors, params, topography, progress=scaled(progress, 0.1, 1.0))
        c, dim, params = topo.clustering, topo.intrinsic_dim.dimension, topo.params
        clusters.append(ClusterQuality(
            method=adp_method(params), n_clusters=c.n_clusters,
            scores=score_clustering(c.labels, labels, is_halo=c.is_halo),
            params=params.to_dict(),
            silhouette=silhouette(x, np.where(c.is_halo, -1, c.labels),
                                  random_state=random_state)))
    report(progress, 1, 1)
    return QualityReport(n_points=len(x), n_labelled=int(labelled_mask(labels).sum()),
                         pearson_r=check.pearson_r, heatmap=heatmap, clusters=tuple(clusters),
                         intrinsic_dim=dim)


def selection_tables(vectors: np.ndarray, labels: Sequence[object] | np.ndarray, *,
                     topography: Topography, random_state: int = 0
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """How the choice of density and Z, and the number of clusters, decide the scores (the
    seeds' grid), as rows for two CSV tables:

    * grid: ADP on the analysis' kNN graph for PAk and kNN-k densities x Z, with NMI / AMI /
      ARI and the number of clusters (:func:`compute.evaluation.model_selection.adp_grid`);
    * curves: NMI against the number of clusters for agglomerative (Ward, average) cuts,
      the known classes split at random (what over-splitting costs) and random labels
      (chance), on at most :data:`MAX_BASELINE_POINTS` rows.

    ``vectors`` are the analysis' rows in its metric (L2-normalised under cosine).
    """
    from compute.evaluation import model_selection as ms

    grid = ms.adp_grid(topography.knn, labels,
                       intrinsic_dim=topography.intrinsic_dim.dimension,
                       pak=topography.density if topography.params.density == "pak" else None)
    grid_rows = [{"density": d, "z": float(z), "n_clusters": int(grid.n_clusters[i, j]),
                  "nmi": float(grid.nmi[i, j]), "ami": float(grid.ami[i, j]),
                  "ari": float(grid.ari[i, j])}
                 for i, d in enumerate(grid.densities) for j, z in enumerate(grid.z_values)]
    rows = np.arange(len(vectors))
    if len(rows) > MAX_BASELINE_POINTS:
        rows = np.sort(np.random.default_rng(random_state).choice(
            len(rows), MAX_BASELINE_POINTS, replace=False))
    sample = np.asarray(labels, dtype=object)[rows]
    curves = [*ms.agglomerative_curves(vectors[rows], sample, linkages=("ward", "average")),
              ms.split_largest_curve(labels, random_state=random_state),
              ms.random_labels_curve(labels, random_state=random_state)]
    curve_rows = [{"curve": c.name, "n_clusters": int(n), "nmi": float(v)}
                  for c in curves for n, v in zip(c.n_clusters, c.nmi, strict=True)]
    return grid_rows, curve_rows


def adp_method(params: AnalysisParams) -> str:
    """A short name of the ADP run, e.g. ``adp-pak-z1.65-cosine``."""
    density = "pak" if params.density == "pak" else f"knn-k{params.k}"
    return f"adp-{density}-z{params.z:g}-{params.metric}"


def _topography(vectors: np.ndarray, params: AnalysisParams, topography: Topography | None,
                *, progress: ProgressFn | None) -> Topography:
    from compute.peaks.topography import analyse

    if topography is not None:
        return topography.at(params)
    return analyse(vectors, params, progress=progress)


def reference_clusterings(x: np.ndarray, labels: Sequence[object] | np.ndarray, *,
                          n_classes: int, with_baselines: bool = True,
                          random_state: int = 0) -> Iterator[ClusterQuality]:
    """The familiar methods on the same rows ``x`` (N, D), scored on the labelled ones:
    k-means and agglomerative (Ward) told the number of classes, HDBSCAN told nothing
    (noise left out of its scores). Beyond :data:`MAX_BASELINE_POINTS` rows, a seeded
    sample of that many is clustered and scored."""
    from compute.evaluation import baselines

    rows = np.arange(len(x))
    if len(x) > MAX_BASELINE_POINTS:
        rows = np.sort(np.random.default_rng(random_state).choice(
            len(x), MAX_BASELINE_POINTS, replace=False))
    sample, known = x[rows], np.asarray(labels, dtype=object)[rows]
    methods = [lambda: baselines.kmeans(sample, n_clusters=n_classes, random_state=random_state)]
    if with_baselines:
        methods += [lambda: baselines.agglomerative(sample, n_clusters=n_classes),
                    lambda: baselines.hdbscan(sample, min_cluster_size=max(5, len(rows) // 200))]
    for method in methods:
        found = method()
        noise = found.is_noise if found.is_noise.any() else None
        name = found.method + (f"-k{n_classes}" if "n_clusters" in found.params else "")
        yield ClusterQuality(method=name, n_clusters=found.n_clusters,
                             scores=score_clustering(found.labels, known, is_halo=noise),
                             params={**found.params, "n_rows": int(len(rows))})


def heatmap_rgb(heatmap: LabelSortedDistances, *, cell: int = 1,
                grid: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """(n*cell, n*cell, 3) uint8 image of the sorted distances: dark = near (a
    viridis-like ramp), class blocks outlined by ``grid``-coloured lines."""
    d = heatmap.distances.astype(np.float64)
    top = np.percentile(d, 99) if d.size else 1.0
    t = np.clip(d / (top or 1.0), 0.0, 1.0)
    anchors = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98],
                        [253, 231, 37]], dtype=np.float64)
    pos = t * (len(anchors) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(anchors) - 2)
    frac = (pos - lo)[..., None]
    rgb = anchors[lo] * (1 - frac) + anchors[lo + 1] * frac
    image = np.repeat(np.repeat(rgb.astype(np.uint8), cell, axis=0), cell, axis=1)
    for edge in heatmap.boundaries[1:-1] * cell:
        image[edge, :] = grid
        image[:, edge] = grid
    return image


def _distinct_rows(x: np.ndarray) -> int:
    """How many distinct rows; a ValueError if the embedding has collapsed to < 3."""
    n_distinct = len(np.unique(x, axis=0))
    if n_distinct < 3:
        raise ValueError(f"the embedding has only {n_distinct} distinct vectors among {len(x)}: "
                         "the representation has collapsed (retrain, e.g. with a lower --lr)")
    return n_distinct


def _checked(vectors: np.ndarray, labels: Sequence[object] | np.ndarray) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"embeddings must be a numeric (N, D) array; got {x.dtype} {x.shape}")
    if len(labels) != len(x):
        raise ValueError(f"{len(labels)} labels for {len(x)} embeddings: give one label (or an "
                         "empty one) per row, in row order")
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or inf: re-embed or drop those rows")
    return np.asarray(x, dtype=np.float64)
