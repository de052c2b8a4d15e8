"""Embeddings: one vector per usable image, cached by image ids and backbone.

The ``pixels`` backbone (grayscale pixels at a fixed size, flattened) needs no weights and
is the raw-pixel baseline; CNN backbones are added to :data:`BACKBONES`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from compute.cache import StepCache, fingerprint_strings
from compute.ingest import Dataset, load_gray
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)
EMBED_VERSION = "1"


@dataclass(frozen=True)
class Embeddings:
    """``vectors`` (N, D) float32, row i belonging to the image ``ids[i]`` / ``paths[i]``."""

    vectors: np.ndarray
    ids: tuple[str, ...]
    paths: tuple[str, ...]
    backbone: str
    weights: str


def _embed_pixels(dataset: Dataset, progress: ProgressFn | None, *, size: int = 28) -> np.ndarray:
    usable = dataset.usable
    out = np.empty((len(usable), size * size), dtype=np.float32)
    for i, record in enumerate(usable):
        out[i] = load_gray(dataset.root, record, size).ravel()
        if i % 64 == 0 or i + 1 == len(usable):
            report(progress, i + 1, len(usable))
    return out


Backbone = Callable[[Dataset, "ProgressFn | None"], np.ndarray]
BACKBONES: dict[str, tuple[Backbone, str]] = {
    "pixels": (_embed_pixels, "none"),
}


def embed_dataset(dataset: Dataset, *, backbone: str = "pixels", cache: StepCache | None = None,
                  progress: ProgressFn | None = None) -> Embeddings:
    """Embed every usable image of ``dataset`` with ``backbone`` (cached)."""
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r}; choose one of {sorted(BACKBONES)}")
    usable = dataset.usable
    if not usable:
        raise ValueError(f"no readable images in {dataset.root}: {dataset.summary()}")
    fn, weights = BACKBONES[backbone]
    cache = cache or StepCache(None)
    ids = tuple(r.id for r in usable)
    log.info("embedding %d images with %s (weights: %s)", len(usable), backbone, weights)
    vectors = cache.cached("embed", inputs=fingerprint_strings(ids),
                           params={"backbone": backbone, "weights": weights},
                           version=EMBED_VERSION, compute=lambda: fn(dataset, progress))
    report(progress, len(usable), len(usable))
    return Embeddings(vectors=vectors, ids=ids, paths=tuple(r.path for r in usable),
                      backbone=backbone, weights=weights)
