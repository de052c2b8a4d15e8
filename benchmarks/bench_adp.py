"""ADP step: our find_peaks + remerge against DADApy's compiled ADP, on the same densities.

    python -m benchmarks.bench_adp [--n 50000] [--maxk 100] [--z 1.65]

Data: 10 Gaussians in an 8-dimensional latent space, embedded linearly in D = 64 (seeded).
The exact kNN graph is computed here (compute.graph.knn.knn_graph, faiss flat L2; saved under
benchmarks/out/ and reused by later runs with the same N and maxk); DADApy (venvs/dadapy, see
benchmarks/oracle/make_adp_fixtures.py) computes the 2-NN dimension and PAk on it and times
its ADP; then our ADP runs on DADApy's densities, so both sides see identical inputs. Prints
times and the agreement (ARI, centres) as a Markdown table row. ``--skip-dadapy`` times ours
on our kNN density (k = 30) without the reference.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
DADAPY = ROOT / "venvs" / "dadapy" / "bin" / "python"


def gaussians_in_64d(n: int, *, seed: int = 0) -> np.ndarray:
    """(n, 64) float32: 10 unit Gaussians in 8-D (centres ~ N(0, 3^2)), rotated into 64-D."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((10, 8))
    latent = centres[rng.integers(0, 10, size=n)] + rng.standard_normal((n, 8))
    basis = np.linalg.qr(rng.standard_normal((64, 8)))[0].T
    return (latent @ basis).astype(np.float32)


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    from sklearn.metrics import adjusted_rand_score

    from compute.graph.density import Density
    from compute.graph.knn import KnnGraph, knn_graph
    from compute.peaks import find_peaks, remerge

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--maxk", type=int, default=100)
    parser.add_argument("--z", type=float, default=1.65)
    parser.add_argument("--skip-dadapy", action="store_true")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    inp = OUT / f"adp_knn_{args.n}_{args.maxk}.npz"
    if inp.exists():
        saved = np.load(inp)
        distances, indices = saved["distances"], saved["indices"]
    else:
        t0 = time.perf_counter()
        graph = knn_graph(gaussians_in_64d(args.n), maxk=args.maxk, method="exact")
        distances, indices = graph.distances, graph.indices
        print(f"kNN (exact): {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        np.savez(inp, distances=distances, indices=indices)
    knn = KnnGraph(distances=distances, indices=indices)
    if args.skip_dadapy:
        from compute.graph.density import knn_density
        from compute.graph.intrinsic_dim import two_nn_dimension

        d = two_nn_dimension(knn).dimension
        density, ref = knn_density(knn, intrinsic_dim=d, k=30), None
    else:
        res = OUT / f"adp_dadapy_{args.n}_{args.maxk}.npz"
        subprocess.run([str(DADAPY), str(ROOT / "benchmarks/oracle/dadapy_adp_run.py"),
                        str(inp), str(res), "--z", str(args.z)], check=True)
        ref = np.load(res)
        density = Density(ref["log_den"], ref["log_den_err"], ref["kstar"], "pak",
                          float(ref["intrinsic_dim"]))

    find_peaks(knn, density)  # compile or load the numba cache
    t_peaks, peaks = best_of(lambda: find_peaks(knn, density), 3)
    t_merge, clustering = best_of(lambda: remerge(peaks, z=args.z), 5)
    row = (f"| {args.n} | {args.maxk} | {peaks.n_peaks} | {clustering.n_clusters} | "
           f"{peaks.n_fallback} | {t_peaks:.3f} | {t_merge:.4f} | {t_peaks + t_merge:.3f} |")
    if ref is not None:
        if str(ref["error"]):
            row += f" crashed: {ref['error']} | - | - |"
        else:
            t_ref = float(np.min(ref["t_adp"]))
            ari = adjusted_rand_score(ref["cluster_assignment"], clustering.labels)
            same_centres = np.array_equal(np.asarray(ref["cluster_centers"]), clustering.centers)
            row += f" {t_ref:.3f} | {t_ref / (t_peaks + t_merge):.1f}x | ARI {ari:.6f}, " \
                   f"centres {'equal' if same_centres else 'DIFFER'} |"
    print("| N | maxk | peaks before merge | clusters | fallbacks | ours steps 1-4 (s) | "
          "ours remerge (s) | ours total (s) | DADApy ADP (s) | speed-up | agreement |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(row)


if __name__ == "__main__":
    main()
