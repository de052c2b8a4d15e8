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

import numpy as np

from compute.cache import StepCache, fingerprint_array
from compute.graph.density import Density
from compute.graph.intrinsic_dim import IntrinsicDimension
from compute.graph.knn import KnnGraph
from compute.params import AnalysisParams
from compute.peaks import Clustering, Peaks, remerge
from compute.progress import ProgressFn, report, staged

log = logging.getLogger(__name__)

#: Bump a step's version when its results change, so cached entries are recomputed.
STEP_VERSIONS = {"knn": "2", "intrinsic_dim": "1", "density": "1", "adp_peaks": "1"}


@dataclass(frozen=True)
class Topography:
    """Everything :func:`analyse` computed: kNN graph, intrinsic dimension, density, the
    Z-independent ADP peaks and the clustering at ``params.z``.

    params: the analysis parameters as computed (``maxk`` clamped to the distinct rows - 1).
    """

    params: AnalysisParams
    knn: KnnGraph
    intrinsic_dim: IntrinsicDimension
    density: Density
    peaks: Peaks
    clustering: Clustering

    @property
    def n_distinct(self) -> int:
        """Distinct rows the graph was built on (maxk is at most this - 1)."""
        dedup = self.knn.deduplication
        return self.knn.n_points if dedup is None else dedup.n_distinct

    @property
    def neighbour_search(self) -> dict:
        """What the run records about its kNN search: asked for, used, measured recall."""
        from compute.graph.knn import search_record

        return search_record(self.knn, self.params.knn_method)

    @property
    def rho_max(self) -> float:
        """The highest log-density of any point (the top of the peak distances)."""
        return float(np.max(self.density.log_density))

    def remerge(self, *, z: float, halo: bool | None = None) -> Topography:
        """The same analysis merged at a new Z (and halo, default unchanged); steps 1-4 are
        reused."""
        params = self.params.at_cut(z=z, halo=halo)
        clustering = remerge(self.peaks, z=params.z, halo=params.halo)
        return dataclasses.replace(self, params=params, clustering=clustering)

    def at(self, params: AnalysisParams) -> Topography:
        """This topography cut at ``params``' Z and halo; ValueError if ``params`` asks for
        another graph, density or peaks (those need :func:`analyse`)."""
        mine, theirs = self.params.graph_dict(), params.graph_dict()
        clamped = params.maxk > mine["maxk"] == self.n_distinct - 1
        if {**theirs, "maxk": mine["maxk"] if clamped else theirs["maxk"]} != mine:
            raise ValueError(f"this topography was computed with {self.params.describe()}; "
                             f"{params.describe()} needs a new analysis")
        return self.remerge(z=params.z, halo=params.halo)


def describe_search(knn: KnnGraph) -> str:
    """One line: ``ivf neighbours, recall@100 0.998 on 1000 rows`` or ``exact neighbours``."""
    if knn.recall is None:
        return f"{knn.method} neighbours"
    return (f"{knn.method} neighbours, recall@{knn.maxk} {knn.recall:.3f} on "
            f"{knn.recall_sample} rows")


def _clamped(params: AnalysisParams, n_distinct: int) -> AnalysisParams:
    """``params`` with maxk clamped to ``n_distinct - 1``; ValueError if too few rows."""
    if n_distinct < 3:
        raise ValueError(f"a topography needs at least 3 distinct points, got {n_distinct}")
    maxk = min(params.maxk, n_distinct - 1)
    if params.density == "knn" and params.k > maxk:
        raise ValueError(f"k must lie in 1..maxk = {maxk} for the kNN density, got "
                         f"{params.k}; lower k or raise maxk")
    return dataclasses.replace(params, maxk=maxk)


def analyse(x: np.ndarray, params: AnalysisParams | None = None, *,
            cache: StepCache | None = None, progress: ProgressFn | None = None) -> Topography:
    """Density-peak topography of ``x`` (N, D) float: the embeddings, one row per item.

    ``params`` (default :class:`AnalysisParams`'s defaults): metric ("cosine" L2-normalises
    the rows first, see :func:`compute.arrays.metric_points`), maxk (clamped to M - 1 for M
    distinct rows), density ("pak" or "knn" with ``k``), knn_method, and the cut (z, halo).
    Each step is cached in ``cache`` by the content of ``x`` and the parameters it depends
    on (never Z or halo). Raises ValueError for bad data (NaN rows, fewer than 3 distinct
    rows, k above the clamped maxk).
    """
    from compute.arrays import metric_points
    from compute.graph.density import knn_density, pak_density
    from compute.graph.intrinsic_dim import two_nn_dimension
    from compute.graph.knn import deduplicate, knn_graph, resolve_method
    from compute.peaks import find_peaks

    params = AnalysisParams() if params is None else params
    points = metric_points(x, params.metric)
    n_distinct = deduplicate(points).n_distinct
    params = _clamped(params, n_distinct)
    method = resolve_method(params.knn_method, n_distinct)  # "auto" -> the search it picks
    cache = cache if cache is not None else StepCache(None)
    inputs = fingerprint_array(points)  # of the normalised rows under "cosine"
    upstream: dict[str, object] = {"maxk": params.maxk, "knn_method": method}

    def step(name: str, compute, **more):  # each step keyed by everything upstream of it
        upstream.update(more)
        return cache.cached(name, inputs=inputs, params=dict(upstream),
                            version=STEP_VERSIONS[name], compute=compute)

    knn = step("knn", lambda: knn_graph(points, maxk=params.maxk, method=method,
                                        progress=staged(progress, "kNN graph", "points",
                                                        0.0, 0.6)))
    ident = step("intrinsic_dim", lambda: two_nn_dimension(knn))
    report(progress, 650, 1000)
    dim = ident.dimension
    if params.density == "pak":
        pak_progress = staged(progress, "PAk density", "points", 0.65, 0.9)
        dens = step("density", lambda: pak_density(knn, intrinsic_dim=dim,
                                                   progress=pak_progress),
                    density="pak")
    else:
        dens = step("density", lambda: knn_density(knn, intrinsic_dim=dim, k=params.k),
                    density="knn", k=params.k)
    peaks = step("adp_peaks", lambda: find_peaks(knn, dens,
                                                  progress=staged(progress, "density peaks",
                                                                  "steps", 0.9, 1)))
    clustering = remerge(peaks, z=params.z, halo=params.halo)
    report(progress, 1000, 1000)
    log.info("topography: N=%d, intrinsic dimension %.2f, %d peaks, %d clusters (%s; %s)",
             knn.n_points, dim, peaks.n_peaks, clustering.n_clusters, params.describe(),
             describe_search(knn))
    return Topography(params=params, knn=knn, intrinsic_dim=ident, density=dens, peaks=peaks,
                      clustering=clustering)
