"""The whole density-peak analysis of a set of vectors in one call, each step cached.

``analyse(x)`` runs kNN graph -> 2-NN intrinsic dimension -> density (PAk or kNN) -> ADP
peaks (steps 1-4) -> merge at Z, and returns a :class:`Topography` that keeps every
intermediate result, so the dashboard can re-merge for a new Z (``topo.remerge(z=...)``,
milliseconds) and draw the kNN-based views without recomputing anything.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np

from compute.cache import StepCache, fingerprint_array
from compute.graph.density import Density
from compute.graph.intrinsic_dim import IntrinsicDimension
from compute.graph.knn import KnnGraph
from compute.peaks import Clustering, Peaks, check_z, remerge
from compute.progress import ProgressFn, report, scaled

log = logging.getLogger(__name__)

DensityMethod = Literal["pak", "knn"]
DENSITY_METHODS: tuple[str, ...] = ("pak", "knn")
#: Bump a step's version when its results change, so cached entries are recomputed.
STEP_VERSIONS = {"knn": "1", "intrinsic_dim": "1", "density": "1", "adp_peaks": "1"}


@dataclass(frozen=True)
class TopographyParams:
    """The parameters of :func:`analyse` (maxk after clamping to N - 1)."""

    maxk: int
    density: str
    k: int
    z: float
    halo: bool
    knn_method: str
    metric: str = "euclidean"


@dataclass(frozen=True)
class Topography:
    """Everything :func:`analyse` computed: kNN graph, intrinsic dimension, density, the
    Z-independent ADP peaks and the clustering at ``params.z``."""

    params: TopographyParams
    knn: KnnGraph
    intrinsic_dim: IntrinsicDimension
    density: Density
    peaks: Peaks
    clustering: Clustering

    @property
    def rho_max(self) -> float:
        """The highest log-density of any point (the top of the peak distances)."""
        return float(np.max(self.density.log_density))

    def remerge(self, *, z: float, halo: bool | None = None) -> Topography:
        """The same analysis merged at a new Z (and halo, default unchanged); steps 1-4 are
        reused."""
        halo = self.params.halo if halo is None else bool(halo)
        clustering = remerge(self.peaks, z=z, halo=halo)
        params = dataclasses.replace(self.params, z=clustering.z, halo=halo)
        return dataclasses.replace(self, params=params, clustering=clustering)


def _check(density: str, k: int, maxk: int, n: int) -> int:
    if density not in DENSITY_METHODS:
        raise ValueError(f"density must be 'pak' or 'knn', not {density!r}")
    if n < 3:
        raise ValueError(f"a topography needs at least 3 distinct points, got {n}")
    if maxk < 2:
        raise ValueError(f"maxk must be >= 2 (2-NN needs two neighbours), got {maxk}")
    maxk = min(maxk, n - 1)
    if density == "knn" and not 1 <= k <= maxk:
        raise ValueError(f"k must lie in 1..maxk = {maxk} for the kNN density, got {k}; "
                         "lower k or raise maxk")
    return maxk


def analyse(x: np.ndarray, *, maxk: int = 100, density: DensityMethod = "pak", k: int = 30,
            z: float = 1.65, halo: bool = False, knn_method: str = "exact",
            metric: str = "euclidean", cache: StepCache | None = None,
            progress: ProgressFn | None = None) -> Topography:
    """Density-peak topography of ``x`` (N, D) float: the embeddings, one row per item.

    maxk: neighbours in the graph (clamped to M - 1 for M distinct rows); density: "pak"
    (adaptive k*) or "knn" (fixed ``k``); z >= 1: ADP's merge significance; halo: flag
    uncertain border points; knn_method: "exact", "ivf" or "hnsw" (see
    :func:`compute.graph.knn.knn_graph`); metric: "euclidean", or "cosine" (rows L2-normalised
    first, see :func:`compute.arrays.metric_points`). Each step is cached in ``cache`` by the
    content of ``x`` and the parameters it depends on. Raises ValueError for bad parameters or data
    (NaN rows, fewer than 3 distinct rows).
    """
    from compute.arrays import metric_points
    from compute.graph.density import knn_density, pak_density
    from compute.graph.intrinsic_dim import two_nn_dimension
    from compute.graph.knn import deduplicate, knn_graph
    from compute.peaks import find_peaks

    z = check_z(z)
    points = metric_points(x, metric)
    maxk = _check(density, k, int(maxk), deduplicate(points).n_distinct)
    cache = cache if cache is not None else StepCache(None)
    params = TopographyParams(maxk=maxk, density=density, k=int(k), z=z, halo=bool(halo),
                              knn_method=knn_method, metric=metric)
    inputs = fingerprint_array(points)  # of the normalised rows under "cosine"
    upstream: dict[str, object] = {"maxk": maxk, "knn_method": knn_method}

    def step(name: str, compute, **more):  # each step keyed by everything upstream of it
        upstream.update(more)
        return cache.cached(name, inputs=inputs, params=dict(upstream),
                            version=STEP_VERSIONS[name], compute=compute)

    knn = step("knn", lambda: knn_graph(points, maxk=maxk, method=knn_method,
                                        progress=scaled(progress, 0.0, 0.6)))
    ident = step("intrinsic_dim", lambda: two_nn_dimension(knn))
    report(progress, 650, 1000)
    dim = ident.dimension
    if density == "pak":
        dens = step("density", lambda: pak_density(knn, intrinsic_dim=dim,
                                                   progress=scaled(progress, 0.65, 0.9)),
                    density="pak")
    else:
        dens = step("density", lambda: knn_density(knn, intrinsic_dim=dim, k=k),
                    density="knn", k=int(k))
    peaks = step("adp_peaks", lambda: find_peaks(knn, dens, progress=scaled(progress, 0.9, 1)))
    clustering = remerge(peaks, z=z, halo=halo)
    report(progress, 1000, 1000)
    log.info("topography: N=%d, intrinsic dimension %.2f, %d peaks, %d clusters at Z=%.2f",
             knn.n_points, dim, peaks.n_peaks, clustering.n_clusters, z)
    return Topography(params=params, knn=knn, intrinsic_dim=ident, density=dens, peaks=peaks,
                      clustering=clustering)
