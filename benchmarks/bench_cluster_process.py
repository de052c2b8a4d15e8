"""``python -m compute cluster`` as a whole process (start-up, imports, load, kNN, 2-NN,
density, ADP, CSV and JSON written), against DADApy's whole pipeline as a process.

    python -m benchmarks.bench_cluster_process --n 50000 --space full     # + DADApy, same run
    python -m benchmarks.bench_cluster_process --n 200000 --no-dadapy
    python -m benchmarks.bench_cluster_process --n 1000000 --no-dadapy
    python -m benchmarks.bench_cluster_process --n 200000 --no-dadapy --cache-dir

Data: ``benchmarks.bench_density_peaks.make_clusters`` (10 Gaussian clusters of intrinsic
dimension 8 in D = 64, seed 0, float32), written once to benchmarks/out/. Each command is
a child process; its wall time is measured from start to exit, its CPU time (user + system,
all threads) and peak resident memory come from ``wait4``. Before timing, one small run
(3 000 points) loads numba's on-disk kernel cache, as any earlier use of the product does;
its time is reported apart. Ours runs with ``--maxk 100`` and the other defaults of
``compute.params`` unless ``--knn`` says otherwise; DADApy with maxk 100, PAk, Z = 1.65.
The ADP labels of both sides are compared (ARI). Timings on a shared machine are noisy:
the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_density_peaks import DADAPY_PYTHON, ROOT, data_file, make_clusters


def run_child(command: list[str]) -> dict:
    """Run ``command`` in the repository root; wall s, CPU s (user + system, all threads)
    and peak RSS (MiB) of that child alone (``wait4``), and what it printed."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:5])} failed:\n{stderr[-3000:]}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mib": round(usage.ru_maxrss / 1024), "stdout": stdout.strip()}


def ours(path: Path, out: Path, maxk: int, knn: str | None, cache: Path | None = None,
         space: str | None = None) -> dict:
    command = [sys.executable, "-m", "compute", "cluster", str(path), "--maxk", str(maxk),
               "--out", str(out), "--no-progress"] + (["--knn", knn] if knn else []) + \
              (["--cache-dir", str(cache)] if cache else []) + \
              (["--space", space] if space else [])
    result = run_child(command)
    doc = json.loads((out / "topography.json").read_text())
    result["neighbour_search"] = doc["neighbour_search"]
    result["n_clusters"] = len(doc["clusters"])
    return result


def our_labels(out: Path) -> np.ndarray:
    import pandas as pd

    return pd.read_csv(out / "clusters.csv", usecols=["cluster"])["cluster"].to_numpy()


def dadapy(path: Path, labels_out: Path, maxk: int) -> dict:
    if not DADAPY_PYTHON.exists():
        raise FileNotFoundError("venvs/dadapy missing: run benchmarks/oracle/setup_dadapy_venv.sh")
    return run_child([str(DADAPY_PYTHON), "benchmarks/oracle/dadapy_cluster.py", str(path),
                      "--maxk", str(maxk), "--out", str(labels_out)])


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50000)
    parser.add_argument("--maxk", type=int, default=100)
    parser.add_argument("--knn", default=None, help="--knn for ours (default: the product's)")
    parser.add_argument("--no-dadapy", action="store_true")
    parser.add_argument("--space", default=None, help="--space for ours (default: the "
                        "product's); 'full' clusters the embedding itself, as DADApy does")
    parser.add_argument("--cache-dir", action="store_true",
                        help="ours with a fresh step cache (kNN graph and densities are then "
                             "memory-mapped from it)")
    args = parser.parse_args()
    print(f"load average before: {load()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    warm = work / "warm.npy"
    np.save(warm, make_clusters(3000, seed=1))
    warmup = run_child([sys.executable, "-m", "compute", "cluster", str(warm), "--maxk",
                        str(args.maxk), "--knn", "ivf", "--out", str(work / "warm"),
                        "--no-progress"])
    print(f"warm-up (3 000 points, numba cache): {warmup['wall_s']} s", flush=True)
    path = data_file(args.n)
    mine = ours(path, work / "ours", args.maxk, args.knn,
                work / "cache" if args.cache_dir else None, args.space)
    print(f"ours: {json.dumps({k: v for k, v in mine.items() if k != 'stdout'})}", flush=True)
    print(f"  {mine['stdout']}", flush=True)
    if not args.no_dadapy:
        ref = dadapy(path, work / "dadapy.npy", args.maxk)
        from sklearn.metrics import adjusted_rand_score

        theirs = np.load(work / "dadapy.npy")
        ari = adjusted_rand_score(theirs, our_labels(work / "ours"))
        print(f"DADApy: {json.dumps({k: v for k, v in ref.items() if k != 'stdout'})}")
        print(f"ratio (DADApy / ours): wall {ref['wall_s'] / mine['wall_s']:.2f}x, CPU "
              f"{ref['cpu_s'] / mine['cpu_s']:.2f}x; ADP labels ARI(ours, DADApy) = "
              f"{ari:.4f} ({mine['n_clusters']} vs {len(set(theirs.tolist()))} clusters)")
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
