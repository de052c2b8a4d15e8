"""Do approximate (ivf) neighbours change our ADP clusters? ARI of ADP labels, ivf vs exact.

    python -m benchmarks.ivf_agreement --n 200000

Uses the data file written by ``bench_density_peaks.py`` for the same N (10 Gaussian
clusters, intrinsic dimension 8, D = 64) and runs our whole pipeline (kNN -> 2-NN -> PAk ->
ADP, Z = 1.65, maxk = 100) once per neighbour method.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from compute.graph.density import pak_density
from compute.graph.intrinsic_dim import two_nn_dimension
from compute.graph.knn import knn_graph
from compute.peaks import adp

OUT = Path(__file__).resolve().parent / "out"


def labels_for(x: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    knn = knn_graph(x, maxk=100, method=method)
    dim = two_nn_dimension(knn).dimension
    labels = adp(knn, pak_density(knn, intrinsic_dim=dim), z=1.65).labels
    return labels, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args()
    x = np.load(OUT / f"clusters_n{args.n}_d8_D64.npy")
    ivf, t_ivf = labels_for(x, "ivf")
    exact, t_exact = labels_for(x, "exact")
    print(f"N = {args.n}: ivf {t_ivf:.1f} s, {ivf.max() + 1} clusters; exact {t_exact:.1f} s, "
          f"{exact.max() + 1} clusters; ARI(ivf, exact) = {adjusted_rand_score(exact, ivf):.4f}")


if __name__ == "__main__":
    main()
