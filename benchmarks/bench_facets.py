"""Facets at scale: the server time of the facets panel (four facets, counts of the
selection) for N synthetic rows, cold (the first call factorizes each column) and warm.

    python -m benchmarks.bench_facets [N]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from explorer.facets import categories, facet_panel
from explorer.state import ExplorerData


def synthetic(n: int, seed: int = 0) -> ExplorerData:
    """N rows: 50 clusters, 3 labels and missing ones, 2 scale groups, 2 folders."""
    rng = np.random.default_rng(seed)
    columns = pd.DataFrame({
        "cluster": rng.integers(0, 50, n).astype(str),
        "label": rng.choice(np.array(["bag", "shoe", "shirt", None], dtype=object), n),
        "scale group": rng.choice(["1 um", "2 um"], n), "folder": rng.choice(["a", "b"], n)})
    return ExplorerData(ids=np.array([f"{i:032x}" for i in range(n)], dtype=object),
                        paths=np.array([f"p{i}.png" for i in range(n)], dtype=object),
                        columns=columns, knn_indices=np.zeros((n, 1), np.int32),
                        knn_distances=np.zeros((n, 1), np.float32),
                        clusters=rng.integers(0, 50, n), summary="")


def main(n: int = 150_000) -> int:
    data = synthetic(n)
    selected = np.random.default_rng(1).choice(n, n // 30, replace=False)
    for choices in ({}, {"label": ["bag"], "cluster": ["3", "4"]}):
        categories.cache_clear()
        start = time.perf_counter()
        facet_panel(data, selected_rows=selected, choices=choices, removed=None,
                    extra="folder")
        cold = time.perf_counter() - start
        warm = []
        for _ in range(5):
            start = time.perf_counter()
            facet_panel(data, selected_rows=selected, choices=choices, removed=None,
                        extra="folder")
            warm.append(time.perf_counter() - start)
        print(f"N={n} choices={choices}: cold {cold * 1000:.0f} ms, warm median "
              f"{np.median(warm) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:])))
