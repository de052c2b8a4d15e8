"""The dashboard's pipeline as one function: folder -> embeddings -> projection.

The dashboard (in a background job) and ``python -m compute run`` both call
:func:`run_pipeline`; every step is cached by content, so the second caller is fast.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from compute.cache import StepCache, fingerprint_params, fingerprint_strings
from compute.embed import Embeddings, embed_dataset
from compute.ingest import Dataset, scan_folder
from compute.progress import ProgressFn, report, scaled
from compute.projection import Projection, project
from compute.thumbnails import render_thumbnails

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineConfig:
    """What to compute. Paths are strings so the config is JSON-serialisable."""

    images: str
    labels: str | None = None
    backbone: str = "pixels"
    weights: str = "auto"
    keep_data_bar: bool = False
    projection: str = "pca"
    n_components: int = 2
    random_state: int = 0

    @property
    def key(self) -> str:
        """A short stable id of this configuration (what the browser holds)."""
        return fingerprint_params(asdict(self))


@dataclass(frozen=True)
class PipelineResult:
    config: PipelineConfig
    dataset: Dataset
    embeddings: Embeddings
    projection: Projection
    thumbnails: Path

    @property
    def labels(self) -> list[str | None]:
        """Known label of each embedded row (None where unlabelled)."""
        return [r.label for r in self.dataset.usable]


def run_pipeline(config: PipelineConfig, *, cache_dir: str | Path,
                 progress: ProgressFn | None = None) -> PipelineResult:
    """Run every step for ``config``; ``cache_dir`` holds step results and thumbnails."""
    cache = StepCache(Path(cache_dir) / "steps")
    dataset = scan_folder(config.images, labels_csv=config.labels,
                          cache_dir=Path(cache_dir) / "scan",
                          progress=scaled(progress, 0.0, 0.15))
    thumbs = render_thumbnails(dataset, Path(cache_dir) / "thumbnails",  # always bar-free
                               progress=scaled(progress, 0.15, 0.35))
    embeddings = embed_dataset(dataset, backbone=config.backbone, weights=config.weights,
                               keep_data_bar=config.keep_data_bar, cache=cache,
                               progress=scaled(progress, 0.35, 0.85))
    dataset = dataset.with_failures(dict(embeddings.failures))
    projection = cache.cached(
        "projection", inputs=fingerprint_strings(embeddings.ids),
        params={"embedding": embeddings.key, "method": config.projection,
                "n_components": config.n_components, "random_state": config.random_state},
        version="1",
        compute=lambda: project(embeddings.vectors, method=config.projection,
                                n_components=config.n_components,
                                random_state=config.random_state,
                                progress=scaled(progress, 0.85, 1.0)))
    report(progress, 1000, 1000)  # the projection may have come from the cache
    return PipelineResult(config=config, dataset=dataset, embeddings=embeddings,
                          projection=projection, thumbnails=thumbs)
