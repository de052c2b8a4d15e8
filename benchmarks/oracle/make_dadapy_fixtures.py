"""Run DADApy 0.3.1 (the reference) on small seeded data sets and save its outputs as .npz.

Runs in the oracle environment only (numpy < 2), never in the product environment:

    bash benchmarks/oracle/setup_dadapy_venv.sh     # creates venvs/dadapy, then runs this
    venvs/dadapy/bin/python benchmarks/oracle/make_dadapy_fixtures.py tests/compute/fixtures/dadapy

Imports only numpy and dadapy. The file format is described in the README.md written next
to the fixtures (see FORMAT below).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from dadapy import Data

Z_VALUES = (1.0, 1.65, 3.0)
KNN_K = 10


# --------------------------------------------------------------------------- data sets


def two_gaussians(rng: np.random.Generator) -> np.ndarray:
    """Two 2-D standard Gaussians of 50 points each, centres 6 apart (DADApy's test shape)."""
    return np.vstack([rng.normal(0.0, 1.0, (50, 2)), rng.normal((6.0, 0.0), 1.0, (50, 2))])


def gaussian_mixture(rng: np.random.Generator) -> np.ndarray:
    """Four isotropic 3-D Gaussians (100 points each), centres on a tetrahedron of edge ~5."""
    centres = 2.5 * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
    return np.vstack([rng.normal(c, 1.0, (100, 3)) for c in centres])


def anisotropic(rng: np.random.Generator) -> np.ndarray:
    """Three elongated 4-D Gaussians (130/130/140 points) with random rotations."""
    blocks = []
    for size, centre in ((130, 0.0), (130, 6.0), (140, 12.0)):
        scales = np.array([3.0, 1.0, 0.5, 0.2])
        rotation, _ = np.linalg.qr(rng.normal(size=(4, 4)))
        blocks.append(rng.normal(size=(size, 4)) * scales @ rotation + centre)
    return np.vstack(blocks)


def uneven_density(rng: np.random.Generator) -> np.ndarray:
    """Three 3-D Gaussians of very different populations and widths (250/100/50 points)."""
    return np.vstack([rng.normal(0.0, 1.0, (250, 3)), rng.normal(5.0, 0.4, (100, 3)),
                      rng.normal((0.0, 6.0, 0.0), 2.0, (50, 3))])


def fallback_candidates(rng: np.random.Generator) -> np.ndarray:
    """Sparse uneven 2-D data (many small blobs + background) where, with a small maxk,
    some pruned density peak has no higher point among its maxk neighbours."""
    centres = rng.uniform(-10, 10, (12, 2))
    blobs = [rng.normal(c, rng.uniform(0.2, 1.0), (rng.integers(8, 25), 2)) for c in centres]
    return np.vstack(blobs + [rng.uniform(-12, 12, (60, 2))])


# (name, generator, seed, maxk, ADP path)
DATASETS = (
    ("two_gaussians", two_gaussians, 0, None, "cython"),
    ("gaussian_mixture", gaussian_mixture, 1, 40, "cython"),
    ("anisotropic", anisotropic, 2, 40, "cython"),
    ("uneven_density", uneven_density, 3, 40, "cython"),
)
FALLBACK_MAXK = 6


# --------------------------------------------------------------------------- DADApy runs


def run_dadapy(x: np.ndarray, maxk: int | None, adp_path: str) -> dict[str, np.ndarray]:
    data = Data(coordinates=x, maxk=maxk, verbose=False, n_jobs=1)
    data.compute_distances()
    out: dict[str, np.ndarray] = {
        "X": x,
        "maxk": np.array(data.maxk),
        "distances": data.distances.astype(np.float64),
        "dist_indices": data.dist_indices.astype(np.int32),
    }
    intrinsic_dim, _, scale = data.compute_id_2NN()
    out["id_2nn"] = np.array(intrinsic_dim)
    out["id_2nn_scale"] = np.array(scale)
    data.compute_kstar()
    out["kstar"] = data.kstar.astype(np.int64)
    data.compute_density_PAk()
    out["pak_log_den"] = data.log_den.copy()
    out["pak_log_den_err"] = data.log_den_err.copy()
    out.update(adp_outputs(data, adp_path))
    knn = Data(distances=(out["distances"], out["dist_indices"].astype(np.int64)),
               maxk=data.maxk, verbose=False)
    knn.intrinsic_dim = intrinsic_dim
    k = min(KNN_K, data.maxk)
    knn.compute_density_kNN(k=k)
    out["knn_k"] = np.array(k)
    out["knn_log_den"] = knn.log_den.copy()
    out["knn_log_den_err"] = knn.log_den_err.copy()
    return out


def adp_outputs(data: Data, path: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"adp_z": np.array(Z_VALUES), "adp_path": np.array(path)}
    log_den, log_den_err = data.log_den.copy(), data.log_den_err.copy()
    for z in Z_VALUES:
        for halo in (False, True):
            data.log_den, data.log_den_err = log_den.copy(), log_den_err.copy()
            if path == "cython":
                data.compute_clustering_ADP(Z=z, halo=halo)
            else:
                data.compute_clustering_ADP_pure_python(Z=z, halo=halo)
            tag = f"adp_z{round(z * 100)}"
            if halo:
                out[f"{tag}_labels_halo"] = np.asarray(data.cluster_assignment, np.int64)
                continue
            out[f"{tag}_labels"] = np.asarray(data.cluster_assignment, np.int64)
            out[f"{tag}_centers"] = np.asarray(data.cluster_centers, np.int64)
            out[f"{tag}_log_den_bord"] = np.asarray(data.log_den_bord, np.float64)
            out[f"{tag}_log_den_bord_err"] = np.asarray(data.log_den_bord_err, np.float64)
            out[f"{tag}_bord_indices"] = np.asarray(data.bord_indices, np.int64)
            out[f"{tag}_n_clusters"] = np.array(data.N_clusters)
    g = log_den - log_den_err
    centers, removed = data._find_density_modes(g)
    out["adp_candidate_peaks"] = np.array(sorted(set(centers) | set(removed[:, 0])
                                                 if len(removed) else centers), np.int64)
    out["adp_prelim_centers"] = np.asarray(centers, np.int64)
    out["adp_fallback_points"] = fallback_points(g, centers, data.dist_indices)
    return out


def fallback_points(g: np.ndarray, centers: list[int], dist_indices: np.ndarray) -> np.ndarray:
    """Non-peak points with no higher-g point among their maxk neighbours: the points the
    assignment fallback (take the label of the pruned candidate's eliminator) handles."""
    is_center = np.zeros(g.size, bool)
    is_center[list(centers)] = True
    local_max = np.all(g[dist_indices[:, 1:]] < g[:, None], axis=1)
    return np.flatnonzero(local_max & ~is_center).astype(np.int64)


def fallback_dataset() -> tuple[np.ndarray, int]:
    """The first seed whose data make the ADP assignment fallback fire at maxk=6."""
    for seed in range(200):
        x = fallback_candidates(np.random.default_rng(1000 + seed))
        data = Data(coordinates=x, maxk=FALLBACK_MAXK, verbose=False, n_jobs=1)
        data.compute_distances()
        data.compute_id_2NN()
        data.compute_kstar()
        data.compute_density_PAk()
        g = data.log_den - data.log_den_err
        centers, _ = data._find_density_modes(g)
        if fallback_points(g, centers, data.dist_indices).size:
            return x, 1000 + seed
    raise RuntimeError("no seed makes the ADP fallback fire")


# --------------------------------------------------------------------------- main


def main(out_dir: Path) -> None:
    warnings.simplefilter("ignore")
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [(name, make(np.random.default_rng(seed)), seed, maxk, path)
            for name, make, seed, maxk, path in DATASETS]
    x, seed = fallback_dataset()
    runs.append(("adp_fallback", x, seed, FALLBACK_MAXK, "python"))
    for name, x, seed, maxk, path in runs:
        arrays = run_dadapy(x, maxk, path)
        arrays["seed"] = np.array(seed)
        target = out_dir / f"{name}.npz"
        np.savez_compressed(target, **arrays)
        print(f"{target}: N={x.shape[0]} D={x.shape[1]} maxk={int(arrays['maxk'])} "
              f"id={float(arrays['id_2nn']):.4f} clusters(Z=1.65)="
              f"{int(arrays['adp_z165_n_clusters'])} "
              f"fallback_points={arrays['adp_fallback_points'].size} "
              f"{target.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/compute/fixtures/dadapy"))
