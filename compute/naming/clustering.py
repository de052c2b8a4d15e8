"""One clustering run with everything naming and export need, as plain arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from compute.naming.match import DEFAULT_MIN_JACCARD, NameMatch, match_names, node_anchor
from compute.naming.store import Anchor, NameRecord, RunInfo
from compute.naming.tree import ClusterTree

PATH_SEPARATOR = " > "


@dataclass(frozen=True)
class LabelledClustering:
    """A clustering of N images into K clusters and its tree.

    ids, paths, known_labels: (N,) image content ids, paths (relative to the image
        folder) and known labels (None where unlabelled).
    labels:    (N,) int64 cluster 0..K-1 of every image (halo points keep their cluster).
    is_halo:   (N,) bool, below its cluster's highest saddle (uncertain membership).
    assigned:  (N,) bool, placed by :func:`compute.peaks.assign.assign_new_points` rather than
        clustered.
    peak_rows: (K,) int64 row of each cluster's peak.
    tree:      the peak dendrogram (leaves are the clusters).
    run:       the parameters of the run.
    log_density: (N,) float64 log-density of every image (None where not known).
    """

    ids: tuple[str, ...]
    paths: tuple[str, ...]
    known_labels: tuple[str | None, ...]
    labels: np.ndarray
    is_halo: np.ndarray
    assigned: np.ndarray
    peak_rows: np.ndarray
    tree: ClusterTree
    run: RunInfo
    log_density: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        sizes = {len(self.paths), len(self.known_labels), len(self.labels), len(self.is_halo),
                 len(self.assigned), n if self.log_density is None else len(self.log_density)}
        if sizes != {n}:
            raise ValueError(f"ids, paths, known_labels, labels, is_halo and assigned need "
                             f"one entry per image ({n}); got lengths {sorted(sizes)}")
        if len(self.peak_rows) != self.tree.n_leaves:
            raise ValueError(f"{len(self.peak_rows)} peaks for a tree of "
                             f"{self.tree.n_leaves} clusters")

    @property
    def n_clusters(self) -> int:
        return self.tree.n_leaves

    def anchor(self, node: int) -> Anchor:
        """What a name given to ``node`` is attached to."""
        return node_anchor(self.tree, node, labels=self.labels, ids=self.ids,
                           peak_rows=self.peak_rows)

    def match(self, records: Sequence[NameRecord], *,
              min_jaccard: float = DEFAULT_MIN_JACCARD) -> NameMatch:
        """Pair stored names with this run's nodes."""
        return match_names(records, tree=self.tree, labels=self.labels, ids=self.ids,
                           peak_rows=self.peak_rows, min_jaccard=min_jaccard)

    def named_path(self, node: int, names: Mapping[int, str]) -> list[str]:
        """Names of the named nodes from the root down to ``node`` (unnamed ones skipped)."""
        return [names[n] for n in self.tree.path_from_root(node) if n in names]
