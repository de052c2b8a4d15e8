"""ADP steps 5-7: merge statistically insignificant peaks for a given Z; the halo."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from compute.params import check_z
from compute.peaks.halo import halo_mask
from compute.peaks.structure import Peaks

#: Saddle log-density of a pair of clusters that share no border (and of the diagonal).
NO_SADDLE = -np.inf


@dataclass(frozen=True)
class SaddleMatrix:
    """Saddles between K clusters, symmetric K x K arrays.

    log_density: float64, rho of the saddle point; ``NO_SADDLE`` (-inf) where the two clusters
        share no border and on the diagonal.
    error:       float64, sigma of the saddle point; 0 where there is no saddle.
    point:       int64, the saddle point's row index; -1 where there is no saddle.
    """

    log_density: np.ndarray
    error: np.ndarray
    point: np.ndarray


@dataclass(frozen=True)
class MergeHistory:
    """The merges performed by step 5, in order; M = K0 - K entries, ids are Peaks' peak ids.

    absorbed, survivor: (M,) int64, the peak removed and the peak that absorbed its points.
    saddle_log_density, saddle_error: (M,) float64, rho and sigma of their saddle at merge time.
    saddle_point: (M,) int64, the saddle point's row index.
    margin: (M,) float64, (rho_absorbed - rho_saddle) / (sigma_absorbed + sigma_saddle), the
        smaller of the two peaks' margins: the pair is insignificant for every Z above it.
    """

    absorbed: np.ndarray
    survivor: np.ndarray
    saddle_log_density: np.ndarray
    saddle_error: np.ndarray
    saddle_point: np.ndarray
    margin: np.ndarray


@dataclass(frozen=True)
class Clustering:
    """ADP's result for one Z.

    z, halo: the parameters.
    labels:  (N,) int64 in 0..K-1 for every point (halo points keep their cluster here).
    is_halo: (N,) bool, members below their cluster's highest saddle (all False unless halo).
    peak_ids: (K,) int64, the surviving peaks' ids in :class:`Peaks` (ascending); cluster k is
        the basin of peak ``peak_ids[k]``.
    centers: (K,) int64, the row index of each cluster's peak (its centre).
    populations: (K,) int64, members per cluster, halo points included; sums to N.
    peak_log_density, peak_error: (K,) float64, rho and sigma at the centres.
    saddles: the K x K :class:`SaddleMatrix`.
    merges:  the :class:`MergeHistory` that led from the K0 peaks to these K clusters.
    """

    z: float
    halo: bool
    labels: np.ndarray
    is_halo: np.ndarray
    peak_ids: np.ndarray
    centers: np.ndarray
    populations: np.ndarray
    peak_log_density: np.ndarray
    peak_error: np.ndarray
    saddles: SaddleMatrix
    merges: MergeHistory

    @property
    def n_clusters(self) -> int:
        return int(self.centers.shape[0])

    @property
    def assignment(self) -> np.ndarray:
        """(N,) int64: ``labels`` with -1 for halo points."""
        return np.where(self.is_halo, -1, self.labels)


class _SaddleGraph:
    """Mutable adjacency of the peaks during merging: peak -> {neighbour peak: saddle edge}."""

    def __init__(self, peaks: Peaks, z: float) -> None:
        self.z = z
        self.rho_peak = peaks.peak_log_density
        self.sigma_peak = peaks.peak_error
        self.rho = peaks.saddle_log_density
        self.sigma = peaks.saddle_error
        self.adjacent: list[dict[int, int]] = [{} for _ in range(peaks.n_peaks)]
        self.heap: list[tuple[float, int, int, int]] = []
        for edge, (a, b) in enumerate(peaks.saddle_pairs.tolist()):
            self.adjacent[a][b] = edge
            self.adjacent[b][a] = edge
            self._push_if_insignificant(a, b, edge)
        heapq.heapify(self.heap)

    def margin(self, peak: int, edge: int) -> float:
        return (self.rho_peak[peak] - self.rho[edge]) / (self.sigma_peak[peak] + self.sigma[edge])

    def _insignificant(self, a: int, b: int, edge: int) -> bool:
        s, e = self.rho[edge], self.sigma[edge]
        return bool(self.rho_peak[a] - s < self.z * (self.sigma_peak[a] + e)
                    or self.rho_peak[b] - s < self.z * (self.sigma_peak[b] + e))

    def _push_if_insignificant(self, a: int, b: int, edge: int) -> None:
        # the highest saddle first; ties: the lowest (a, b), as the reference's row-major scan
        if self._insignificant(a, b, edge):
            heapq.heappush(self.heap, (-self.rho[edge], min(a, b), max(a, b), edge))

    def next_pair(self) -> tuple[int, int, int] | None:
        """The insignificant pair with the highest saddle, or None when all are significant."""
        while self.heap:
            _, a, b, edge = heapq.heappop(self.heap)
            if self.adjacent[a].get(b) == edge:  # stale entries no longer match
                return a, b, edge
        return None

    def merge(self, absorbed: int, survivor: int) -> None:
        """Survivor keeps its peak; its saddle to each third peak becomes the higher one."""
        mine = self.adjacent[survivor]
        del mine[absorbed]
        for other, edge in self.adjacent[absorbed].items():
            if other == survivor:
                continue
            del self.adjacent[other][absorbed]
            current = mine.get(other)
            if current is None or self.rho[current] < self.rho[edge]:
                mine[other] = edge
                self.adjacent[other][survivor] = edge
                self._push_if_insignificant(survivor, other, edge)
        self.adjacent[absorbed] = {}


def _merge_all(graph: _SaddleGraph) -> list[tuple[int, int, int, float]]:
    steps = []
    while (pair := graph.next_pair()) is not None:
        a, b, edge = pair
        margin_a, margin_b = graph.margin(a, edge), graph.margin(b, edge)
        absorbed, survivor = (a, b) if margin_a < margin_b else (b, a)
        graph.merge(absorbed, survivor)
        steps.append((absorbed, survivor, edge, min(margin_a, margin_b)))
    return steps


def _history(peaks: Peaks, steps: list[tuple[int, int, int, float]]) -> MergeHistory:
    arr = np.array(steps, dtype=np.float64).reshape(-1, 4)
    edge = arr[:, 2].astype(np.int64)
    return MergeHistory(absorbed=arr[:, 0].astype(np.int64), survivor=arr[:, 1].astype(np.int64),
                        saddle_log_density=peaks.saddle_log_density[edge],
                        saddle_error=peaks.saddle_error[edge],
                        saddle_point=peaks.saddle_point[edge], margin=arr[:, 3].copy())


def _final_cluster_of_peak(n_peaks: int, history: MergeHistory) -> tuple[np.ndarray, np.ndarray]:
    """(K0,) final cluster index of every initial peak, and the (K,) surviving peak ids."""
    root = np.arange(n_peaks)
    for absorbed, survivor in zip(history.absorbed[::-1].tolist(),
                                  history.survivor[::-1].tolist(), strict=True):
        root[absorbed] = root[survivor]
    alive = np.ones(n_peaks, dtype=bool)
    alive[history.absorbed] = False
    peak_ids = np.flatnonzero(alive)
    rank = np.full(n_peaks, -1, dtype=np.int64)
    rank[peak_ids] = np.arange(peak_ids.size)
    return rank[root], peak_ids


def _saddle_matrix(peaks: Peaks, graph: _SaddleGraph, peak_ids: np.ndarray) -> SaddleMatrix:
    k = peak_ids.size
    rank = {int(p): i for i, p in enumerate(peak_ids)}
    rho = np.full((k, k), NO_SADDLE)
    err = np.zeros((k, k))
    point = np.full((k, k), -1, dtype=np.int64)
    for i, p in enumerate(peak_ids.tolist()):
        for other, edge in graph.adjacent[p].items():
            j = rank[other]
            rho[i, j] = peaks.saddle_log_density[edge]
            err[i, j] = peaks.saddle_error[edge]
            point[i, j] = peaks.saddle_point[edge]
    return SaddleMatrix(log_density=rho, error=err, point=point)


def remerge(peaks: Peaks, *, z: float = 1.65, halo: bool = False, halo_rule: str = "dadapy",
            neighbours: np.ndarray | None = None) -> Clustering:
    """ADP step 5 (and 7) for significance ``z`` from the cached steps 1-4; no point is revisited.

    While some pair of adjacent clusters (a, b) is insignificant, i.e.
    rho_a - rho_ab < z (sigma_a + sigma_ab) or the same for b, the pair with the highest saddle
    merges: the peak with the smaller margin (rho_peak - rho_ab) / (sigma_peak + sigma_ab) is
    absorbed, and the survivor's saddle to every third cluster becomes the higher of the two.
    Clusters are numbered by ascending peak id (= ascending centre row). With ``halo``, the
    members :func:`compute.peaks.halo.halo_mask` flags under ``halo_rule`` are flagged in
    ``is_halo`` ("dadapy": below their cluster's highest saddle; "border": near a border
    and below its saddle, which needs ``neighbours``, (N, m) int64, -1 padded).
    Raises ValueError unless z lies in compute.params' Z range.
    """
    z = check_z(z)
    graph = _SaddleGraph(peaks, z)
    history = _history(peaks, _merge_all(graph))
    cluster_of_peak, peak_ids = _final_cluster_of_peak(peaks.n_peaks, history)
    labels = cluster_of_peak[peaks.labels]
    saddles = _saddle_matrix(peaks, graph, peak_ids)
    is_halo = np.zeros(peaks.n_points, dtype=bool)
    if halo:
        is_halo = halo_mask(halo_rule, labels=labels, log_density=peaks.log_density,
                            saddle_log_density=saddles.log_density, neighbours=neighbours)
    centers = peaks.centers[peak_ids]
    return Clustering(z=z, halo=bool(halo), labels=labels, is_halo=is_halo, peak_ids=peak_ids,
                      centers=centers,
                      populations=np.bincount(labels, minlength=peak_ids.size).astype(np.int64),
                      peak_log_density=peaks.log_density[centers],
                      peak_error=peaks.error[centers], saddles=saddles, merges=history)
