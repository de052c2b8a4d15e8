"""The dashboard's pipeline: folder -> embeddings -> kNN graph -> clusters -> projection.

The dashboard (in background jobs) and ``python -m compute run`` both call these
functions; every step is cached by content, so the second caller is fast. The pipeline
has two halves so a projection can be switched without touching the analysis:

* :func:`analyse_folder` - scan, scale readings (optionally keeping one scale group),
  thumbnails, embed, then the whole density-peak topography (kNN graph, intrinsic
  dimension, densities, ADP peaks and the cut at Z: :func:`compute.peaks.topography.analyse`);
* :func:`project_analysis` - one 2-D or 3-D projection of that analysis.

:func:`run_pipeline` runs both.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compute._parallel import usable_cores
from compute.cache import StepCache, fingerprint_params, fingerprint_strings
from compute.embed import DEFAULT_BACKBONE, Embeddings, embed_dataset
from compute.graph.knn import KnnGraph
from compute.ingest import Dataset, scan_folder
from compute.ingest.near_duplicates import NearDuplicates
from compute.ingest.thumbnails import render_thumbnails
from compute.params import AnalysisParams
from compute.progress import ProgressFn, report, scaled, staged
from compute.projection import PROJECTION_VERSION, Projection, ProjectionParams, project
from compute.scale import ScaleReading, ScaleSelection

if TYPE_CHECKING:
    from compute.peaks.topography import Topography

log = logging.getLogger(__name__)

SCALE_JOBS = min(4, usable_cores())  # images whose data bar is OCR'd at once


@dataclass(frozen=True)
class PipelineConfig:
    """What to compute for one image folder. Paths are strings so the config is
    JSON-serialisable.

    backbone, weights, keep_data_bar: the representation (see :mod:`compute.embed`);
        backbone "auto" is a pretrained CNN (:func:`compute.embed.resolve_backbone`).
    scales: read each image's scale (TIFF metadata, else the SEM data bar by OCR; images
        without a data bar cost nothing, see :mod:`compute.scale.dataset`).
    scale_group: analyse only the images in this scale group (e.g. "1-2 um"; see
        :func:`compute.scale.all_groups`); None: every image. Needs ``scales``.
    analysis: every choice that decides the clusters (:class:`compute.params.AnalysisParams`);
        its metric "auto" is resolved here, once, from the backbone (cosine for a CNN).
    projection: the 2-D / 3-D view (:class:`compute.projection.ProjectionParams`).
    """

    images: str
    labels: str | None = None
    backbone: str = DEFAULT_BACKBONE
    weights: str = "auto"
    keep_data_bar: bool = False
    scales: bool = True
    scale_group: str | None = None
    analysis: AnalysisParams = AnalysisParams()
    projection: ProjectionParams = ProjectionParams()

    def __post_init__(self) -> None:
        from compute.options import backbone_is_cnn

        object.__setattr__(self, "analysis", self.analysis.resolved(
            cnn_features=backbone_is_cnn(self.backbone)))

    @property
    def key(self) -> str:
        """A short stable id of this configuration (what the browser holds)."""
        return fingerprint_params(asdict(self))

    @property
    def analysis_key(self) -> str:
        """The id of what must be computed: the projection and the cut (Z, halo) left out."""
        fields_ = {k: v for k, v in asdict(self).items() if k != "projection"}
        fields_["analysis"] = self.analysis.graph_dict()
        return fingerprint_params(fields_)

    def with_analysis(self, params: AnalysisParams) -> PipelineConfig:
        """This configuration with other analysis parameters ("auto" metric resolved)."""
        return replace(self, analysis=params)


@dataclass(frozen=True)
class Analysis:
    """Everything about a folder that does not depend on the projection.

    topography: the whole density-peak analysis of the embedded rows (kNN graph, intrinsic
        dimension, densities, peaks, and the clustering at ``config.analysis``'s cut);
        :meth:`at` re-cuts it for another Z without recomputing.
    """

    config: PipelineConfig
    dataset: Dataset
    embeddings: Embeddings
    topography: Topography
    thumbnails: Path
    scales: tuple[ScaleReading, ...] | None = None  # one per embedded row; None: not read
    scale_selection: ScaleSelection | None = None  # what a scale group kept and left out
    near_duplicates: NearDuplicates | None = None  # shifted / re-saved copies, one per row

    @property
    def knn(self) -> KnnGraph:
        return self.topography.knn

    @property
    def params(self) -> AnalysisParams:
        """The analysis parameters as computed (maxk clamped to the rows)."""
        return self.topography.params

    def at(self, params: AnalysisParams) -> Analysis:
        """The same analysis cut at ``params``' Z and halo (ValueError for other graph
        parameters: those need :func:`analyse_folder`)."""
        cut = replace(self, config=self.config.with_analysis(params),
                      topography=self.topography.at(params))
        if "vectors" in self.__dict__ and cut.params.collapse_copies == self.params.collapse_copies:
            cut.__dict__["vectors"] = self.__dict__["vectors"]  # the same rows: not recopied
        return cut

    @cached_property
    def vectors(self) -> np.ndarray:
        """(N, D) the rows the topography was computed on: the embedding, or with
        ``collapse_copies`` each near-duplicate copy's group representative's row
        (:func:`analysed_vectors`). Every later step that reads vectors beside the
        topography's graph (projections, diagnostics, quality report) reads these."""
        return analysed_vectors(self.embeddings.vectors, self.params, self.near_duplicates)

    @property
    def labels(self) -> list[str | None]:
        """Known label of each embedded row (None where unlabelled)."""
        return [r.label for r in self.dataset.usable]

    def summary(self) -> str:
        """One line: the dataset's counts, the representation, the scale readings and the
        scale group's."""
        parts = [self.dataset.summary()]
        if self.embeddings.title:
            parts.append(f"representation: {self.embeddings.title}")
        if self.scale_selection is not None:
            parts.append(self.scale_selection.summary())
        if self.scales is not None:
            counts = Counter(r.group_or_reason for r in self.scales)
            parts.append("scales: " + ", ".join(f"{n} {name}"
                                                for name, n in counts.most_common(4)))
        line = "; ".join(parts)
        copies = self.near_duplicates
        notice = (copies.notice(collapsed=self.params.collapse_copies)
                  if copies is not None else None)
        return f"{line}; {notice.rstrip('.')}" if notice else line  # callers append "; ..."


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
                          progress=staged(progress, "scanning", "files", 0.0, 0.15))
    readings, selection = None, None
    if config.scales:
        readings = read_scales(dataset, cache=cache,
                               progress=staged(progress, "reading scale bars", "images",
                                               0.15, 0.3))
        if group is not None:
            from compute.scale import restrict_to_group

            dataset, selection = restrict_to_group(dataset, readings, group)
    thumbs = render_thumbnails(dataset, Path(cache_dir) / "thumbnails",  # always bar-free
                               progress=staged(progress, "thumbnails", "images", 0.3, 0.45))
    embeddings = embed_dataset(dataset, backbone=config.backbone, weights=config.weights,
                               keep_data_bar=config.keep_data_bar, cache=cache,
                               progress=staged(progress, "embedding", "images", 0.45, 0.8))
    dataset = dataset.with_failures(dict(embeddings.failures))
    topography, copies = _clustered(config.analysis, dataset, embeddings, thumbs, cache,
                                    scaled(progress, 0.8, 1.0))
    report(progress, 1000, 1000)
    scales = tuple(readings[i] for i in embeddings.ids) if readings is not None else None
    return Analysis(config=config, dataset=dataset, embeddings=embeddings,
                    topography=topography, thumbnails=thumbs, scales=scales,
                    scale_selection=selection, near_duplicates=copies)


def _clustered(params: AnalysisParams, dataset: Dataset, embeddings: Embeddings,
               thumbnails: Path, cache: StepCache,
               progress: ProgressFn | None) -> tuple[Topography, NearDuplicates]:
    """(the topography, the near-duplicate groups): the groups are found among each image's
    nearest neighbours in the embedding; with ``params.collapse_copies`` the topography is
    of the collapsed rows (:meth:`NearDuplicates.collapsed`), else of the embedding."""
    vectors = embeddings.vectors
    if not params.collapse_copies:
        topography = topography_of(vectors, params, cache=cache,
                                   progress=scaled(progress, 0.0, 0.8))
        return topography, find_near_duplicates(dataset, embeddings, topography.knn,
                                                thumbnails, cache=cache,
                                                progress=scaled(progress, 0.8, 1.0))
    from compute.peaks.topography import embedding_graph

    knn = embedding_graph(vectors, params, cache=cache, progress=scaled(progress, 0.0, 0.3))
    copies = find_near_duplicates(dataset, embeddings, knn, thumbnails, cache=cache,
                                  progress=scaled(progress, 0.3, 0.4))
    return topography_of(analysed_vectors(vectors, params, copies), params, cache=cache,
                         progress=scaled(progress, 0.4, 1.0)), copies


def analysed_vectors(vectors: np.ndarray, params: AnalysisParams,
                     copies: NearDuplicates | None) -> np.ndarray:
    """(N, D) the rows an analysis with ``params`` clusters: ``vectors`` itself, or with
    ``params.collapse_copies`` the copies replaced by their group representative's row."""
    if not params.collapse_copies or copies is None:
        return vectors
    return copies.collapsed(vectors)


def find_near_duplicates(dataset: Dataset, embeddings: Embeddings, knn: KnnGraph,
                         thumbnails: Path, *, cache: StepCache,
                         progress: ProgressFn | None = None) -> NearDuplicates:
    """Near-duplicate groups of the embedded rows (:mod:`compute.ingest.near_duplicates`):
    each image checked against its nearest neighbours in ``knn`` on their thumbnails
    (cached by the rows, the candidates and the thresholds)."""
    from compute.cache import fingerprint_array
    from compute.ingest import near_duplicates as nd

    candidates = knn.indices[:, 1:1 + min(nd.CANDIDATES, knn.maxk)]
    records = dataset.usable
    params = {"similarity": nd.MIN_SIMILARITY, "overlap": nd.MIN_OVERLAP,
              "pixels": nd.MIN_OVERLAP_PIXELS, "smooth": nd.SMOOTH, "peaks": nd.PEAKS,
              "candidates": fingerprint_array(np.ascontiguousarray(candidates))}

    def compute() -> NearDuplicates:
        arrays, scales = nd.thumbnail_inputs(records, thumbnails)
        return nd.near_duplicates(arrays, scales, candidates, progress=progress)

    return cache.cached("near_duplicates", inputs=fingerprint_strings(embeddings.ids),
                        params=params, version=nd.NEAR_DUPLICATES_VERSION, compute=compute)


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
    rows = {"collapse_copies": True} if analysis.params.collapse_copies else {}
    return {"inputs": fingerprint_strings(analysis.embeddings.ids),
            "params": {"embedding": analysis.embeddings.key, **rows, **params.relevant()},
            "version": PROJECTION_VERSION}


def projection_is_cached(analysis: Analysis, params: ProjectionParams, *,
                         cache_dir: str | Path) -> bool:
    """True if :func:`project_analysis` would load this projection instead of computing it
    (the cluster-space manifold is always at hand when the analysis has one)."""
    if params.method == "manifold":
        manifold = analysis.topography.manifold
        return manifold is not None and manifold.dimension == params.n_components
    cache = StepCache(Path(cache_dir) / "steps")
    key = cache.key("projection", **_projection_step(analysis, params))
    return cache.has("projection", key)


def project_analysis(analysis: Analysis, params: ProjectionParams, *, cache_dir: str | Path,
                     progress: ProgressFn | None = None) -> Projection:
    """One projection of ``analysis`` (cached by embedded rows, embedding and parameters).

    Method "manifold" is the UMAP manifold the analysis found its density peaks on (no
    computation); ValueError when the peaks were found in the full space or the manifold
    has another dimension than asked."""
    if params.method == "manifold":
        return manifold_projection(analysis.topography, params.n_components)
    cache = StepCache(Path(cache_dir) / "steps")
    result = cache.cached(
        "projection", **_projection_step(analysis, params),
        compute=lambda: project(analysis.vectors, params=params, knn=analysis.knn,
                                progress=progress))
    report(progress, 1, 1)  # the projection may have come from the cache
    return result


def manifold_projection(topography: Topography, n_components: int) -> Projection:
    """The cluster space itself as a projection: the topography's (N, d) UMAP manifold."""
    manifold = topography.manifold
    if manifold is None:
        raise ValueError("this analysis found its clusters in the full embedding space "
                         f"({topography.space_description()}): there is no cluster-space map "
                         "to show; choose UMAP, t-SNE or PCA")
    if manifold.dimension != n_components:
        raise ValueError(f"the cluster space is {manifold.dimension}-D, not "
                         f"{n_components}-D: choose {manifold.dimension} dimensions, or UMAP")
    return Projection(coords=manifold.points.astype(np.float32), method="manifold")


def run_pipeline(config: PipelineConfig, *, cache_dir: str | Path,
                 progress: ProgressFn | None = None) -> PipelineResult:
    """Run every step for ``config``; ``cache_dir`` holds step results and thumbnails."""
    analysis = analyse_folder(config, cache_dir=cache_dir, progress=scaled(progress, 0.0, 0.85))
    projection = project_analysis(analysis, config.projection, cache_dir=cache_dir,
                                  progress=scaled(progress, 0.85, 1.0))
    report(progress, 1000, 1000)
    parts = {f.name: getattr(analysis, f.name) for f in fields(Analysis)}
    return PipelineResult(**parts, projection=projection)


def topography_of(vectors: np.ndarray, params: AnalysisParams, *, cache: StepCache,
                  progress: ProgressFn | None = None) -> Topography:
    """The density-peak topography of the embedded rows ``vectors`` (N, D) for ``params``
    (:func:`compute.peaks.topography.analyse`, every step cached)."""
    from compute.peaks.topography import analyse

    return analyse(vectors, params, cache=cache, progress=progress)
