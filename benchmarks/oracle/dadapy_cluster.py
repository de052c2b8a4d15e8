"""DADApy 0.3.1's whole density-peak pipeline as one process (the oracle side of
benchmarks/bench_cluster_process.py): load the .npy, kNN, 2-NN, k*, PAk, ADP at Z, write
the labels.

    venvs/dadapy/bin/python benchmarks/oracle/dadapy_cluster.py DATA.npy --maxk 100 --out L.npy

Imports only numpy and dadapy (run it in the oracle environment, numpy < 2).
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np
from dadapy import Data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--maxk", type=int, default=100)
    parser.add_argument("--z", type=float, default=1.65)
    parser.add_argument("--out", required=True, help="labels (.npy), one per row")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    n_jobs = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    data = Data(coordinates=np.load(args.data).astype(np.float64), maxk=args.maxk,
                verbose=False, n_jobs=n_jobs)
    data.compute_distances()
    data.compute_id_2NN()
    data.compute_density_PAk()  # k* first, as DADApy's ADP needs
    np.save(args.out, np.asarray(data.compute_clustering_ADP(Z=args.z)))


if __name__ == "__main__":
    main()
