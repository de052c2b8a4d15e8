"""The cluster space's UMAP settings over several seeds, beside the peers' pipeline (issue 15).

    python -m benchmarks.seed_study [--seeds 0 1 2] [--sets patches fmnist] [--fmnist-n 2000 10000]

The manifold the density peaks are found on is one UMAP run, so a difference of 0.01-0.02
NMI between two settings on one seed may be the seed's. This runs each candidate setting
(UMAP's ``min_dist`` and ``n_neighbors`` for the manifold, the kNN density's ``k``; the rest
are the defaults: cosine, maxk 100, 2-D, widest-plateau cut, border halo) with several
UMAP seeds on the labelled sets of ``benchmarks.defaults_study`` (same cached embeddings),
and the peers' UMAP-2-D + k-means told the true k with the same seeds, and prints each
setting's NMI per seed, mean and spread. Steps are cached per seed apart from the
product's cache. Digit sets are never used.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

#: (min_dist, n_neighbors, k): the settings before 2026-12-07 21:30 first, today's third.
CANDIDATES = ((0.0, 30, 10), (0.1, 15, 10), (0.1, 15, 20), (0.1, 30, 10), (0.1, 30, 20))


def adp_nmi(data, vectors, *, min_dist: float, neighbours: int, k: int, seed: int) -> tuple:
    """(NMI, clusters, halo share) of the default analysis with these manifold settings."""
    import compute.graph.manifold as manifold
    from benchmarks import defaults_study as ds
    from compute.cache import StepCache
    from compute.params import AnalysisParams
    from compute.peaks.topography import analyse

    manifold.umap_manifold.__kwdefaults__["random_state"] = seed
    params = replace(AnalysisParams().resolved(cnn_features=True), manifold_neighbors=neighbours,
                     manifold_min_dist=min_dist, k=k)
    cache = StepCache(ds.CACHE / f"steps-seed{seed}")  # the step keys omit the seed
    topo = analyse(vectors, params, cache=cache)
    c = topo.clustering
    return ds._scores(data.labels, c.labels)[0], c.n_clusters, float(c.is_halo.mean())


def kmeans_nmi(data, vectors, seed: int) -> float:
    """The peers' pipeline: UMAP-2-D (cosine, 15 neighbours, min_dist 0.1), k-means told k."""
    import umap
    from sklearn.cluster import KMeans

    from benchmarks import defaults_study as ds

    xy = umap.UMAP(n_components=2, metric="cosine", random_state=seed).fit_transform(vectors)
    labels = KMeans(n_clusters=len(set(data.labels)), n_init=10, random_state=0).fit_predict(xy)
    return ds._scores(data.labels, labels)[0]


def line(name: str, values: list[float], extra: str = "") -> str:
    v = np.asarray(values)
    return (f"  {name:34s} mean {v.mean():.3f} (min {v.min():.3f}, max {v.max():.3f}) "
            f"per seed {' '.join(f'{x:.3f}' for x in v)}{extra}")


def main(argv: list[str] | None = None) -> None:
    from benchmarks import defaults_study as ds

    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed_study")
    parser.add_argument("--sets", nargs="+", default=["patches", "fmnist"])
    parser.add_argument("--fmnist-n", nargs="+", type=int, default=[2000, 5000, 10000])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)
    for name in args.sets:
        for n in (args.fmnist_n if name == "fmnist" else [None]):
            data = ds.fashion_mnist(n) if name == "fmnist" else ds.SETS[name]()
            vectors = ds.embed(data)
            print(f"{data.name} ({len(vectors)} images, {len(set(data.labels))} labels)",
                  flush=True)
            print(line(f"UMAP-2D + k-means (k = {len(set(data.labels))} told)",
                       [kmeans_nmi(data, vectors, s) for s in args.seeds]), flush=True)
            for min_dist, neighbours, k in CANDIDATES:
                runs = [adp_nmi(data, vectors, min_dist=min_dist, neighbours=neighbours, k=k,
                                seed=s) for s in args.seeds]
                print(line(f"ADP md {min_dist:g}, {neighbours} nb, kNN-{k}",
                           [r[0] for r in runs],
                           f"; clusters {' '.join(str(r[1]) for r in runs)}; halo max "
                           f"{max(r[2] for r in runs):.0%}"), flush=True)


if __name__ == "__main__":
    main()
