"""Write DADApy's ADP outputs as oracle fixtures: tests/compute/fixtures/dadapy_adp/*.npz.

Runs in its own virtual environment (DADApy 0.3.1 needs numpy < 2), never in the product's:

    python -m venv venvs/dadapy
    venvs/dadapy/bin/pip install dadapy==0.3.1 "numpy<2"
    venvs/dadapy/bin/python benchmarks/oracle/make_adp_fixtures.py

Each file holds one seeded data set: the inputs ADP needs (``indices``, ``log_den``,
``log_den_err``, ``kstar``; also ``x`` and ``distances`` for the small cases) and, for each
(Z, halo) run, DADApy's outputs under the prefix ``run{i}_``: ``Z``, ``halo``,
``cluster_assignment``, ``cluster_centers``, ``log_den_bord``, ``log_den_bord_err``,
``bord_indices``. ``modes_centers`` / ``modes_removed`` are DADApy's peaks after pruning and
its (pruned candidate, eliminating point) pairs, from its pure-Python ``_find_density_modes``.

The outputs are DADApy's pure-Python path (``compute_clustering_ADP_pure_python``), the one
that is right when the assignment fallback fires (some point has no labelled point among its
maxk neighbours): the compiled ``compute_clustering_ADP`` pairs pruned candidates with the
wrong partner there (DADApy issue 165). ``n_fallback`` counts the fallbacks per run, and
``run{i}_compiled_agrees`` says whether the compiled path gave the same outputs; where no
fallback fired the two must agree (checked here). DADApy's pure-Python border scan
  also stops one neighbour short of the compiled one (``range(1, self.maxk)`` against
  ``range(1, maxk + 1)``); we align it with the compiled path and with the design note (all
  maxk neighbours) by raising ``maxk`` by one on that object, which only that loop reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from dadapy import Data

OUT = Path(__file__).resolve().parents[2] / "tests" / "compute" / "fixtures" / "dadapy_adp"
RUN_KEYS = ("cluster_assignment", "cluster_centers", "log_den_bord", "log_den_bord_err",
            "bord_indices")


def gaussians(rng, centres, sizes, scales):
    parts = [c + s * rng.standard_normal((n, len(c)))
             for c, n, s in zip(centres, sizes, scales, strict=True)]
    return np.concatenate(parts)


def dataset_two_gaussians(rng):
    """DADApy's own test set: two 2-D Gaussians of 50 points each."""
    return gaussians(rng, [np.zeros(2), np.array([6.0, 0.0])], [50, 50], [1.0, 1.0])


def dataset_mixture(rng):
    centres = [np.array(c, float) for c in [(0, 0), (6, 0), (0, 6), (6, 6), (3, 3)]]
    return gaussians(rng, centres, [120] * 5, [1.0, 0.8, 1.2, 0.6, 0.9])


def dataset_anisotropic(rng):
    x = gaussians(rng, [np.array(c, float) for c in [(0, 0, 0), (5, 0, 0), (0, 5, 2)]],
                  [200, 150, 150], [1.0, 1.0, 1.0])
    stretch = np.diag([3.0, 0.5, 0.3])
    rot = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    return x @ stretch @ rot


def dataset_uneven(rng):
    centres = [np.zeros(5), np.r_[8.0, np.zeros(4)], np.r_[0, 8.0, np.zeros(3)],
               np.r_[8.0, 8.0, np.zeros(3)]]
    return gaussians(rng, centres, [400, 200, 100, 50], [0.5, 1.0, 1.5, 2.0])


def dataset_uniform(rng):
    return rng.uniform(0.0, 10.0, size=(600, 2))


def adp_inputs(x, *, maxk, density):
    data = Data(coordinates=x, maxk=maxk, verbose=False, n_jobs=1)
    data.compute_distances(maxk=maxk)
    data.compute_id_2NN()
    if density == "pak":
        data.compute_density_PAk()
    else:
        data.compute_density_kNN(k=int(density.removeprefix("knn")))
    return data


def fresh_copy(data, *, pure_python_maxk_fix=False):
    """A new Data object holding only the kNN arrays and the densities of ``data``."""
    copy = Data(distances=(data.distances, data.dist_indices), maxk=data.maxk, verbose=False,
                n_jobs=1)
    copy.intrinsic_dim = data.intrinsic_dim
    copy.kstar = np.asarray(data.kstar, dtype=np.int64)
    copy.log_den = np.asarray(data.log_den, dtype=np.float64)
    copy.log_den_err = np.asarray(data.log_den_err, dtype=np.float64)
    if pure_python_maxk_fix:
        copy.maxk = data.maxk + 1
    return copy


class FallbackCounter:
    """Counts calls of np.intersect1d: DADApy's assignment calls it only in the fallback."""

    def __init__(self):
        self.calls = 0
        self._orig = np.intersect1d

    def __enter__(self):
        def counting(*args, **kwargs):
            self.calls += 1
            return self._orig(*args, **kwargs)

        np.intersect1d = counting
        return self

    def __exit__(self, *exc):
        np.intersect1d = self._orig


def run_adp(data, *, z, halo, pure_python):
    copy = fresh_copy(data, pure_python_maxk_fix=pure_python)
    with FallbackCounter() as counter:
        if pure_python:
            copy.compute_clustering_ADP_pure_python(Z=z, halo=halo)
        else:
            copy.compute_clustering_ADP(Z=z, halo=halo)
    out = {key: np.asarray(getattr(copy, key)) for key in RUN_KEYS}
    return out, counter.calls


def density_modes(data):
    copy = fresh_copy(data)
    g = copy.log_den - copy.log_den_err
    centers, removed = copy._find_density_modes(g)
    return np.asarray(centers, dtype=np.int64), np.asarray(removed, dtype=np.int64).reshape(-1, 2)


def same_runs(a, b):
    return all(np.array_equal(a[k], b[k]) if a[k].dtype.kind == "i"
               else np.allclose(a[k], b[k], atol=1e-12) for k in RUN_KEYS)


def save_case(name, data, runs, *, x=None):
    arrays = {
        "indices": data.dist_indices.astype(np.int32),
        "log_den": data.log_den.astype(np.float64),
        "log_den_err": data.log_den_err.astype(np.float64),
        "kstar": np.asarray(data.kstar, dtype=np.int32),
        "intrinsic_dim": np.float64(data.intrinsic_dim),
    }
    if x is not None:
        arrays["x"] = x.astype(np.float32)
    centers, removed = density_modes(data)
    arrays["modes_centers"], arrays["modes_removed"] = centers, removed
    n_fallback = []
    for i, (z, halo) in enumerate(runs):
        out, calls = run_adp(data, z=z, halo=halo, pure_python=True)
        n_fallback.append(calls)
        try:
            compiled, _ = run_adp(data, z=z, halo=halo, pure_python=False)
            agrees = same_runs(out, compiled)
        except ValueError:  # issue 165: the compiled fallback can crash outright
            agrees = False
        if calls == 0 and not agrees:
            sys.exit(f"{name}: DADApy's compiled and pure-Python paths disagree at Z={z}")
        arrays[f"run{i}_compiled_agrees"] = np.bool_(agrees)
        arrays[f"run{i}_Z"] = np.float64(z)
        arrays[f"run{i}_halo"] = np.bool_(halo)
        for key, value in out.items():
            arrays[f"run{i}_{key}"] = value.astype(np.int32 if value.dtype.kind == "i"
                                                   else np.float64)
    arrays["n_runs"] = np.int64(len(runs))
    arrays["n_fallback"] = np.asarray(n_fallback, dtype=np.int64)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / f"{name}.npz", **arrays)
    ks = [len(arrays[f"run{i}_cluster_centers"]) for i in range(len(runs))]
    agree = [bool(arrays[f"run{i}_compiled_agrees"]) for i in range(len(runs))]
    print(f"{name}: N={len(data.log_den)} maxk={data.maxk} d={data.intrinsic_dim:.2f} "
          f"peaks={len(centers)} clusters per run={ks} fallback calls={n_fallback} "
          f"compiled agrees={agree}")


def fallback_data(seed):
    """Random densities over a small-maxk graph: many pruned candidates, fallback fires."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(300, 2))
    data = Data(coordinates=x, maxk=6, verbose=False, n_jobs=1)
    data.compute_distances(maxk=6)
    data.intrinsic_dim = 2.0
    data.kstar = rng.integers(3, 6, size=300).astype(np.int64)
    smooth = np.sin(6.0 * x[:, 0]) + np.cos(5.0 * x[:, 1])
    data.log_den = smooth + 0.3 * rng.standard_normal(300)
    data.log_den_err = rng.uniform(0.05, 0.3, size=300)
    return data, x


def main():
    both = [(1.0, False), (1.65, False), (1.65, True), (2.3, True)]
    cases = [  # name, seed, data, maxk, density, (Z, halo) runs
        ("two_gaussians", 1, dataset_two_gaussians, 99, "pak", [(1.65, False), (1.65, True)]),
        ("mixture_2d", 2, dataset_mixture, 40, "pak", both),
        ("anisotropic_3d", 3, dataset_anisotropic, 40, "pak", [(1.65, True), (2.3, False)]),
        # a PAk case where DADApy's assignment fallback fires on real data
        ("anisotropic_3d_fallback", 2, dataset_anisotropic, 40, "pak", [(1.65, True)]),
        ("uneven_5d", 4, dataset_uneven, 30, "knn15", [(1.0, True), (1.65, False)]),
        ("uniform_2d", 5, dataset_uniform, 30, "pak", [(1.0, False), (1.65, True)]),
    ]
    for name, seed, make, maxk, density, runs in cases:
        x = make(np.random.default_rng(seed))
        data = adp_inputs(x, maxk=maxk, density=density)
        save_case(name, data, runs, x=x)
    for seed in (12, 13, 14):
        data, x = fallback_data(seed)
        save_case(f"fallback_{seed}", data, [(1.0, False), (1.65, True)], x=x)


if __name__ == "__main__":
    main()
