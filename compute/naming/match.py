"""Names find their nodes again after a re-clustering.

A stored name is anchored to member image ids and a peak image id. For the current tree,
each name is scored against every node by the Jaccard index of the member sets; a cluster
name also matches the cluster whose peak is the same image. Names and nodes are then paired
greedily, best score first, one name per node. A name with no candidate (Jaccard below the
threshold and no shared peak), or whose node went to a better-matching name, is *lost*:
reported to the user, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compute.naming.store import Anchor, NameRecord
from compute.naming.tree import ClusterTree

DEFAULT_MIN_JACCARD = 0.5


@dataclass(frozen=True)
class NameMatch:
    """Names paired with the nodes of one tree.

    by_node: node id -> the name shown on it.
    score:   name_id -> Jaccard index between the name's anchor and its node.
    lost:    names that found no node, in store order.
    """

    by_node: dict[int, NameRecord]
    score: dict[int, float]
    lost: tuple[NameRecord, ...]

    def names(self) -> dict[int, str]:
        """node id -> name text."""
        return {node: rec.name for node, rec in self.by_node.items()}


def node_anchor(tree: ClusterTree, node: int, *, labels: np.ndarray, ids: Sequence[str],
                peak_rows: np.ndarray) -> Anchor:
    """The anchor a name given to ``node`` gets: its members' ids and its peak's id.

    labels: (N,) int cluster of each row; ids: (N,) image ids; peak_rows: (K,) row of each
    cluster's peak.
    """
    rows = np.flatnonzero(np.isin(labels, tree.leaves_under(node)))
    return Anchor(members=frozenset(ids[i] for i in rows),
                  peak_id=ids[int(peak_rows[tree.peak[node]])])


def overlaps(anchor: Anchor, tree: ClusterTree, *, labels: np.ndarray,
             row_of: dict[str, int]) -> np.ndarray:
    """(2K-1,) int: how many of the anchor's members lie below each node."""
    rows = [row_of[m] for m in anchor.members if m in row_of]
    per_leaf = np.bincount(np.asarray(labels)[rows], minlength=tree.n_leaves)
    return tree.membership.astype(np.int64) @ per_leaf


def match_names(records: Sequence[NameRecord], *, tree: ClusterTree, labels: np.ndarray,
                ids: Sequence[str], peak_rows: np.ndarray,
                min_jaccard: float = DEFAULT_MIN_JACCARD) -> NameMatch:
    """Pair stored names with the nodes of ``tree`` (see the module docstring)."""
    if len(labels) != len(ids):
        raise ValueError(f"labels ({len(labels)}) and ids ({len(ids)}) must have one entry "
                         "per image")
    row_of = {image_id: i for i, image_id in enumerate(ids)}
    leaf_peak_ids = [ids[int(r)] for r in peak_rows]
    candidates = []
    for rec in records:
        inter = overlaps(rec.anchor, tree, labels=labels, row_of=row_of)
        union = len(rec.anchor.members) + tree.population - inter
        jaccard = inter / np.maximum(union, 1)
        for node in np.flatnonzero(jaccard >= min_jaccard):
            candidates.append((float(jaccard[node]), _same_kind(rec, tree, node),
                               rec.name_id, int(node)))
        if rec.kind == "cluster" and rec.anchor.peak_id in leaf_peak_ids:
            leaf = leaf_peak_ids.index(rec.anchor.peak_id)
            if jaccard[leaf] < min_jaccard:
                candidates.append((float(jaccard[leaf]), True, rec.name_id, leaf))
    by_id = {rec.name_id: rec for rec in records}
    by_node: dict[int, NameRecord] = {}
    score: dict[int, float] = {}
    for value, _kind, name_id, node in sorted(candidates, key=lambda c: (-c[0], not c[1],
                                                                         c[2], c[3])):
        if name_id in score or node in by_node:
            continue
        by_node[node], score[name_id] = by_id[name_id], value
    lost = tuple(rec for rec in records if rec.name_id not in score)
    return NameMatch(by_node=by_node, score=score, lost=lost)


def _same_kind(rec: NameRecord, tree: ClusterTree, node: int) -> bool:
    return (rec.kind == "cluster") == tree.is_leaf(int(node))
