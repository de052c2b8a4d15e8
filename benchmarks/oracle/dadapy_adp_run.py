"""DADApy side of benchmarks/bench_adp.py; runs in venvs/dadapy (numpy < 2).

    venvs/dadapy/bin/python benchmarks/oracle/dadapy_adp_run.py IN.npz OUT.npz [--z 1.65]

IN holds ``distances`` and ``indices`` (N, maxk + 1). DADApy computes the 2-NN dimension and
PAk on them, then its compiled ADP is timed (best of ``--repeats``). OUT holds the densities
(``log_den``, ``log_den_err``, ``kstar``, ``intrinsic_dim``), ADP's outputs and the times.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from dadapy import Data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("inp")
    parser.add_argument("out")
    parser.add_argument("--z", type=float, default=1.65)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    arrays = np.load(args.inp)
    dist, ind = arrays["distances"].astype(np.float64), arrays["indices"].astype(np.int64)
    maxk = ind.shape[1] - 1
    data = Data(distances=(dist, ind), maxk=maxk, verbose=False)
    data.compute_id_2NN()
    t0 = time.perf_counter()
    data.compute_density_PAk()
    t_pak = time.perf_counter() - t0
    times, error = [], ""
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        try:
            data.compute_clustering_ADP(Z=args.z, halo=False)
        except ValueError as exc:  # issue 165: the compiled fallback can crash
            error = str(exc)
            break
        times.append(time.perf_counter() - t0)
    out = {"log_den": data.log_den, "log_den_err": data.log_den_err,
           "kstar": np.asarray(data.kstar, dtype=np.int64),
           "intrinsic_dim": np.float64(data.intrinsic_dim), "t_pak": np.float64(t_pak),
           "t_adp": np.asarray(times), "error": np.str_(error)}
    if not error:
        out.update(cluster_assignment=np.asarray(data.cluster_assignment),
                   cluster_centers=np.asarray(data.cluster_centers),
                   log_den_bord=data.log_den_bord, bord_indices=data.bord_indices)
    np.savez(args.out, **out)


if __name__ == "__main__":
    main()
