"""Which cluster space and density scale by default? (issue 15)

    python -m benchmarks.space_study [--sets fmnist patches nanowires] [--fmnist-n 2000 10000]

The defaults of the clusters issue put the density peaks on a 2-D UMAP manifold with a
kNN density of k = 10. This measures, on the labelled sets of
``benchmarks.defaults_study`` (same cached embeddings, same step cache), the manifold's
dimension cap (2, 3, 5, 8: ``d`` is the 2-NN intrinsic dimension capped there), UMAP's
neighbourhood (15, 30) and the density's k (10, 20, 30, and PAk) with the default cut rule
(the widest plateau) and the border halo: clusters found, NMI against the labels, the best
NMI any Z of the hierarchy reaches (chosen with the labels: an upper bound) and the halo
share. ``--min-points`` lowers the size below which the full space is used, so the
98 nanowire frames can be studied on a manifold too. Digit sets are never used.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import replace

DIM_CAPS = (2, 3, 5, 8)
NEIGHBOURS = (15, 30)
DENSITIES = (("knn", 10), ("knn", 20), ("knn", 30), ("pak", 10))


def rows_for(name: str, n: int | None, *, dim_caps, neighbours, densities, spaces,
             min_dist: float | None = None) -> list[dict]:
    from benchmarks import defaults_study as ds
    from compute.params import AnalysisParams
    from compute.peaks.topography import analyse

    data = ds.fashion_mnist(n) if name == "fmnist" else ds.SETS[name]()
    vectors = ds.embed(data)
    base = AnalysisParams().resolved(cnn_features=True)
    combos = [(sp, cap, nb) for sp in spaces
              for cap, nb in ([(c, b) for c in dim_caps for b in neighbours]
                              if sp == "umap" else [(base.manifold_dim_cap,
                                                     base.manifold_neighbors)])]
    out = []
    for space, cap, nb in combos:
        for density, k in densities:
            params = replace(base, space=space, manifold_dim_cap=cap, manifold_neighbors=nb,
                             density=density, k=k, **({} if min_dist is None else
                                                     {"manifold_min_dist": min_dist}))
            start = time.perf_counter()
            topo = analyse(vectors, params, cache=ds.step_cache())
            seconds = time.perf_counter() - start
            labels = topo.clustering.labels
            best = max((ds._scores(data.labels, topo.remerge(z=float(z)).clustering.labels)[0],
                        float(z)) for z in topo.suggested.z_values[::2])
            out.append({"set": data.name, "space": "full" if topo.manifold is None else
                        f"umap-{topo.manifold.dimension}d", "neighbours": nb,
                        "density": "pak" if density == "pak" else f"knn-{k}",
                        "z": topo.params.z, "clusters": topo.clustering.n_clusters,
                        "nmi": ds._scores(data.labels, labels)[0], "best_nmi": best[0],
                        "best_z": best[1], "halo": float(topo.clustering.is_halo.mean()),
                        "seconds": seconds})
            print(" | ".join(f"{v:.3f}" if isinstance(v, float) else str(v)
                             for v in out[-1].values()), flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.space_study")
    parser.add_argument("--sets", nargs="+", default=["nanowires", "patches", "fmnist"])
    parser.add_argument("--fmnist-n", nargs="+", type=int, default=[2000, 10000])
    parser.add_argument("--dim-caps", nargs="+", type=int, default=list(DIM_CAPS))
    parser.add_argument("--neighbours", nargs="+", type=int, default=list(NEIGHBOURS))
    parser.add_argument("--k", nargs="+", type=int, default=[10, 20, 30])
    parser.add_argument("--no-pak", action="store_true")
    parser.add_argument("--spaces", nargs="+", default=["umap", "full"])
    parser.add_argument("--min-dist", type=float, default=None,
                        help="UMAP's min_dist for the manifold (default: the product's)")
    parser.add_argument("--min-points", type=int, default=None,
                        help="build the manifold from this many images (default: the product's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.min_points is not None:
        import compute.peaks.topography as topography

        topography.MANIFOLD_MIN_POINTS = args.min_points
    densities = [("knn", k) for k in args.k] + ([] if args.no_pak else [("pak", 10)])
    print("set | space | neighbours | density | z | clusters | nmi | best_nmi | best_z | "
          "halo | seconds")
    for name in args.sets:
        for n in (args.fmnist_n if name == "fmnist" else [None]):
            rows_for(name, n, dim_caps=args.dim_caps, neighbours=args.neighbours,
                     densities=densities, spaces=args.spaces, min_dist=args.min_dist)


if __name__ == "__main__":
    main()
