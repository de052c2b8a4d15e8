"""Would a longer Z range give the suggested cut fewer, better clusters? (issue 15)

    python -m benchmarks.z_range_study [fmnist patches nanowires]

At 10 000 Fashion-MNIST images the widest-plateau cut sits near the top of the offered
range (:data:`compute.params.Z_MAX`) with more clusters than classes. This recomputes the
plateau rule over grids reaching further (Z_MIN..Zmax by Z_STEP, Zmax in
:data:`Z_MAXES`) on the default analysis of each labelled set of
``benchmarks.defaults_study`` (same embeddings, same step cache: the analysis itself is a
cache hit after that study) and prints the cut, its clusters and its NMI against the
labels. Digit sets are never used.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

Z_MAXES = (5.0, 7.5, 10.0, 15.0, 25.0)


def study(name: str, n: int | None) -> list[str]:
    from benchmarks import defaults_study as ds
    from compute.params import Z_MIN, Z_STEP, AnalysisParams
    from compute.peaks.cut import clusters_against_z, widest_plateau
    from compute.peaks.topography import analyse

    data = ds.fashion_mnist(n) if name == "fmnist" else ds.SETS[name]()
    topo = analyse(ds.embed(data), AnalysisParams().resolved(cnn_features=True),
                   cache=ds.step_cache())
    lines = [f"{data.name}: default Z {topo.params.z:g} -> {topo.clustering.n_clusters} clusters"]
    for z_max in Z_MAXES:
        grid = np.round(np.arange(Z_MIN, z_max + Z_STEP / 2, Z_STEP), 4)
        counts = clusters_against_z(topo.peaks, grid)
        z = float(grid[widest_plateau(counts)])
        cut = topo.at(dataclasses.replace(topo.params, z=z)).clustering
        nmi = ds._scores(data.labels, cut.labels)[0]
        lines.append(f"  Z range up to {z_max:>4}: plateau Z {z:5.2f} -> {cut.n_clusters:3d} "
                     f"clusters, NMI {nmi:.3f} ({counts[-1]} clusters at the range's top)")
    return lines


def main(argv: list[str] | None = None) -> None:
    sets = (argv if argv is not None else sys.argv[1:]) or ["fmnist", "patches", "nanowires"]
    for name in sets:
        for n in ([2000, 5000, 10000] if name == "fmnist" else [None]):
            print("\n".join(study(name, n)), flush=True)


if __name__ == "__main__":
    main()
