"""Time DADApy 0.3.1's density-peak steps on a data file; print one JSON line.

Runs in the oracle environment (venvs/dadapy, numpy < 2), started by
benchmarks/bench_density_peaks.py:

    venvs/dadapy/bin/python benchmarks/oracle/dadapy_worker.py DATA.npy --maxk 100 [--scale]
    venvs/dadapy/bin/python benchmarks/oracle/dadapy_worker.py DATA.npy --maxk 100 \
        --adp-graphs exact.npz approx.npz      # ADP label agreement between two graphs

Imports only numpy, scikit-learn and dadapy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import warnings
from pathlib import Path

import numpy as np
from dadapy import Data

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.timing import CPU, timed  # noqa: E402


def pipeline(data: Data, times: dict[str, float], z: float) -> np.ndarray:
    _, times["two_nn"] = timed(data.compute_id_2NN, "two_nn")
    _, times["kstar"] = timed(data.compute_kstar, "kstar")
    _, times["pak"] = timed(data.compute_density_PAk, "pak")
    labels, times["adp"] = timed(lambda: data.compute_clustering_ADP(Z=z), "adp")
    return np.asarray(labels)


def run_steps(x: np.ndarray, maxk: int, z: float, scale: bool) -> dict:
    times: dict[str, float] = {}
    n_jobs = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    data = Data(coordinates=x, maxk=maxk, verbose=False, n_jobs=n_jobs)
    _, times["knn"] = timed(data.compute_distances, "knn")
    labels = pipeline(data, times, z)
    result = {"times": times, "cpu": CPU, "n_clusters": int(data.N_clusters),
              "intrinsic_dim": float(data.intrinsic_dim)}
    if scale:
        fresh = Data(coordinates=x, maxk=maxk, verbose=False)
        fresh.distances, fresh.dist_indices = data.distances, data.dist_indices
        _, times["id_scale"] = timed(lambda: fresh.return_id_scaling_2NN(n_min=20), "id_scale")
    if ARGS.labels_out:
        np.save(ARGS.labels_out, labels)
    return result


def adp_agreement(paths: list[str], maxk: int, z: float) -> dict:
    from sklearn.metrics import adjusted_rand_score

    labels = []
    for path in paths:
        with np.load(path) as graph:
            data = Data(distances=(graph["distances"], graph["indices"]), maxk=maxk,
                        verbose=False)
        pipeline(data, {}, z)
        labels.append(np.asarray(data.cluster_assignment))
    return {"ari": float(adjusted_rand_score(labels[0], labels[1])),
            "n_clusters": [int(np.max(lab)) + 1 for lab in labels]}


def main() -> None:
    warnings.simplefilter("ignore")
    if ARGS.adp_graphs:
        result = adp_agreement(ARGS.adp_graphs, ARGS.maxk, ARGS.z)
    else:
        result = run_steps(np.load(ARGS.data).astype(np.float64), ARGS.maxk, ARGS.z,
                           ARGS.scale)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--maxk", type=int, default=100)
    parser.add_argument("--z", type=float, default=1.65)
    parser.add_argument("--scale", action="store_true", help="also time the ID scale analysis")
    parser.add_argument("--labels-out", default=None)
    parser.add_argument("--adp-graphs", nargs=2, default=None)
    ARGS = parser.parse_args()
    main()
