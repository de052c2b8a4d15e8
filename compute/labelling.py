"""From an analysed folder to a labelled hierarchy: the steps the hierarchy panel and
``python -m compute export`` share.

:func:`peak_analysis` runs the Z-independent part once (2-NN dimension, density, ADP peaks;
cached by content); :func:`hierarchy_at` re-merges it for any Z (milliseconds) and builds
the pictures' inputs; :func:`labelled_clustering` joins that with the images.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compute.cache import StepCache
from compute.density import Density
from compute.hierarchy import Dendrogram, dendrogram, mds_map, saddle_adjacency
from compute.intrinsic_dim import IntrinsicDimension, two_nn_dimension
from compute.knn import KnnGraph
from compute.naming import ClusterTree, LabelledClustering, RunInfo, tree_from_linkage
from compute.peaks import Clustering, Peaks, find_peaks, remerge
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)
PEAKS_VERSION = "1"
DENSITIES = ("pak", "knn")


@dataclass(frozen=True)
class PeakAnalysis:
    """The Z-independent part of ADP for one kNN graph and density choice."""

    intrinsic_dim: IntrinsicDimension
    density: Density
    peaks: Peaks


def peak_analysis(knn: KnnGraph, *, density: str = "pak", k: int = 10,
                  cache: StepCache | None = None, inputs: str = "",
                  progress: ProgressFn | None = None) -> PeakAnalysis:
    """2-NN dimension, log-density ("pak", or "knn" with ``k``) and ADP steps 1-4.

    ``inputs`` is the fingerprint of the data the graph was built from (the cache key);
    with an empty fingerprint nothing is cached.
    """
    if density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES}; got {density!r}")
    cache = cache if (cache is not None and inputs) else StepCache(None)
    params = {"density": density, "k": int(k) if density == "knn" else None,
              "maxk": knn.maxk, "method": knn.method}

    def compute() -> PeakAnalysis:
        from compute.density import knn_density, pak_density

        dim = two_nn_dimension(knn)
        if density == "pak":
            dens = pak_density(knn, intrinsic_dim=dim.dimension)
        else:
            dens = knn_density(knn, intrinsic_dim=dim.dimension, k=int(k))
        report(progress, 1, 2)
        return PeakAnalysis(intrinsic_dim=dim, density=dens, peaks=find_peaks(knn, dens))

    result = cache.cached("peaks", inputs=inputs, params=params, version=PEAKS_VERSION,
                          compute=compute)
    report(progress, 2, 2)
    return result


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


def hierarchy_at(analysis: PeakAnalysis, *, z: float, halo: bool = True) -> HierarchyAtZ:
    """Re-merge the cached peaks for ``z`` (no point is revisited) and build the tree."""
    clustering = remerge(analysis.peaks, z=z, halo=halo)
    rho_max = float(np.max(analysis.density.log_density))
    dend = dendrogram(clustering, rho_max=rho_max)
    tree = tree_from_linkage(dend.linkage, leaf_heights=dend.leaf_heights,
                             merge_heights=dend.merge_heights, populations=dend.populations)
    return HierarchyAtZ(clustering=clustering, dendrogram=dend, tree=tree,
                        mds=mds_map(clustering, rho_max=rho_max),
                        adjacency=saddle_adjacency(clustering))


def clusters_against_z(analysis: PeakAnalysis, z_values: Sequence[float]) -> np.ndarray:
    """(len(z_values),) int64 number of clusters at each Z."""
    return np.array([remerge(analysis.peaks, z=z).n_clusters for z in z_values],
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
    """One analysed folder at one Z: the images' clusters, the peaks and the pictures."""

    clustering: LabelledClustering
    hierarchy: HierarchyAtZ
    peaks: PeakAnalysis


def run_info(analysis, *, z: float) -> RunInfo:
    """The :class:`RunInfo` of a :class:`compute.pipeline.Analysis` at ``z``."""
    config = analysis.config
    return RunInfo(data_fingerprint=analysis.dataset.fingerprint,
                   backbone=analysis.embeddings.backbone, weights=analysis.embeddings.weights,
                   density=config.density, k=int(config.k) if config.density == "knn" else None,
                   z=float(z), halo=bool(config.halo))


def label_analysis(analysis, *, z: float | None = None, cache: StepCache | None = None,
                   precomputed: PeakAnalysis | None = None,
                   progress: ProgressFn | None = None) -> LabelledRun:
    """The labelled hierarchy of a :class:`compute.pipeline.Analysis` (its Z by default).

    ``precomputed``: the analysis' :class:`PeakAnalysis` when the caller holds it already.
    """
    config = analysis.config
    z = config.z if z is None else z
    peaks = precomputed or peak_analysis(
        analysis.knn, density=config.density, k=config.k, cache=cache,
        inputs=f"{analysis.dataset.fingerprint}:{config.backbone}", progress=progress)
    hierarchy = hierarchy_at(peaks, z=z, halo=config.halo)
    usable = analysis.dataset.usable
    clustering = labelled_clustering(hierarchy, ids=[r.id for r in usable],
                                     paths=[r.path for r in usable],
                                     known_labels=[r.label for r in usable],
                                     run=run_info(analysis, z=z))
    return LabelledRun(clustering=clustering, hierarchy=hierarchy, peaks=peaks)


def label_with_reference(analysis, reference_ids: Sequence[str], *, z: float | None = None,
                         cache: StepCache | None = None) -> LabelledClustering:
    """Cluster only the images of a reference run and *assign* the others (added later).

    ``reference_ids``: image ids of the original run (e.g. the ``id`` column of an earlier
    export). Those images are clustered exactly as before (same kNN graph, density, peaks
    and Z); every other image of ``analysis`` joins the cluster of its nearest denser
    original image (:func:`compute.assign.assign_new_points`) and is marked ``assigned``.
    """
    from compute.assign import assign_new_points
    from compute.cache import fingerprint_strings
    from compute.knn import knn_graph

    config = analysis.config
    z = config.z if z is None else z
    ids = np.asarray(analysis.embeddings.ids, dtype=object)
    is_old = np.isin(ids, np.asarray(list(reference_ids), dtype=object))
    old_rows = np.flatnonzero(is_old)
    if len(old_rows) < 5:
        raise ValueError(f"only {len(old_rows)} images of this folder are in the reference "
                         "run; pass the export of a run on (mostly) the same images")
    vectors = analysis.embeddings.vectors
    maxk = min(config.maxk, len(old_rows) - 1)
    inputs = f"{fingerprint_strings(ids[old_rows])}:{config.backbone}"
    cache = cache or StepCache(None)
    knn = cache.cached("knn-reference", inputs=inputs, params={"maxk": maxk}, version="1",
                       compute=lambda: knn_graph(vectors[old_rows], maxk=maxk))
    peaks = peak_analysis(knn, density=config.density, k=config.k, cache=cache, inputs=inputs)
    hierarchy = hierarchy_at(peaks, z=z, halo=config.halo)
    c = hierarchy.clustering
    labels = np.empty(len(ids), dtype=np.int64)
    is_halo = np.zeros(len(ids), dtype=bool)
    labels[old_rows], is_halo[old_rows] = c.labels, c.is_halo
    new_rows = np.flatnonzero(~is_old)
    if len(new_rows):
        placed = assign_new_points(
            vectors[new_rows], old=vectors[old_rows], old_log_density=peaks.density.log_density,
            old_labels=c.labels, intrinsic_dim=peaks.intrinsic_dim.dimension,
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
