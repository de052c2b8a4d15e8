"""A suggested cut of the ADP hierarchy: a Z chosen without labels.

Two rules (``AnalysisParams.cut_rule``), both over the Z grid the dashboard offers
(:data:`compute.params.Z_MIN`..:data:`compute.params.Z_MAX` by :data:`compute.params.Z_STEP`):

* ``"stability"``: the kNN graph is perturbed :data:`N_PERTURBATIONS` times (each point
  keeps a random :data:`KEEP_FRACTION` of its neighbour list, so every density and border
  moves a little), the density and the peaks are recomputed, and each Z's partition is
  compared with the unperturbed one (adjusted Rand index, ARI). The suggestion is the
  lowest Z whose mean ARI is within :data:`STABILITY_TOLERANCE` of the best (among the
  partitions with at least two clusters): the finest partition that is as stable as any.
* ``"plateau"``: the middle of the widest plateau of the clusters-vs-Z curve (at least two
  clusters; ties: the one with more clusters).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from compute.graph.density import Density
from compute.graph.knn import KnnGraph
from compute.params import CUT_RULES, Z_MAX, Z_MIN, Z_STEP
from compute.peaks.merge import remerge
from compute.peaks.structure import Peaks
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)

N_PERTURBATIONS = 4
KEEP_FRACTION = 0.9
STABILITY_TOLERANCE = 0.02
RANDOM_STATE = 0
#: Below this share of the Z range, the plateau holding the suggested cut is called narrow:
#: the number of clusters there is weakly determined (Fashion-MNIST's clusters-vs-Z curves
#: fall steadily: their widest plateaus cover 7-20 % of the range at 2 000-10 000 images
#: and three UMAP seeds; the scikit-image patches' 40-73 %, the nanowires' 79 %:
#: benchmarks/RESULTS.md, issue 15). Words only: no cut depends on it.
NARROW_PLATEAU_SHARE = 0.25


@dataclass(frozen=True)
class SuggestedCut:
    """The suggested Z and the curves it was read from.

    z: the suggestion (a value of ``z_values``); rule: "stability" or "plateau".
    z_values: (G,) float64 grid of Z; n_clusters: (G,) int64 clusters at each Z.
    stability: (G,) float64 mean ARI of the perturbed partitions at each Z (NaN for the
        plateau rule, which does not perturb).
    """

    z: float
    rule: str
    z_values: np.ndarray
    n_clusters: np.ndarray
    stability: np.ndarray

    @property
    def clusters(self) -> int:
        """Clusters at the suggested Z."""
        return int(self.n_clusters[int(np.argmin(np.abs(self.z_values - self.z)))])

    def _plateau_span(self) -> tuple[int, int]:
        """(first, last) grid index of the run of equal counts around the suggestion."""
        at = int(np.argmin(np.abs(self.z_values - self.z)))
        same = self.n_clusters == self.n_clusters[at]
        low, high = at, at
        while low > 0 and same[low - 1]:
            low -= 1
        while high < same.size - 1 and same[high + 1]:
            high += 1
        return low, high

    @property
    def plateau(self) -> tuple[float, float]:
        """(lowest, highest) Z of the grid with the suggested cut's number of clusters, the
        run of equal counts around the suggestion."""
        low, high = self._plateau_span()
        return float(self.z_values[low]), float(self.z_values[high])

    @property
    def plateau_share(self) -> float:
        """The share of the Z grid that :attr:`plateau` covers (0-1]."""
        low, high = self._plateau_span()
        return (high - low + 1) / self.z_values.size

    @property
    def narrow(self) -> bool:
        """Whether the plateau covers less than :data:`NARROW_PLATEAU_SHARE` of the range:
        nearby cuts with a few clusters more or fewer are about as well supported."""
        return self.plateau_share < NARROW_PLATEAU_SHARE

    def describe(self) -> str:
        """``suggested cut Z = 1.3 (12 clusters; the most stable partition)``, and where its
        plateau is narrow, how narrow."""
        if self.n_clusters.max(initial=1) < 2:
            return f"suggested cut Z = {self.z:g} (1 cluster: no Z of the range splits it)"
        why = ("the finest partition as stable as any under a perturbed kNN graph"
               if self.rule == "stability" else "the widest plateau of clusters against Z")
        return f"suggested cut Z = {self.z:g} ({self.clusters} clusters; {why}){self.caveat()}"

    def caveat(self) -> str:
        """``""``, or for a narrow plateau ``; its plateau is narrow (Z 2.75-3.7, 20 % of
        the range), so nearby cuts are about as plausible``."""
        if not self.narrow:
            return ""
        low, high = self.plateau
        return (f"; its plateau is narrow (Z {low:g}-{high:g}, {self.plateau_share:.0%} of "
                "the range), so nearby cuts are about as plausible")


def z_grid() -> np.ndarray:
    """(G,) the Z values offered: Z_MIN..Z_MAX by Z_STEP."""
    return np.round(np.arange(Z_MIN, Z_MAX + Z_STEP / 2, Z_STEP), 4)


def clusters_against_z(peaks: Peaks, z_values: np.ndarray) -> np.ndarray:
    """(G,) int64 clusters of ``peaks`` merged at each Z."""
    return np.array([remerge(peaks, z=float(z)).n_clusters for z in z_values], dtype=np.int64)


def suggest_cut(rule: str, *, knn: KnnGraph, density: Density, peaks: Peaks,
                progress: ProgressFn | None = None) -> SuggestedCut:
    """The suggested cut of ``peaks`` (found on ``knn`` with ``density``) under ``rule``.

    Deterministic (seeded perturbations). Raises ValueError for an unknown rule.
    """
    if rule not in CUT_RULES:
        raise ValueError(f"cut rule must be one of {CUT_RULES}, not {rule!r}")
    z_values = z_grid()
    n_clusters = clusters_against_z(peaks, z_values)
    if rule == "plateau":
        stability = np.full(z_values.shape, np.nan)
        z = z_values[widest_plateau(n_clusters)]
    else:
        stability = partition_stability(knn, density, peaks, z_values, progress=progress)
        z = z_values[most_stable(stability, n_clusters)]
    report(progress, 1, 1)
    return SuggestedCut(z=float(z), rule=rule, z_values=z_values, n_clusters=n_clusters,
                        stability=stability)


def widest_plateau(n_clusters: np.ndarray) -> int:
    """Index of the middle of the longest run of equal values >= 2 in ``n_clusters``
    (ties: the run with more clusters); 0 when no Z gives two clusters."""
    n = np.asarray(n_clusters)
    starts = np.flatnonzero(np.r_[True, n[1:] != n[:-1]])
    ends = np.r_[starts[1:], n.size]
    runs = [(end - start, n[start], start, end) for start, end in zip(starts, ends, strict=True)
            if n[start] >= 2]
    if not runs:
        return 0
    _, _, start, end = max(runs, key=lambda r: (r[0], r[1]))
    return int((start + end - 1) // 2)


def most_stable(stability: np.ndarray, n_clusters: np.ndarray, *,
                tolerance: float = STABILITY_TOLERANCE) -> int:
    """Index of the lowest Z whose stability is within ``tolerance`` of the best among
    those with >= 2 clusters; 0 when none has two clusters."""
    eligible = (np.asarray(n_clusters) >= 2) & np.isfinite(stability)
    if not eligible.any():
        return 0
    best = np.max(stability[eligible])
    return int(np.flatnonzero(eligible & (stability >= best - tolerance))[0])


def perturbed_graph(knn: KnnGraph, rng: np.random.Generator,
                    keep: float = KEEP_FRACTION) -> KnnGraph:
    """``knn`` with each row keeping a random ``keep`` fraction of its neighbours (their
    order kept; column 0, the point itself, always kept). Runs on graphs without
    duplicates (pass ``knn.distinct`` otherwise)."""
    maxk = knn.maxk
    kept = max(2, int(round(keep * maxk)))
    scores = rng.random((knn.n_points, maxk))
    columns = np.sort(np.argsort(scores, axis=1)[:, :kept], axis=1) + 1
    columns = np.concatenate([np.zeros((knn.n_points, 1), dtype=np.int64), columns], axis=1)
    return KnnGraph(distances=np.take_along_axis(knn.distances, columns, axis=1),
                    indices=np.take_along_axis(knn.indices, columns, axis=1),
                    method=f"{knn.method}, perturbed")


def partition_stability(knn: KnnGraph, density: Density, peaks: Peaks, z_values: np.ndarray,
                        *, n_perturbations: int = N_PERTURBATIONS,
                        random_state: int = RANDOM_STATE,
                        progress: ProgressFn | None = None) -> np.ndarray:
    """(G,) mean ARI, over ``n_perturbations`` perturbed kNN graphs, between the partition
    at each Z and the unperturbed one at the same Z."""
    from sklearn.metrics import adjusted_rand_score

    from compute.peaks.structure import find_peaks

    graph, inverse = (knn, None) if knn.distinct is None else (
        knn.distinct, knn.deduplication.inverse)
    reference = [remerge(peaks, z=float(z)).labels for z in z_values]
    scores = np.zeros((n_perturbations, len(z_values)))
    rng = np.random.default_rng(random_state)
    for b in range(n_perturbations):
        shaken = perturbed_graph(graph, rng)
        again = find_peaks(shaken, _density_like(density, shaken))
        for j, z in enumerate(z_values):
            labels = remerge(again, z=float(z)).labels
            labels = labels if inverse is None else labels[inverse]
            scores[b, j] = adjusted_rand_score(reference[j], labels)
        report(progress, b + 1, n_perturbations)
    return scores.mean(axis=0)


def _density_like(density: Density, graph: KnnGraph) -> Density:
    """The density of ``density``'s kind re-estimated on ``graph``."""
    from compute.graph.density import knn_density, pak_density

    if density.method == "pak":
        return pak_density(graph, intrinsic_dim=density.intrinsic_dim)
    k = int(min(density.kstar.max(), graph.maxk))
    return knn_density(graph, intrinsic_dim=density.intrinsic_dim, k=k)
