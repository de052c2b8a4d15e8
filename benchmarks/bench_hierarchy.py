"""How instant is the Z slider? Timings of the hierarchy panel's server-side steps.

    python -m benchmarks.bench_hierarchy [--sizes 2000 20000] [--dim 32]

Synthetic data: 12 Gaussian clusters in D dimensions (intrinsic dimension 8). For each N:
the one-time part (compute.peaks.topography.analyse: kNN graph, 2-NN, PAk, ADP peaks), one
re-merge at a new Z with the tree, MDS map and labelled clustering (what a slider move
costs), the clusters-against-Z curve (61 re-merges), and matching 20 stored names.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from compute.naming import Anchor, NameRecord, RunInfo
from compute.naming.labelling import clusters_against_z, hierarchy_at, labelled_clustering
from compute.params import AnalysisParams
from compute.peaks.topography import analyse


def synthetic(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(dim, 8)))[0].T  # an 8-D subspace
    centres = rng.normal(scale=6.0, size=(12, 8))
    which = rng.integers(0, 12, n)
    return ((centres[which] + rng.normal(size=(n, 8))) @ basis).astype(np.float32)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--dim", type=int, default=32)
    args = parser.parse_args()
    run = RunInfo(data_fingerprint="bench", backbone="synthetic", weights="none",
                  density="pak", k=None, z=1.65)
    print("| N | analyse: kNN + 2-NN + PAk + peaks s | re-merge at new Z + tree + MDS ms "
          "| labelled clustering ms | 61-point Z curve s | match 20 names ms |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        x = synthetic(n, args.dim)
        peaks, t_peaks = timed(lambda x=x: analyse(x, AnalysisParams(maxk=30)))
        hierarchy_at(peaks.remerge(z=1.65))  # warm-up (imports)
        hier, t_merge = timed(lambda peaks=peaks: hierarchy_at(peaks.remerge(z=2.3)))
        ids = [f"img{i}" for i in range(n)]
        clustering, t_label = timed(lambda hier=hier, ids=ids: labelled_clustering(
            hier, ids=ids, paths=ids, known_labels=[None] * len(ids), run=run))
        _, t_curve = timed(lambda peaks=peaks: clusters_against_z(
            peaks, np.round(np.arange(1.0, 4.01, 0.05), 2)))
        rng = np.random.default_rng(1)
        records = [NameRecord(name_id=i, kind="cluster", name=f"n{i}", note="",
                              anchor=Anchor(frozenset(rng.choice(ids, n // 12, replace=False))),
                              run=run, version=1, updated_by="b", updated_at="")
                   for i in range(20)]
        _, t_match = timed(lambda c=clustering, r=records: c.match(r))
        print(f"| {n} | {t_peaks:.2f} | {1000 * t_merge:.1f} | "
              f"{1000 * t_label:.1f} | {t_curve:.2f} | {1000 * t_match:.1f} |")


if __name__ == "__main__":
    main()
