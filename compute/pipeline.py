"""The dashboard's pipeline: folder -> embeddings -> kNN graph -> clusters -> projection.

The dashboard (in background jobs) and ``python -m compute run`` both call these
functions; every step is cached by content, so the second caller is fast. The pipeline
has two halves so a projection can be switched without touching the analysis:

* :func:`analyse_folder` - scan, scale readings (optionally keeping one scale group),
  thumbnails, embed, then kNN graph, densities and ADP clusters
  (:func:`compute.peaks.topography.analyse`);
* :func:`project_analysis` - one 2-D or 3-D projection of that analysis.

:func:`run_pipeline` runs both.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from compute.cache import StepCache, fingerprint_params, fingerprint_strings
from compute.embed import Embeddings, embed_dataset
from compute.graph.knn import KnnGraph
from compute.ingest import Dataset, scan_folder
from compute.ingest.thumbnails import render_thumbnails
from compute.progress import ProgressFn, report, scaled
from compute.projection import PROJECTION_VERSION, Projection, ProjectionParams, project
from compute.scale import ScaleReading, ScaleSelection

log = logging.getLogger(__name__)

PROJECTION_FIELDS = ("projection", "n_components", "random_state", "perplexity",
                     "n_neighbors", "min_dist")
SCALE_JOBS = min(4, os.cpu_count() or 1)  # images whose data bar is OCR'd at once


@dataclass(frozen=True)
class PipelineConfig:
    """What to compute. Paths are strings so the config is JSON-serialisable.

    scales: read each image's scale (TIFF metadata, else the SEM data bar by OCR; images
        without a data bar cost nothing, see :mod:`compute.scale.dataset`).
    scale_group: analyse only the images in this scale group (e.g. "1-2 um"; see
        :func:`compute.scale.all_groups`); None: every image. Needs ``scales``.
    maxk: neighbours kept per point in the kNN graph (the UI shows up to this many).
    density, k, z, halo: the density estimator ("pak" or "knn"), its k for "knn",
        the ADP significance Z (>= 1) and whether to mark halo points.
    metric: "euclidean" or "cosine" (embeddings L2-normalised before the kNN graph, see
        :func:`compute.arrays.metric_points`).
    projection ... min_dist: see :class:`compute.projection.ProjectionParams`.
    """

    images: str
    labels: str | None = None
    backbone: str = "pixels"
    weights: str = "auto"
    keep_data_bar: bool = False
    scales: bool = True
    scale_group: str | None = None
    projection: str = "pca"
    n_components: int = 2
    random_state: int = 0
    maxk: int = 30
    density: str = "pak"
    k: int = 10
    z: float = 1.65
    halo: bool = True
    metric: str = "euclidean"
    perplexity: float = 30.0
    n_neighbors: int = 15
    min_dist: float = 0.1

    @property
    def key(self) -> str:
        """A short stable id of this configuration (what the browser holds)."""
        return fingerprint_params(asdict(self))

    @property
    def analysis_key(self) -> str:
        """The id of the analysis half (everything but the projection choices)."""
        return fingerprint_params({k: v for k, v in asdict(self).items()
                                   if k not in PROJECTION_FIELDS})

    @property
    def projection_params(self) -> ProjectionParams:
        return ProjectionParams(method=self.projection, n_components=self.n_components,
                                random_state=self.random_state, perplexity=self.perplexity,
                                n_neighbors=self.n_neighbors, min_dist=self.min_dist)


@dataclass(frozen=True)
class Clusters:
    """Per-row results of the density-peak engine.

    labels: (N,) int64 ADP cluster of each row, 0..K-1 (halo rows keep their cluster).
    log_density: (N,) float64 log-density of each row.
    halo: (N,) bool, True for halo rows (below their cluster's highest saddle).
    """

    labels: np.ndarray
    log_density: np.ndarray
    halo: np.ndarray


@dataclass(frozen=True)
class Analysis:
    """Everything about a folder that does not depend on the projection."""

    config: PipelineConfig
    dataset: Dataset
    embeddings: Embeddings
    knn: KnnGraph
    clusters: Clusters
    thumbnails: Path
    scales: tuple[ScaleReading, ...] | None = None  # one per embedded row; None: not read
    scale_selection: ScaleSelection | None = None  # what a scale group kept and left out

    @property
    def labels(self) -> list[str | None]:
        """Known label of each embedded row (None where unlabelled)."""
        return [r.label for r in self.dataset.usable]

    def summary(self) -> str:
        """One line: the dataset's counts, the scale readings and the scale group's."""
        parts = [self.dataset.summary()]
        if self.scale_selection is not None:
            parts.append(self.scale_selection.summary())
        if self.scales is not None:
            counts = Counter(r.group_or_reason for r in self.scales)
            parts.append("scales: " + ", ".join(f"{n} {name}"
                                                for name, n in counts.most_common(4)))
        return "; ".join(parts)


@dataclass(frozen=True)
class PipelineResult(Analysis):
    projection: Projection | None = None


def analyse_folder(config: PipelineConfig, *, cache_dir: str | Path,
                   progress: ProgressFn | None = None) -> Analysis:
    """Scan, read scales (keeping ``config.scale_group`` only), thumbnail, embed, build
    the kNN graph and cluster (each step cached).

    Raises ValueError for an unknown scale group (listing the valid names) and when no
    image is in the group (listing the groups present).
    """
    group = _checked_scale_group(config)
    cache = StepCache(Path(cache_dir) / "steps")
    dataset = scan_folder(config.images, labels_csv=config.labels,
                          cache_dir=Path(cache_dir) / "scan",
                          progress=scaled(progress, 0.0, 0.15))
    readings, selection = None, None
    if config.scales:
        readings = read_scales(dataset, cache=cache, progress=scaled(progress, 0.15, 0.3))
        if group is not None:
            from compute.scale import restrict_to_group

            dataset, selection = restrict_to_group(dataset, readings, group)
    thumbs = render_thumbnails(dataset, Path(cache_dir) / "thumbnails",  # always bar-free
                               progress=scaled(progress, 0.3, 0.45))
    embeddings = embed_dataset(dataset, backbone=config.backbone, weights=config.weights,
                               keep_data_bar=config.keep_data_bar, cache=cache,
                               progress=scaled(progress, 0.45, 0.8))
    dataset = dataset.with_failures(dict(embeddings.failures))
    knn, clusters = neighbours_and_clusters(embeddings.vectors, config=config, cache=cache,
                                            progress=scaled(progress, 0.8, 1.0))
    report(progress, 1000, 1000)
    scales = tuple(readings[i] for i in embeddings.ids) if readings is not None else None
    return Analysis(config=config, dataset=dataset, embeddings=embeddings, knn=knn,
                    clusters=clusters, thumbnails=thumbs, scales=scales,
                    scale_selection=selection)


def _checked_scale_group(config: PipelineConfig) -> str | None:
    """The canonical name of ``config.scale_group`` (checked before any work is done)."""
    if config.scale_group is None:
        return None
    from compute.scale import canonical_group

    if not config.scales:
        raise ValueError(f"scale group {config.scale_group!r} needs the scale readings: "
                         "drop --no-scale (scales=False) or the scale group")
    return canonical_group(config.scale_group)


def read_scales(dataset: Dataset, *, cache: StepCache,
                progress: ProgressFn | None = None) -> dict[str, ScaleReading]:
    """The scale reading of each usable image of ``dataset`` by image id (cached by
    content; only images with a data bar are OCR'd, :data:`SCALE_JOBS` at a time)."""
    from compute.scale import read_dataset_scales

    return read_dataset_scales(dataset, cache=cache, jobs=SCALE_JOBS, progress=progress)


def _projection_step(analysis: Analysis, params: ProjectionParams) -> dict:
    """The cache identity of one projection: the embedded rows, the embedding, the params."""
    return {"inputs": fingerprint_strings(analysis.embeddings.ids),
            "params": {"embedding": analysis.embeddings.key, **params.relevant()},
            "version": PROJECTION_VERSION}


def projection_is_cached(analysis: Analysis, params: ProjectionParams, *,
                         cache_dir: str | Path) -> bool:
    """True if :func:`project_analysis` would load this projection instead of computing it."""
    cache = StepCache(Path(cache_dir) / "steps")
    key = cache.key("projection", **_projection_step(analysis, params))
    return cache.path("projection", key).exists()


def project_analysis(analysis: Analysis, params: ProjectionParams, *, cache_dir: str | Path,
                     progress: ProgressFn | None = None) -> Projection:
    """One projection of ``analysis`` (cached by embedded rows, embedding and parameters)."""
    cache = StepCache(Path(cache_dir) / "steps")
    result = cache.cached(
        "projection", **_projection_step(analysis, params),
        compute=lambda: project(analysis.embeddings.vectors, params=params, knn=analysis.knn,
                                progress=progress))
    report(progress, 1, 1)  # the projection may have come from the cache
    return result


def run_pipeline(config: PipelineConfig, *, cache_dir: str | Path,
                 progress: ProgressFn | None = None) -> PipelineResult:
    """Run every step for ``config``; ``cache_dir`` holds step results and thumbnails."""
    analysis = analyse_folder(config, cache_dir=cache_dir, progress=scaled(progress, 0.0, 0.85))
    projection = project_analysis(analysis, config.projection_params, cache_dir=cache_dir,
                                  progress=scaled(progress, 0.85, 1.0))
    report(progress, 1000, 1000)
    parts = {f.name: getattr(analysis, f.name) for f in fields(Analysis)}
    return PipelineResult(**parts, projection=projection)


def neighbours_and_clusters(vectors: np.ndarray, *, config: PipelineConfig,
                            cache: StepCache, progress: ProgressFn | None = None
                            ) -> tuple[KnnGraph, Clusters]:
    """The kNN graph of ``vectors`` (N, D) and the ADP clusters and log-densities computed
    from that same graph (:func:`compute.peaks.topography.analyse`, every step cached)."""
    from compute.peaks.topography import analyse

    topo = analyse(vectors, maxk=min(config.maxk, len(vectors) - 1), density=config.density,
                   k=config.k, z=config.z, halo=config.halo, metric=config.metric, cache=cache,
                   progress=progress)
    clusters = Clusters(labels=np.asarray(topo.clustering.labels, dtype=np.int64),
                        log_density=np.asarray(topo.density.log_density, dtype=np.float64),
                        halo=np.asarray(topo.clustering.is_halo, dtype=bool))
    return topo.knn, clusters
