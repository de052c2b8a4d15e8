"""Representation-quality report for any embedding (the seeds' section 3.2 and their NMI table).

Three views of how well an embedding separates known classes:

1. a class-balanced sample's distance matrix, rows and columns sorted by label (the
   heatmap: a good embedding shows dark diagonal blocks) -> :func:`label_sorted_distances`;
2. the Pearson correlation between those distances and the 0/1 label distance
   (:func:`compute.evaluation.scores.representation_check`);
3. NMI / AMI / ARI of Advanced Density Peaks clusters of the whole embedding, scored on the
   labelled subset (:func:`adp_clusters`,
   :func:`compute.evaluation.scores.score_clustering`), and of k-means with k = number of
   classes as a familiar reference (:func:`kmeans_reference`).

Everything is a pure function over arrays; :func:`heatmap_rgb` renders the matrix as an
RGB uint8 image without any plotting library (the CLI saves it with Pillow).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from compute.evaluation.scores import Scores, labelled_mask, representation_check, score_clustering
from compute.progress import ProgressFn, report, scaled

log = logging.getLogger(__name__)


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
                          "n_scored": c.scores.n_scored, "params": c.params}
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


def adp_clusters(vectors: np.ndarray, *, z: float = 1.65, density: str = "pak", k: int = 30,
                 maxk: int = 100, progress: ProgressFn | None = None,
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """ADP on the whole embedding: (labels (N,) int64, is_halo (N,) bool, 2-NN dimension).

    kNN graph (maxk) -> 2-NN intrinsic dimension -> PAk (``density="pak"``) or fixed-k kNN
    (``density="knn"``, k) log-density -> ADP with significance ``z``.
    """
    from compute.graph.density import knn_density, pak_density
    from compute.graph.intrinsic_dim import two_nn_dimension
    from compute.graph.knn import knn_graph
    from compute.peaks import adp

    if density not in ("pak", "knn"):
        raise ValueError(f"density must be 'pak' or 'knn'; got {density!r}")
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n_distinct = _distinct_rows(x)
    knn = knn_graph(x, maxk=min(maxk, n_distinct - 1), progress=scaled(progress, 0, 0.7))
    d = two_nn_dimension(knn).dimension
    dens = (pak_density(knn, intrinsic_dim=d) if density == "pak"
            else knn_density(knn, intrinsic_dim=d, k=k))
    report(scaled(progress, 0, 1), 8, 10)
    clustering = adp(knn, dens, z=z)
    return clustering.labels, clustering.is_halo, float(d)


def kmeans_reference(vectors: np.ndarray, *, n_clusters: int, random_state: int = 0) -> np.ndarray:
    """k-means labels (N,) int64 with k = ``n_clusters`` (a reference, NOT ADP)."""
    from compute.evaluation.baselines import kmeans

    return kmeans(np.asarray(vectors, dtype=np.float64), n_clusters=n_clusters,
                  random_state=random_state).labels


def quality_report(vectors: np.ndarray, labels: Sequence[object] | np.ndarray, *,
                   per_class: int = 100, z: float = 1.65, density: str = "pak", k: int = 30,
                   with_adp: bool = True, metric: str = "euclidean", random_state: int = 0,
                   progress: ProgressFn | None = None) -> QualityReport:
    """The representation-quality report of ``vectors`` (N, D) against ``labels`` (N,).

    Unlabelled rows (None / "") take part in the clustering but not in the scores.
    ``with_adp=False`` skips ADP (k-means reference only), e.g. for a quick look.
    metric "cosine" L2-normalises the rows first (:func:`compute.arrays.metric_points`): the
    whole report (r, heatmap, k-means, ADP) is then of the normalised vectors.
    """
    from compute.arrays import metric_points

    x = metric_points(_checked(vectors, labels), metric, name="vectors")
    _distinct_rows(x)
    check = representation_check(x, labels, per_class=per_class, random_state=random_state)
    heatmap = label_sorted_distances(x, labels, per_class=per_class, random_state=random_state)
    n_classes = len(heatmap.classes)
    clusters = [ClusterQuality(method=f"kmeans-k{n_classes}", n_clusters=n_classes,
                               scores=score_clustering(kmeans_reference(
                                   x, n_clusters=n_classes, random_state=random_state), labels),
                               params={"n_clusters": n_classes, "random_state": random_state})]
    dim = None
    if with_adp:
        found, halo, dim = adp_clusters(x, z=z, density=density, k=k,
                                        progress=scaled(progress, 0.1, 1.0))
        method = f"adp-{density}{'' if density == 'pak' else f'-k{k}'}-z{z:g}"
        clusters.append(ClusterQuality(method=method, n_clusters=int(found.max()) + 1,
                                       scores=score_clustering(found, labels, is_halo=halo),
                                       params={"z": z, "density": density, "k": k}))
    report(progress, 1, 1)
    return QualityReport(n_points=len(x), n_labelled=int(labelled_mask(labels).sum()),
                         pearson_r=check.pearson_r, heatmap=heatmap, clusters=tuple(clusters),
                         intrinsic_dim=dim)


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
