"""The whole density-peak analysis of a set of vectors in one call, each step cached.

``analyse(x)`` runs kNN graph -> 2-NN intrinsic dimension -> (space "umap": a d-dimensional
UMAP manifold built from that graph, and the kNN graph of its points) -> density (PAk or
kNN) -> ADP peaks (steps 1-4) -> the suggested cut -> merge at Z (the suggested one when
``params.z`` is None), and returns a :class:`Topography` that keeps every intermediate
result, so the dashboard can re-merge for a new Z (``topo.remerge(z=...)``, milliseconds)
and draw the kNN-based views without recomputing anything.
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
from compute.graph.manifold import Manifold
from compute.params import (
    MANIFOLD_MAX_POINTS,
    MANIFOLD_MIN_POINTS,
    AnalysisParams,
    default_k,
)
from compute.peaks import Clustering, Peaks, remerge
from compute.peaks.cut import SuggestedCut, suggest_cut
from compute.peaks.halo import border_neighbours
from compute.progress import ProgressFn, report, staged

log = logging.getLogger(__name__)

#: Bump a step's version when its results change, so cached entries are recomputed.
STEP_VERSIONS = {"knn": "2", "intrinsic_dim": "1", "manifold": "1", "manifold_knn": "1",
                 "density": "2", "adp_peaks": "2", "suggested_cut": "1"}


@dataclass(frozen=True)
class Topography:
    """Everything :func:`analyse` computed: kNN graph and intrinsic dimension of the
    embedding, the cluster space (the embedding itself or a UMAP manifold of it), the
    density and Z-independent ADP peaks found there, the suggested cut and the clustering
    at ``params.z``.

    params: the analysis parameters as computed (``maxk`` clamped to the distinct rows - 1,
        ``metric`` concrete, ``z`` the suggested cut's when none was asked for).
    knn, intrinsic_dim: the embedding's graph and 2-NN dimension (neighbours shown to the
        user, projections, diagnostics).
    manifold: the UMAP manifold the peaks were found on; None when they were found in the
        full space. cluster_knn: the graph of the cluster space (``knn`` itself when
        ``manifold`` is None); density and peaks live on it.
    suggested: the suggested cut (:mod:`compute.peaks.cut`).
    """

    params: AnalysisParams
    knn: KnnGraph
    intrinsic_dim: IntrinsicDimension
    density: Density
    peaks: Peaks
    clustering: Clustering
    suggested: SuggestedCut
    manifold: Manifold | None = None
    cluster_knn: KnnGraph | None = None

    @property
    def space_knn(self) -> KnnGraph:
        """The graph the density and peaks live on."""
        return self.knn if self.cluster_knn is None else self.cluster_knn

    def space_description(self) -> str:
        """Where the density peaks were found, in words for the summary line."""
        if self.manifold is not None:
            return f"density peaks found on {self.manifold.describe()}"
        why = (f" (fewer than {MANIFOLD_MIN_POINTS} images for a UMAP manifold)"
               if self.n_distinct < MANIFOLD_MIN_POINTS
               else f" (more than {MANIFOLD_MAX_POINTS:,} images: a UMAP manifold would "
                    "cost minutes)" if self.n_distinct > MANIFOLD_MAX_POINTS else "")
        return (f"density peaks found in the full {self.params.metric} embedding space "
                f"(intrinsic dimension {self.intrinsic_dim.dimension:.1f}){why}")

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

    def remerge(self, *, z: float | None, halo: bool | None = None,
                halo_rule: str | None = None) -> Topography:
        """The same analysis merged at a new Z (None: the suggested cut) and halo (default
        unchanged); nothing before the merge is recomputed."""
        params = self.params.at_cut(z=self.suggested.z if z is None else z, halo=halo,
                                    halo_rule=halo_rule)
        clustering = _cut(self.peaks, params, self.space_knn, self.density)
        return dataclasses.replace(self, params=params, clustering=clustering)

    def at(self, params: AnalysisParams) -> Topography:
        """This topography cut at ``params``' Z (None: the suggested cut) and halo;
        ValueError if ``params`` asks for another graph, space, density or peaks (those
        need :func:`analyse`)."""
        asked = params if params.metric != "auto" else dataclasses.replace(
            params, metric=self.params.metric)
        as_computed, _ = _for_rows(asked, self.n_distinct)  # maxk, k and space as analysed
        if as_computed.graph_dict() != self.params.graph_dict():
            raise ValueError(f"this topography was computed with {self.params.describe()}; "
                             f"{params.describe()} needs a new analysis")
        return self.remerge(z=params.z, halo=params.halo, halo_rule=params.halo_rule)


def _cut(peaks: Peaks, params: AnalysisParams, graph: KnnGraph, density: Density) -> Clustering:
    """The clustering of ``peaks`` at ``params``' Z (concrete) and halo rule."""
    neighbours = (border_neighbours(graph.indices, density.kstar)
                  if params.halo and params.halo_rule == "border" else None)
    return remerge(peaks, z=params.z, halo=params.halo, halo_rule=params.halo_rule,
                   neighbours=neighbours)


def describe_search(knn: KnnGraph) -> str:
    """One line: ``ivf neighbours, recall@100 0.998 on 1000 rows`` or ``exact neighbours``."""
    if knn.recall is None:
        return f"{knn.method} neighbours"
    return (f"{knn.method} neighbours, recall@{knn.maxk} {knn.recall:.3f} on "
            f"{knn.recall_sample} rows")


def _clamped(params: AnalysisParams, n_distinct: int) -> AnalysisParams:
    """``params`` as computed for ``n_distinct`` distinct rows (:func:`_for_rows`), with a
    log line saying what changed; ValueError if too few rows."""
    if n_distinct < 3:
        raise ValueError(f"a topography needs at least 3 distinct points, got {n_distinct}")
    params, changed = _for_rows(params, n_distinct)
    if changed:
        log.info("%d distinct points: %s", n_distinct, "; ".join(changed))
    return params


def _for_rows(params: AnalysisParams, n_distinct: int) -> tuple[AnalysisParams, list[str]]:
    """(``params`` as computed for ``n_distinct`` distinct rows, what changed in words):
    maxk clamped to ``n_distinct - 1`` and the kNN density's k to that maxk (a folder of 6
    distinct images has only 5 neighbours to count), a k not given made
    :func:`compute.params.default_k` of the folder, and space "umap" resolved to "full"
    where no manifold is built (:func:`manifold_fits`). The outputs record these values."""
    maxk = min(params.maxk, n_distinct - 1)
    k = default_k(n_distinct, maxk) if params.k is None else min(params.k, maxk)
    space = "full" if params.space == "umap" and not manifold_fits(n_distinct) else params.space
    why_space = (f" (a UMAP manifold is built for {MANIFOLD_MIN_POINTS} to "
                 f"{MANIFOLD_MAX_POINTS} images)")
    given_k = k if params.k is None else params.k  # a default k is not a change
    changed = [f"{name} {old} -> {new}{why}" for name, old, new, why
               in (("maxk", params.maxk, maxk, ""), ("k", given_k, k, ""),
                   ("space", params.space, space, why_space)) if old != new]
    return dataclasses.replace(params, maxk=maxk, k=k, space=space), changed


def manifold_fits(n_distinct: int) -> bool:
    """Whether a folder of ``n_distinct`` distinct rows gets a UMAP manifold when "umap" is
    asked (:data:`MANIFOLD_MIN_POINTS` to :data:`MANIFOLD_MAX_POINTS` rows)."""
    return MANIFOLD_MIN_POINTS <= n_distinct <= MANIFOLD_MAX_POINTS


def analyse(x: np.ndarray, params: AnalysisParams | None = None, *,
            cache: StepCache | None = None, progress: ProgressFn | None = None) -> Topography:
    """Density-peak topography of ``x`` (N, D) float: the embeddings, one row per item.

    ``params`` (default :class:`AnalysisParams`'s defaults): metric ("cosine" L2-normalises
    the rows first, see :func:`compute.arrays.metric_points`; "auto" not resolved by the
    caller means Euclidean), maxk (clamped to M - 1 for M distinct rows), knn_method, the
    cluster space ("umap": a manifold of :func:`compute.graph.manifold.umap_manifold`, only
    from :data:`MANIFOLD_MIN_POINTS` distinct rows), density ("pak" or "knn" with ``k``), the
    cut rule, and the cut (z, None for the suggested one; halo, halo_rule). Each step is
    cached in ``cache`` by the content of ``x`` and the parameters it depends on (never the
    cut). Raises ValueError for bad data (NaN rows, fewer than 3 distinct rows, k above the
    clamped maxk).
    """
    params, points, method, step = _prepared(x, params, cache)
    knn, ident, manifold, graph = _spaces(points, params, method, step, progress)
    dens, peaks = _peaks(graph, params, step, manifold, ident, progress)
    suggested = step("suggested_cut", lambda: suggest_cut(
        params.cut_rule, knn=graph, density=dens, peaks=peaks,
        progress=staged(progress, "suggested cut", "perturbations", 0.93, 1.0)),
        cut_rule=params.cut_rule)
    if params.z is None:
        params = params.at_cut(z=suggested.z)
    clustering = _cut(peaks, params, graph, dens)
    report(progress, 1000, 1000)
    log.info("topography: N=%d, intrinsic dimension %.2f, %d peaks, %d clusters (%s; %s)",
             knn.n_points, ident.dimension, peaks.n_peaks, clustering.n_clusters,
             params.describe(), describe_search(knn))
    return Topography(params=params, knn=knn, intrinsic_dim=ident, density=dens, peaks=peaks,
                      clustering=clustering, suggested=suggested, manifold=manifold,
                      cluster_knn=None if manifold is None else graph)


def _prepared(x: np.ndarray, params: AnalysisParams | None, cache: StepCache | None):
    """(params as computed, the points the graph is built on, the search method, a step
    runner that caches each step by the points and everything upstream of it)."""
    from compute.arrays import metric_points
    from compute.graph.knn import deduplicate, resolve_method

    params = (AnalysisParams() if params is None else params).resolved(cnn_features=None)
    points = metric_points(x, params.metric)
    n_distinct = deduplicate(points).n_distinct
    params = _clamped(params, n_distinct)
    method = resolve_method(params.knn_method, n_distinct)
    cache = cache if cache is not None else StepCache(None)
    inputs = fingerprint_array(points)  # of the normalised rows under "cosine"
    upstream: dict[str, object] = {"maxk": params.maxk, "knn_method": method}

    def step(name: str, compute, **more):  # each step keyed by everything upstream of it
        upstream.update(more)
        return cache.cached(name, inputs=inputs, params=dict(upstream),
                            version=STEP_VERSIONS[name], compute=compute)

    return params, points, method, step


def embedding_graph(x: np.ndarray, params: AnalysisParams | None = None, *,
                    cache: StepCache | None = None,
                    progress: ProgressFn | None = None) -> KnnGraph:
    """The kNN graph :func:`analyse` builds on ``x`` (N, D) for ``params`` (the same cached
    step), without the rest of the analysis: what the near-duplicate search needs before
    copies are collapsed."""
    params, points, method, step = _prepared(x, params, cache)
    return step("knn", lambda: knn_graph_of(points, params, method, progress))


def knn_graph_of(points: np.ndarray, params: AnalysisParams, method: str,
                 progress: ProgressFn | None) -> KnnGraph:
    from compute.graph.knn import knn_graph

    return knn_graph(points, maxk=params.maxk, method=method,
                     progress=staged(progress, "kNN graph", "points", 0.0, 0.5))


def _spaces(points: np.ndarray, params: AnalysisParams, method: str, step,
            progress: ProgressFn | None):
    """(the embedding's kNN graph searched by ``method``, its 2-NN dimension, the UMAP
    manifold or None, the graph of the cluster space)."""
    from compute.graph.intrinsic_dim import two_nn_dimension
    from compute.graph.knn import knn_graph
    from compute.graph.manifold import umap_manifold

    knn = step("knn", lambda: knn_graph_of(points, params, method, progress))
    ident = step("intrinsic_dim", lambda: two_nn_dimension(knn))
    report(progress, 550, 1000)
    if params.space != "umap":  # asked, or resolved for the folder's size (_clamped)
        return knn, ident, None, knn
    manifold = step("manifold", lambda: umap_manifold(
        points, knn, intrinsic_dim=ident.dimension, dim_cap=params.manifold_dim_cap,
        n_neighbors=params.manifold_neighbors, min_dist=params.manifold_min_dist),
        space="umap", manifold_dim_cap=params.manifold_dim_cap,
        manifold_neighbors=params.manifold_neighbors,
        manifold_min_dist=params.manifold_min_dist)
    report(progress, 750, 1000)
    graph = step("manifold_knn", lambda: knn_graph(manifold.points, maxk=params.maxk,
                                                   method="exact"))
    return knn, ident, manifold, graph


def _peaks(graph: KnnGraph, params: AnalysisParams, step, manifold: Manifold | None,
           ident: IntrinsicDimension, progress: ProgressFn | None) -> tuple[Density, Peaks]:
    """The density and the ADP peaks on the cluster space's graph (dimension: the
    manifold's, else the embedding's 2-NN estimate)."""
    from compute.graph.density import knn_density, pak_density
    from compute.peaks import find_peaks

    dim = ident.dimension if manifold is None else float(manifold.dimension)
    if params.density == "pak":
        pak_progress = staged(progress, "PAk density", "points", 0.8, 0.9)
        dens = step("density", lambda: pak_density(graph, intrinsic_dim=dim,
                                                   progress=pak_progress),
                    density="pak")
    else:
        dens = step("density", lambda: knn_density(graph, intrinsic_dim=dim, k=params.k),
                    density="knn", k=params.k)
    peaks = step("adp_peaks", lambda: find_peaks(graph, dens,
                                                 progress=staged(progress, "density peaks",
                                                                 "steps", 0.9, 0.93)))
    return dens, peaks
