"""Find images by a cluster's name, a file name or an id, and select them.

The search box sits above the Selection panel: the matches become the page's selection
(the Selection grid, its CSV and the scatter's highlighted points), as a lasso would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from explorer.state import ExplorerData

MIN_ID_PREFIX = 6  # hex digits of an image id (MD5) that a search matches as a prefix
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class SearchResult:
    """rows: (M,) int64 matching rows, sorted; what: one line saying what matched."""

    rows: np.ndarray
    what: str


def search_rows(data: ExplorerData, query: str | None) -> SearchResult:
    """The rows whose cluster name, file path or id matches ``query`` (case-insensitive):
    a cluster name or a path containing it, an id starting with it (at least
    :data:`MIN_ID_PREFIX` hex digits), or the cluster number itself ("c12" or "12")."""
    text = (query or "").strip().lower()
    if not text:
        return SearchResult(np.zeros(0, np.int64), "")
    by_cluster = _cluster_rows(data, text)
    by_path = np.array([text in str(p).lower() for p in data.paths], dtype=bool)
    by_id = np.zeros(data.n_rows, bool)
    if len(text) >= MIN_ID_PREFIX and _HEX.match(text):
        by_id = np.array([str(i).startswith(text) for i in data.ids], dtype=bool)
    rows = np.flatnonzero(by_cluster | by_path | by_id)
    parts = [f"{n} {what}" for n, what in ((int(by_cluster.sum()), "in matching clusters"),
                                           (int(by_path.sum()), "by file name"),
                                           (int(by_id.sum()), "by id")) if n]
    if not len(rows):
        return SearchResult(rows, f"nothing matches '{query.strip()}' (cluster names, file "
                                  "names and ids are searched)")
    return SearchResult(rows, f"{len(rows)} images match '{query.strip()}': "
                              + ", ".join(parts))


def _cluster_rows(data: ExplorerData, text: str) -> np.ndarray:
    """Bool (N,): rows in a cluster whose name contains ``text`` or whose number it is."""
    if data.clusters is None:
        return np.zeros(data.n_rows, bool)
    number = text[1:] if text.startswith("c") else text
    hits = [c for c, name in enumerate(data.cluster_names) if text in name.lower()]
    if number.isdigit():
        hits.append(int(number))
    return np.isin(data.clusters, hits)
