"""IVF settings for the kNN graph: coarse k-means effort, lists and probes against
recall@101 and CPU time (faiss alone, no re-ranking), on the density-peak benchmark data.

    python -m benchmarks.ivf_settings --n 50000

Data: ``benchmarks.bench_density_peaks.make_clusters`` (10 Gaussian clusters, intrinsic
dimension 8, D = 64), mean-centred float32 as ``compute.graph.knn`` searches it. Recall:
the fraction of the 101 neighbours (self included) of 1 000 rows found by exact search that
the IVF search returns. CPU: process seconds, all threads (steadier than wall time on a
shared machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.bench_density_peaks import data_file

SETTINGS = [  # (lists, probed, k-means iterations, training points per list)
    (1.0, 16, 25, 64), (1.0, 16, 10, 40), (1.0, 10, 10, 40), (2.0, 16, 10, 40),
    (2.0, 20, 10, 40)]


def run(query: np.ndarray, truth: np.ndarray, nlist: int, nprobe: int, niter: int,
        per_list: int) -> str:
    import faiss

    n, dim = query.shape
    start, cpu = time.perf_counter(), time.process_time()
    index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, nlist)
    index.cp.niter, index.cp.seed = niter, 0
    sample = np.random.default_rng(0).choice(n, min(n, per_list * nlist), replace=False)
    index.train(query[np.sort(sample)])
    train_cpu = time.process_time() - cpu
    index.add(query)
    index.nprobe = nprobe
    _, found = index.search(query, truth.shape[1])
    wall, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    recall = np.mean([len(set(found[i]) & set(truth[i])) / truth.shape[1]
                      for i in range(truth.shape[0])])
    return (f"| {nlist} | {nprobe} | {niter} | {per_list} | {train_cpu:.2f} | "
            f"{total_cpu:.2f} | {wall:.2f} | {recall:.4f} |")


def main() -> int:
    import faiss

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50000)
    args = parser.parse_args()
    x = np.load(data_file(args.n))
    query = np.ascontiguousarray(x - x.mean(axis=0, dtype=np.float64), dtype=np.float32)
    _, truth = faiss.knn(query[:1000], query, 101)
    print("| lists | probed | k-means iterations | training points per list | train CPU s | "
          "train + add + search CPU s | wall s | recall@101 |")
    print("|---|---|---|---|---|---|---|---|")
    root = int(round(np.sqrt(args.n)))
    for factor, nprobe, niter, per_list in SETTINGS:
        print(run(query, truth, int(factor * root), nprobe, niter, per_list), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
