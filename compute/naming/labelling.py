"""From an analysed folder to a labelled hierarchy: the steps the hierarchy panel and
``python -m compute export`` share.

The pipeline's :class:`compute.pipeline.Analysis` carries the whole density-peak
topography; :func:`label_analysis` cuts it at the parameters' Z (a re-merge of the cached
peaks, milliseconds: :meth:`compute.pipeline.Analysis.at`), builds the pictures' inputs
(:func:`hierarchy_at`) and joins them with the images (:func:`labelled_clustering`).
Nothing here recomputes the graph, so every view shows the clustering of the one
:class:`compute.params.AnalysisParams` it was given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compute.cache import StepCache
from compute.naming import ClusterTree, LabelledClustering, RunInfo, tree_from_linkage
from compute.params import AnalysisParams
from compute.peaks import Clustering, remerge
from compute.peaks.hierarchy import Dendrogram, dendrogram, mds_map, saddle_adjacency
from compute.peaks.topography import Topography

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HierarchyAtZ:
    """ADP at one Z and everything the three pictures draw.

    clustering: the ADP result (labels, centres, saddles, merge history).
    dendrogram: SciPy linkage with saddle heights; tree: the same as a :class:`ClusterTree`.
    mds: (K, 2) peak map; adjacency: (K, K) saddle log-densities, peaks on the diagonal,
    NaN where no border.
    """

    clustering: Clustering
    dendrogram: Dendrogram
    tree: ClusterTree
    mds: np.ndarray
    adjacency: np.ndarray


def hierarchy_at(topography: Topography) -> HierarchyAtZ:
    """The tree and pictures of the topography's clustering (at its ``params.z``; cut it
    first with :meth:`Topography.at` or :meth:`Topography.remerge`)."""
    clustering = topography.clustering
    rho_max = topography.rho_max
    dend = dendrogram(clustering, rho_max=rho_max)
    tree = tree_from_linkage(dend.linkage, leaf_heights=dend.leaf_heights,
                             merge_heights=dend.merge_heights, populations=dend.populations)
    return HierarchyAtZ(clustering=clustering, dendrogram=dend, tree=tree,
                        mds=mds_map(clustering, rho_max=rho_max),
                        adjacency=saddle_adjacency(clustering))


def clusters_against_z(topography: Topography, z_values: Sequence[float]) -> np.ndarray:
    """(len(z_values),) int64 number of clusters at each Z."""
    return np.array([remerge(topography.peaks, z=z).n_clusters for z in z_values],
                    dtype=np.int64)


def labelled_clustering(hierarchy: HierarchyAtZ, *, ids: Sequence[str], paths: Sequence[str],
                        known_labels: Sequence[str | None], run: RunInfo,
                        assigned: np.ndarray | None = None,
                        log_density: np.ndarray | None = None) -> LabelledClustering:
    """The images of a run with their clusters and tree (what naming and export use)."""
    c = hierarchy.clustering
    n = len(ids)
    return LabelledClustering(
        ids=tuple(ids), paths=tuple(paths), known_labels=tuple(known_labels),
        labels=np.asarray(c.labels, dtype=np.int64), is_halo=np.asarray(c.is_halo, dtype=bool),
        assigned=np.zeros(n, dtype=bool) if assigned is None else np.asarray(assigned, bool),
        peak_rows=np.asarray(c.centers, dtype=np.int64), tree=hierarchy.tree, run=run,
        log_density=log_density)


@dataclass(frozen=True)
class LabelledRun:
    """One analysed folder at one Z: the images' clusters, the pictures, the topography."""

    clustering: LabelledClustering
    hierarchy: HierarchyAtZ
    topography: Topography


def run_info(analysis) -> RunInfo:
    """The :class:`RunInfo` of a :class:`compute.pipeline.Analysis` (its parameters and cut)."""
    return RunInfo.of(analysis.params, data_fingerprint=analysis.dataset.fingerprint,
                      backbone=analysis.embeddings.backbone,
                      weights=analysis.embeddings.weights)


def label_analysis(analysis, params: AnalysisParams | None = None) -> LabelledRun:
    """The labelled hierarchy of a :class:`compute.pipeline.Analysis` cut at ``params``
    (default: the analysis' own parameters). ``params`` may differ from the analysis' only
    in Z and halo (ValueError otherwise: the graph would have to be recomputed)."""
    cut = analysis if params is None else analysis.at(params)
    hierarchy = hierarchy_at(cut.topography)
    usable = cut.dataset.usable
    clustering = labelled_clustering(hierarchy, ids=[r.id for r in usable],
                                     paths=[r.path for r in usable],
                                     known_labels=[r.label for r in usable],
                                     run=run_info(cut),
                                     log_density=cut.topography.density.log_density)
    return LabelledRun(clustering=clustering, hierarchy=hierarchy, topography=cut.topography)


def label_with_reference(analysis, reference_ids: Sequence[str], *,
                         params: AnalysisParams | None = None,
                         cache: StepCache | None = None) -> LabelledClustering:
    """Cluster only the images of a reference run and *assign* the others (added later).

    ``reference_ids``: image ids of the original run (e.g. the ``id`` column of an earlier
    export). Those images are clustered exactly as before (same ``params``: metric, graph,
    density, peaks and Z); every other image of ``analysis`` joins the cluster of its
    nearest denser original image in the same metric
    (:func:`compute.peaks.assign.assign_new_points`) and is marked ``assigned``.
    """
    from compute.arrays import metric_points
    from compute.peaks.assign import assign_new_points
    from compute.peaks.topography import analyse

    params = analysis.config.analysis if params is None else params
    ids = np.asarray(analysis.embeddings.ids, dtype=object)
    is_old = np.isin(ids, np.asarray(list(reference_ids), dtype=object))
    old_rows = np.flatnonzero(is_old)
    if len(old_rows) < 5:
        raise ValueError(f"only {len(old_rows)} images of this folder are in the reference "
                         "run; pass the export of a run on (mostly) the same images")
    topography = analyse(analysis.vectors[old_rows], params, cache=cache)
    vectors = metric_points(analysis.vectors, params.metric, name="embeddings")
    hierarchy = hierarchy_at(topography)
    c = hierarchy.clustering
    labels = np.empty(len(ids), dtype=np.int64)
    is_halo = np.zeros(len(ids), dtype=bool)
    log_density = np.empty(len(ids), dtype=np.float64)
    labels[old_rows], is_halo[old_rows] = c.labels, c.is_halo
    log_density[old_rows] = topography.density.log_density
    new_rows = np.flatnonzero(~is_old)
    if len(new_rows):
        k = min(topography.params.k, len(old_rows) - 1)
        placed = assign_new_points(
            vectors[new_rows], old=vectors[old_rows],
            old_log_density=_embedding_density(topography, k), old_labels=c.labels,
            intrinsic_dim=topography.intrinsic_dim.dimension, k=k,
            halo_threshold=_assigned_halo_threshold(topography))
        labels[new_rows], is_halo[new_rows] = placed.labels, placed.is_halo
        log_density[new_rows] = placed.log_density
        log.info("%d new images assigned to %d existing clusters (%d denser than all their "
                 "neighbours)", len(new_rows), c.n_clusters, int((~placed.denser_found).sum()))
    usable = analysis.dataset.usable
    run = RunInfo.of(topography.params, data_fingerprint=analysis.dataset.fingerprint,
                     backbone=analysis.embeddings.backbone,
                     weights=analysis.embeddings.weights)
    return LabelledClustering(
        ids=tuple(ids), paths=tuple(r.path for r in usable),
        known_labels=tuple(r.label for r in usable), labels=labels, is_halo=is_halo,
        assigned=~is_old, peak_rows=old_rows[c.centers], tree=hierarchy.tree, run=run,
        log_density=log_density)


def _embedding_density(topography, k: int) -> np.ndarray:
    """(N_old,) log-densities of the reference images in the embedding space, comparable
    with a new image's kNN estimate there: the topography's own when its peaks were found
    in that space, else (a UMAP manifold) the kNN-``k`` density of its embedding graph."""
    from compute.graph.density import knn_density

    if topography.manifold is None:
        return topography.density.log_density
    return knn_density(topography.knn, intrinsic_dim=topography.intrinsic_dim.dimension,
                       k=k).log_density


def _assigned_halo_threshold(topography) -> np.ndarray | None:
    """Per-cluster log-density below which an assigned image is halo: the highest saddle
    under DADApy's rule in the embedding space; None otherwise (the border rule and a
    manifold's saddles have no meaning for an image placed from the embedding)."""
    p = topography.params
    if not p.halo or p.halo_rule != "dadapy" or topography.manifold is not None:
        return None
    return topography.clustering.saddles.log_density.max(axis=1)
