"""Row look-ups behind the instance and selection panels (no Dash here).

Neighbours always come from the kNN graph of the ORIGINAL embedding space, never from
the 2-D/3-D projection, so what the panel calls "nearest" is what the density and the
clusters were computed from.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from explorer.state import ExplorerData


def rows_from_event(event: dict | None, *, trace: int = 0) -> np.ndarray:
    """Dataset rows of a Plotly click/selection event on trace ``trace`` (sorted, unique).

    Points of the main trace carry their row as ``pointNumber`` (one trace in row order),
    or, when it holds only some rows (a zoomed-in density map, :mod:`explorer.density_view`),
    as ``customdata``.
    """
    if not event or not event.get("points"):
        return np.zeros(0, dtype=np.int64)
    rows = [p.get("customdata", p.get("pointNumber")) for p in event["points"]
            if p.get("curveNumber", 0) == trace and "pointNumber" in p]
    return np.unique(np.asarray(rows, dtype=np.int64))


def neighbours_of(data: ExplorerData, row: int, k: int,
                  excluded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows to ``row`` (itself and rows where ``excluded``, bool (N,),
    left out) and their distances."""
    if not 0 <= row < data.n_rows:
        raise ValueError(f"row {row} is outside the dataset (0..{data.n_rows - 1})")
    rows, dist = data.knn_indices[row], data.knn_distances[row]
    keep = rows != row
    if excluded is not None:
        keep &= ~excluded[rows]
    return rows[keep][:k], dist[keep][:k]


def group_of(data: ExplorerData) -> tuple[str, np.ndarray]:
    """What "same group" means: the ADP cluster when known, else the known label."""
    if data.clusters is not None:
        return "cluster", np.asarray(data.clusters)
    return "label", data.columns["label"].to_numpy(dtype=object)


def same_group(data: ExplorerData, row: int, others: np.ndarray) -> np.ndarray:
    """Bool per row of ``others``: in the same group as ``row`` (unknown never is)."""
    _, groups = group_of(data)
    mine = groups[row]
    if mine is None:
        return np.zeros(len(others), dtype=bool)
    return groups[others] == mine


def nearest_outside(data: ExplorerData, rows: np.ndarray, limit: int,
                    excluded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows outside the selection ``rows`` that are nearest to it, nearest first.

    Distance of an outside row = its smallest kNN-graph distance to any selected row
    (rows farther than ``maxk`` neighbours from every selected row are not candidates,
    nor are rows where ``excluded``, bool (N,), e.g. filtered out by scale group).
    """
    rows = np.asarray(rows, dtype=np.int64)
    inside = np.zeros(data.n_rows, dtype=bool) if excluded is None else excluded.copy()
    inside[rows] = True
    cand = data.knn_indices[rows].ravel()
    dist = data.knn_distances[rows].ravel()
    outside = ~inside[cand]
    cand, dist = cand[outside], dist[outside]
    # The first `limit` distinct rows in distance order are the answer; look for them
    # among the smallest entries first (a row repeats at most len(rows) times).
    prefix = limit * 32
    while True:
        if prefix < len(dist):
            head = np.argpartition(dist, prefix)[:prefix]
        else:
            head = np.arange(len(dist))
        order = head[np.argsort(dist[head], kind="stable")]
        _, first = np.unique(cand[order], return_index=True)
        first = np.sort(first)[:limit]
        if len(first) == limit or len(head) == len(dist):
            return cand[order[first]], dist[order[first]]
        prefix *= 8


def page_of(rows: np.ndarray, page: int, page_size: int) -> tuple[np.ndarray, int, int]:
    """(rows on page, page clamped to range, number of pages)."""
    n_pages = max(1, -(-len(rows) // page_size))
    page = min(max(page, 0), n_pages - 1)
    return rows[page * page_size:(page + 1) * page_size], page, n_pages


def selection_table(data: ExplorerData, rows: Iterable[int],
                    coords: np.ndarray | None = None) -> pd.DataFrame:
    """The selected rows with every column (what "Export CSV" writes); at a cut, the
    cluster as a number with its name in ``cluster_name`` (as in the labelled export)."""
    rows = np.asarray(list(rows), dtype=np.int64)
    table = pd.DataFrame({"row": rows, "id": data.ids[rows], "path": data.paths[rows]})
    table = pd.concat([table, data.columns.iloc[rows].reset_index(drop=True)], axis=1)
    if data.clusters is not None:
        clusters = np.asarray(data.clusters)[rows]
        names = np.asarray([*data.cluster_names, ""], dtype=object)
        table["cluster"] = clusters
        table.insert(table.columns.get_loc("cluster") + 1, "cluster_name",
                     names[np.minimum(clusters, len(names) - 1)])
    if coords is not None:
        for i in range(coords.shape[1]):
            table[f"proj_{i + 1}"] = coords[rows, i]
    return table
