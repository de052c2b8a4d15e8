"""Agreement between clusters and known labels, and label-free quality scores.

Known labels usually exist for a small subset of the points: ``true_labels`` is a length-N
sequence in which a missing label is ``None``, ``""`` or NaN. Scores are computed on the
labelled points only.

Halo points (ADP's uncertain, between-cluster points, cluster ``-1`` or an ``is_halo``
mask) are handled explicitly by ``halo``:
- ``"exclude"`` (default): left out of the scores and the confusion matrix, and counted in
  ``Scores.n_halo``; the scores then say how well the confident core of each cluster matches;
- ``"as_cluster"``: kept, all halo points forming one extra cluster labelled -1, which
  penalises a large halo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from compute.arrays import as_points, unit_scale

HaloPolicy = Literal["exclude", "as_cluster"]


@dataclass(frozen=True)
class ConfusionMatrix:
    """counts[r, c]: labelled points of cluster ``clusters[r]`` with label ``classes[c]``."""

    clusters: np.ndarray
    classes: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class Scores:
    """NMI, AMI and ARI of clusters against known labels on the scored points.

    n_labelled: points with a known label; n_halo: of these, halo points left out;
    n_scored: points the scores are computed on.
    """

    nmi: float
    ami: float
    ari: float
    n_labelled: int
    n_halo: int
    n_scored: int
    confusion: ConfusionMatrix


def labelled_mask(true_labels: Sequence[object] | np.ndarray) -> np.ndarray:
    """(N,) bool: True where a label is known (not None, "" or NaN)."""
    def known(v: object) -> bool:
        if v is None:
            return False
        if isinstance(v, float | np.floating):
            return not np.isnan(v)
        return str(v) != ""

    return np.fromiter((known(v) for v in true_labels), dtype=bool, count=len(true_labels))


def confusion_matrix(clusters: np.ndarray, classes: np.ndarray) -> ConfusionMatrix:
    """Clusters x classes contingency table of two equal-length label arrays."""
    row_ids, rows = np.unique(clusters, return_inverse=True)
    col_ids, cols = np.unique(classes, return_inverse=True)
    counts = np.zeros((row_ids.size, col_ids.size), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    return ConfusionMatrix(clusters=row_ids, classes=col_ids, counts=counts)


def score_clustering(cluster_labels: np.ndarray, true_labels: Sequence[object] | np.ndarray, *,
                     is_halo: np.ndarray | None = None,
                     halo: HaloPolicy = "exclude") -> Scores:
    """Scores of ``cluster_labels`` (N,) int against ``true_labels`` on the labelled subset.

    Halo points are those with cluster -1 or ``is_halo`` True; see the module docstring for
    ``halo``. Raises ValueError when lengths differ or no labelled point remains."""
    from sklearn.metrics import (
        adjusted_mutual_info_score,
        adjusted_rand_score,
        normalized_mutual_info_score,
    )

    clusters = np.asarray(cluster_labels).astype(np.int64)
    n = clusters.shape[0]
    if len(true_labels) != n:
        raise ValueError(f"{len(true_labels)} labels for {n} points: give one label (or None) "
                         "per point, in row order")
    if halo not in ("exclude", "as_cluster"):
        raise ValueError(f"halo must be 'exclude' or 'as_cluster', not {halo!r}")
    in_halo = clusters < 0 if is_halo is None else (np.asarray(is_halo, bool) | (clusters < 0))
    clusters = np.where(in_halo, -1, clusters)
    known = labelled_mask(true_labels)
    keep = known & ~in_halo if halo == "exclude" else known
    if not keep.any():
        raise ValueError("no labelled point to score: give labels for some points "
                         "(halo points are excluded by default)")
    classes = np.asarray([str(v) for v in np.asarray(true_labels, dtype=object)[keep]])
    ours = clusters[keep]
    return Scores(nmi=float(normalized_mutual_info_score(classes, ours)),
                  ami=float(adjusted_mutual_info_score(classes, ours)),
                  ari=float(adjusted_rand_score(classes, ours)),
                  n_labelled=int(known.sum()), n_halo=int((known & in_halo).sum()),
                  n_scored=int(keep.sum()), confusion=confusion_matrix(ours, classes))


@dataclass(frozen=True)
class RepresentationCheck:
    """Pearson r between embedding distances and the 0/1 label distance (1 = different
    labels) over all pairs of a class-balanced sample: r > 0 means same-class points sit
    closer together. n_points sampled, n_pairs used, n_per_class points from each class."""

    pearson_r: float
    n_points: int
    n_pairs: int
    n_per_class: int


def representation_check(embeddings: np.ndarray, true_labels: Sequence[object] | np.ndarray, *,
                         per_class: int = 200, random_state: int = 0) -> RepresentationCheck:
    """Do the embeddings (N, D) separate the known classes? (the seeds' sanity check).

    Draws min(per_class, smallest class size) labelled points from every class (seeded),
    and correlates their pairwise Euclidean distances with the label distance."""
    from scipy.spatial.distance import pdist

    x = as_points(embeddings, name="embeddings")
    if x.shape[0] != len(true_labels):
        raise ValueError(f"embeddings must be (N, D) with one label per row; got {x.shape} "
                         f"and {len(true_labels)} labels")
    if per_class < 2:
        raise ValueError(f"per_class must be >= 2 (pairs within a class are needed); got "
                         f"{per_class}")
    x = x / unit_scale(x)  # exact; r is scale-free and no squared distance overflows
    known = np.flatnonzero(labelled_mask(true_labels))
    classes = np.asarray([str(v) for v in np.asarray(true_labels, dtype=object)[known]])
    names, counts = np.unique(classes, return_counts=True)
    if names.size < 2 or counts.min() < 2:
        raise ValueError("the representation check needs at least two classes with two "
                         "labelled points each")
    take = int(min(per_class, counts.min()))
    rng = np.random.default_rng(random_state)
    rows = np.concatenate([rng.choice(known[classes == name], size=take, replace=False)
                           for name in names])
    label_of = np.repeat(np.arange(names.size), take)
    dist = pdist(x[rows])
    different = pdist(label_of[:, None].astype(np.float64), metric="hamming")  # 0 or 1
    if np.ptp(dist) == 0.0:
        raise ValueError("all sampled embeddings are equally far apart (e.g. constant "
                         "embeddings): the check is undefined; check the embedding step")
    r = float(np.corrcoef(dist, different)[0, 1])
    return RepresentationCheck(pearson_r=r, n_points=int(rows.size), n_pairs=int(dist.size),
                               n_per_class=take)


def silhouette(x: np.ndarray, cluster_labels: np.ndarray, *, sample_size: int = 5000,
               random_state: int = 0) -> float | None:
    """Mean silhouette (Euclidean) of the clustering, on a seeded sample of at most
    ``sample_size`` points, ignoring halo points (-1); None when fewer than 2 clusters or
    fewer points than clusters + 1 remain (the score is undefined there)."""
    from sklearn.metrics import silhouette_score

    points = as_points(x)
    labels = np.asarray(cluster_labels)
    if labels.shape != (points.shape[0],):
        raise ValueError(f"cluster_labels has shape {labels.shape}; give one label per row "
                         f"of x ({points.shape[0]})")
    keep = labels >= 0
    xs, ls = points[keep] / unit_scale(points), labels[keep]  # exact rescaling: no overflow
    n_clusters = np.unique(ls).size
    if n_clusters < 2 or ls.size <= n_clusters:
        return None
    size = min(sample_size, ls.size)
    return float(silhouette_score(xs, ls, sample_size=size if size < ls.size else None,
                                  random_state=random_state))
