"""Choosing ADP's parameters against known labels, and the curves to judge the choice by.

- :func:`adp_grid`: density (PAk, or kNN with k in ``ks``) x Z, scored by NMI/AMI/ARI on the
  labelled points. One kNN graph for everything, one density and one ADP steps 1-4 per
  density setting; each Z is only a re-merge.
- :func:`agglomerative_curves`: NMI against the number of clusters for the agglomerative
  baselines (one tree per linkage, cut at every count).
- :func:`split_largest_curve` and :func:`random_labels_curve`: the two reference curves -
  the known classes with the largest repeatedly split in two (what over-splitting a perfect
  clustering costs), and uniform random labels (what chance reaches at each count; NMI grows
  with the number of clusters even for noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compute.evaluation.scores import labelled_mask, score_clustering
from compute.graph.density import Density
from compute.graph.knn import KnnGraph
from compute.progress import ProgressFn, report

DEFAULT_KS: tuple[int, ...] = (10, 15, 30, 50, 100, 200)
DEFAULT_Z: tuple[float, ...] = tuple(np.round(np.arange(1.0, 2.31, 0.1), 2).tolist())


@dataclass(frozen=True)
class AdpGrid:
    """Scores over density settings (rows) x Z values (columns).

    densities: (S,) names, "pak" or "knn-k=<k>"; z_values: (Z,) float64.
    n_clusters: (S, Z) int64; nmi, ami, ari: (S, Z) float64 on the labelled points.
    """

    densities: tuple[str, ...]
    z_values: np.ndarray
    n_clusters: np.ndarray
    nmi: np.ndarray
    ami: np.ndarray
    ari: np.ndarray

    def best(self, score: str = "nmi") -> tuple[str, float]:
        """(density, Z) with the highest ``score`` (the first such setting on ties)."""
        table = getattr(self, score)
        i, j = np.unravel_index(int(np.nanargmax(table)), table.shape)
        return self.densities[i], float(self.z_values[j])


def adp_grid(knn: KnnGraph, true_labels: Sequence[object] | np.ndarray, *,
             intrinsic_dim: float, ks: Sequence[int] = DEFAULT_KS,
             z_values: Sequence[float] = DEFAULT_Z, include_pak: bool = True,
             pak: Density | None = None, progress: ProgressFn | None = None) -> AdpGrid:
    """Score ADP on ``knn`` for every density setting and Z (see the module docstring).

    kNN densities with k > knn.maxk are left out (logged in the result: they do not appear in
    ``densities``). ``pak`` reuses an already computed PAk density. Halo is off."""
    from compute.graph.density import knn_density, pak_density
    from compute.peaks import check_z, find_peaks, remerge

    zs = np.array([check_z(z) for z in z_values], dtype=np.float64)
    if len(true_labels) != knn.n_points:
        raise ValueError(f"{len(true_labels)} labels for {knn.n_points} points")
    settings: list[tuple[str, object]] = [("pak", None)] if include_pak else []
    settings += [(f"knn-k={k}", int(k)) for k in ks if 1 <= int(k) <= knn.maxk]
    if not settings:
        raise ValueError(f"no density setting fits maxk = {knn.maxk}: include PAk or give "
                         "ks <= maxk")
    shape = (len(settings), zs.size)
    n_clusters = np.zeros(shape, dtype=np.int64)
    tables = {name: np.zeros(shape) for name in ("nmi", "ami", "ari")}
    for i, (_, k) in enumerate(settings):
        if k is None:
            density = pak if pak is not None else pak_density(knn, intrinsic_dim=intrinsic_dim)
        else:
            density = knn_density(knn, intrinsic_dim=intrinsic_dim, k=k)
        peaks = find_peaks(knn, density)
        for j, z in enumerate(zs):
            clustering = remerge(peaks, z=float(z))
            scores = score_clustering(clustering.labels, true_labels)
            n_clusters[i, j] = clustering.n_clusters
            for name, table in tables.items():
                table[i, j] = getattr(scores, name)
        report(progress, i + 1, len(settings))
    return AdpGrid(densities=tuple(name for name, _ in settings), z_values=zs,
                   n_clusters=n_clusters, **tables)


@dataclass(frozen=True)
class ClusterCountCurve:
    """NMI against the number of clusters. name: e.g. "agglomerative-ward", "split-largest",
    "random"; n_clusters: (M,) int64; nmi: (M,) float64 (on the labelled points)."""

    name: str
    n_clusters: np.ndarray
    nmi: np.ndarray


def _nmi(pred: np.ndarray, truth: Sequence[object] | np.ndarray) -> float:
    return score_clustering(pred, truth).nmi


def agglomerative_curves(x: np.ndarray, true_labels: Sequence[object] | np.ndarray, *,
                         n_clusters: Sequence[int] = tuple(range(2, 31)),
                         linkages: Sequence[str] = ("single", "complete", "average", "ward"),
                         progress: ProgressFn | None = None) -> list[ClusterCountCurve]:
    """For each linkage, cluster all points once (scipy tree, O(N^2) memory) and score the
    cut at every count in ``n_clusters`` (counts above N are dropped)."""
    from scipy.cluster.hierarchy import cut_tree, linkage

    from compute.evaluation.baselines import check_linkage

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != len(true_labels):
        raise ValueError(f"x must be (N, D) with one label per row; got {x.shape} and "
                         f"{len(true_labels)} labels")
    counts = np.array(sorted({int(n) for n in n_clusters if 1 <= int(n) <= x.shape[0]}))
    curves = []
    for i, method in enumerate(linkages):
        check_linkage(method, x.shape[0])
        cuts = cut_tree(linkage(x, method=method), n_clusters=counts)
        nmi = np.array([_nmi(cuts[:, j], true_labels) for j in range(counts.size)])
        curves.append(ClusterCountCurve(name=f"agglomerative-{method}", n_clusters=counts,
                                        nmi=nmi))
        report(progress, i + 1, len(linkages))
    return curves


def _known_classes(true_labels: Sequence[object] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows with a label, class index of each of them)."""
    rows = np.flatnonzero(labelled_mask(true_labels))
    names = np.asarray([str(v) for v in np.asarray(true_labels, dtype=object)[rows]])
    _, classes = np.unique(names, return_inverse=True)
    return rows, classes


def split_largest_curve(true_labels: Sequence[object] | np.ndarray, *, max_clusters: int = 30,
                        random_state: int = 0) -> ClusterCountCurve:
    """Reference: start from the known classes (K of them) and repeatedly split the largest
    cluster into two random halves, up to ``max_clusters``; NMI at each count K..max."""
    rows, classes = _known_classes(true_labels)
    rng = np.random.default_rng(random_state)
    pred = classes.copy()
    k = int(pred.max()) + 1 if pred.size else 0
    counts, nmi = [], []
    while True:
        labels = np.zeros(len(true_labels), dtype=np.int64)  # unlabelled rows are not scored
        labels[rows] = pred
        counts.append(k)
        nmi.append(_nmi(labels, true_labels))
        sizes = np.bincount(pred, minlength=k)
        if k >= max_clusters or sizes.max() < 2:
            break
        members = rng.permutation(np.flatnonzero(pred == int(np.argmax(sizes))))
        pred[members[: members.size // 2]] = k
        k += 1
    return ClusterCountCurve(name="split-largest", n_clusters=np.array(counts, dtype=np.int64),
                             nmi=np.array(nmi))


def random_labels_curve(true_labels: Sequence[object] | np.ndarray, *,
                        n_clusters: Sequence[int] = tuple(range(2, 31)), repeats: int = 5,
                        random_state: int = 0) -> ClusterCountCurve:
    """Reference: uniform random labels with n clusters on the labelled points, NMI averaged
    over ``repeats`` seeded draws, for each n in ``n_clusters``."""
    rows, _ = _known_classes(true_labels)
    rng = np.random.default_rng(random_state)
    counts = np.array(sorted({int(n) for n in n_clusters if n >= 1}), dtype=np.int64)
    nmi = []
    for n in counts:
        draws = []
        for _ in range(repeats):
            labels = np.zeros(len(true_labels), dtype=np.int64)  # unlabelled rows are not scored
            labels[rows] = rng.integers(0, n, size=rows.size)
            draws.append(_nmi(labels, true_labels))
        nmi.append(float(np.mean(draws)))
    return ClusterCountCurve(name="random", n_clusters=counts, nmi=np.array(nmi))
