"""Space "umap" falls back to the full space above MANIFOLD_MAX_POINTS images (and says so)."""

from __future__ import annotations

import numpy as np

from compute.params import AnalysisParams
from compute.peaks import topography


def _blobs() -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.concatenate([rng.normal(0, 1, (150, 5)), rng.normal(7, 1, (150, 5))])


def test_above_the_limit_the_peaks_are_found_in_the_full_space(monkeypatch):
    monkeypatch.setattr(topography, "MANIFOLD_MAX_POINTS", 250)
    topo = topography.analyse(_blobs(), AnalysisParams(space="umap", maxk=20))
    assert topo.manifold is None and topo.space_knn is topo.knn
    assert "more than 250 images" in topo.space_description()


def test_within_the_limit_the_manifold_is_built(monkeypatch):
    monkeypatch.setattr(topography, "MANIFOLD_MAX_POINTS", 300)
    topo = topography.analyse(_blobs(), AnalysisParams(space="umap", maxk=20))
    assert topo.manifold is not None
    assert "UMAP manifold" in topo.space_description()
