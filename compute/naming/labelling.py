"""From an analysed folder to a labelled hierarchy: the steps the hierarchy panel and
``python -m compute export`` share.

:func:`topography_of` gets the Z-independent part once (kNN graph, 2-NN dimension, density,
ADP peaks: :func:`compute.peaks.topography.analyse`, cached by content); :func:`hierarchy_at`
re-merges it for any Z (milliseconds) and builds the pictures' inputs;
:func:`labelled_clustering` joins that with the images.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compute.cache import StepCache
from compute.naming import ClusterTree, LabelledClustering, RunInfo, tree_from_linkage
from compute.peaks import Clustering, remerge
from compute.peaks.hierarchy import Dendrogram, dendrogram, mds_map, saddle_adjacency
from compute.peaks.topography import Topography
from compute.progress import ProgressFn

log = logging.getLogger(__name__)


def topography_of(analysis, *, cache: StepCache | None = None,
                  progress: ProgressFn | None = None) -> Topography:
    """The density-peak topography of a :class:`compute.pipeline.Analysis` (its maxk,
    density, k, Z and halo), through :func:`compute.peaks.topography.analyse`: with the step
    cache the pipeline used, every step is a cache hit."""
    from compute.peaks.topography import analyse

    config, vectors = analysis.config, analysis.embeddings.vectors
    return analyse(vectors, maxk=min(config.maxk, len(vectors) - 1), density=config.density,
                   k=config.k, z=config.z, halo=config.halo, cache=cache, progress=progress)


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


def hierarchy_at(topography: Topography, *, z: float, halo: bool = True) -> HierarchyAtZ:
    """Re-merge the topography's peaks for ``z`` (no point is revisited); build the tree."""
    clustering = remerge(topography.peaks, z=z, halo=halo)
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
                        assigned: np.ndarray | None = None) -> LabelledClustering:
    """The images of a run with their clusters and tree (what naming and export use)."""
    c = hierarchy.clustering
    n = len(ids)
    return LabelledClustering(
        ids=tuple(ids), paths=tuple(paths), known_labels=tuple(known_labels),
        labels=np.asarray(c.labels, dtype=np.int64), is_halo=np.asarray(c.is_halo, dtype=bool),
        assigned=np.zeros(n, dtype=bool) if assigned is None else np.asarray(assigned, bool),
        peak_rows=np.asarray(c.centers, dtype=np.int64), tree=hierarchy.tree, run=run)


@dataclass(frozen=True)
class LabelledRun:
    """One analysed folder at one Z: the images' clusters, the pictures, the topography."""

    clustering: LabelledClustering
    hierarchy: HierarchyAtZ
    topography: Topography


def run_info(analysis, *, z: float) -> RunInfo:
    """The :class:`RunInfo` of a :class:`compute.pipeline.Analysis` at ``z``."""
    config = analysis.config
    return RunInfo(data_fingerprint=analysis.dataset.fingerprint,
                   backbone=analysis.embeddings.backbone, weights=analysis.embeddings.weights,
                   density=config.density, k=int(config.k) if config.density == "knn" else None,
                   z=float(z), halo=bool(config.halo))


def label_analysis(analysis, *, z: float | None = None, cache: StepCache | None = None,
                   precomputed: Topography | None = None,
                   progress: ProgressFn | None = None) -> LabelledRun:
    """The labelled hierarchy of a :class:`compute.pipeline.Analysis` (its Z by default).

    ``precomputed``: the analysis' :class:`Topography` when the caller holds it already.
    """
    config = analysis.config
    z = config.z if z is None else z
    topography = precomputed or topography_of(analysis, cache=cache, progress=progress)
    hierarchy = hierarchy_at(topography, z=z, halo=config.halo)
    usable = analysis.dataset.usable
    clustering = labelled_clustering(hierarchy, ids=[r.id for r in usable],
                                     paths=[r.path for r in usable],
                                     known_labels=[r.label for r in usable],
                                     run=run_info(analysis, z=z))
    return LabelledRun(clustering=clustering, hierarchy=hierarchy, topography=topography)


def label_with_reference(analysis, reference_ids: Sequence[str], *, z: float | None = None,
                         cache: StepCache | None = None) -> LabelledClustering:
    """Cluster only the images of a reference run and *assign* the others (added later).

    ``reference_ids``: image ids of the original run (e.g. the ``id`` column of an earlier
    export). Those images are clustered exactly as before (same kNN graph, density, peaks
    and Z); every other image of ``analysis`` joins the cluster of its nearest denser
    original image (:func:`compute.peaks.assign.assign_new_points`) and is marked ``assigned``.
    """
    from compute.peaks.assign import assign_new_points
    from compute.peaks.topography import analyse

    config = analysis.config
    z = config.z if z is None else z
    ids = np.asarray(analysis.embeddings.ids, dtype=object)
    is_old = np.isin(ids, np.asarray(list(reference_ids), dtype=object))
    old_rows = np.flatnonzero(is_old)
    if len(old_rows) < 5:
        raise ValueError(f"only {len(old_rows)} images of this folder are in the reference "
                         "run; pass the export of a run on (mostly) the same images")
    vectors = analysis.embeddings.vectors
    topography = analyse(vectors[old_rows], maxk=min(config.maxk, len(old_rows) - 1),
                         density=config.density, k=config.k, z=z, halo=config.halo,
                         cache=cache)
    hierarchy = hierarchy_at(topography, z=z, halo=config.halo)
    c = hierarchy.clustering
    labels = np.empty(len(ids), dtype=np.int64)
    is_halo = np.zeros(len(ids), dtype=bool)
    labels[old_rows], is_halo[old_rows] = c.labels, c.is_halo
    new_rows = np.flatnonzero(~is_old)
    if len(new_rows):
        placed = assign_new_points(
            vectors[new_rows], old=vectors[old_rows],
            old_log_density=topography.density.log_density, old_labels=c.labels,
            intrinsic_dim=topography.intrinsic_dim.dimension,
            k=min(config.k, len(old_rows)),
            halo_threshold=c.saddles.log_density.max(axis=1) if config.halo else None)
        labels[new_rows], is_halo[new_rows] = placed.labels, placed.is_halo
        log.info("%d new images assigned to %d existing clusters (%d denser than all their "
                 "neighbours)", len(new_rows), c.n_clusters, int((~placed.denser_found).sum()))
    usable = analysis.dataset.usable
    return LabelledClustering(
        ids=tuple(ids), paths=tuple(r.path for r in usable),
        known_labels=tuple(r.label for r in usable), labels=labels, is_halo=is_halo,
        assigned=~is_old, peak_rows=old_rows[c.centers], tree=hierarchy.tree,
        run=run_info(analysis, z=z))
