"""Server-side hierarchy data: the Z-independent peaks once per analysis key, a re-merge
per Z (memoised), and the names store. The browser holds only the key, Z and node ids."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from compute.cache import StepCache
from compute.naming import NameStore
from compute.naming.labelling import LabelledRun, label_analysis, topography_of
from compute.peaks.topography import Topography
from compute.pipeline import Analysis, analyse_folder
from explorer.config import AppConfig
from explorer.state import config_for

Z_MIN, Z_MAX, Z_STEP = 1.0, 4.0, 0.05


def z_grid() -> np.ndarray:
    """The Z values of the slider (and of the clusters-against-Z curve)."""
    return np.round(np.arange(Z_MIN, Z_MAX + Z_STEP / 2, Z_STEP), 2)


@dataclass(frozen=True, eq=False)
class HierarchyBase:
    analysis: Analysis
    topography: Topography


_lock = threading.RLock()


def load_base(app_config: AppConfig, key: str, density: str | None = None,
              k: int | None = None) -> HierarchyBase:
    """The analysis of ``key`` and its density-peak topography (cache hits once the
    analysis job ran).

    ``density`` and ``k`` override the analysis' density estimator (the peaks are then
    computed once for that choice, and cached). Concurrent callers wait for the first.
    """
    with _lock:
        return _load_base(app_config, key, density, k)


@lru_cache(maxsize=4)
def _load_base(app_config: AppConfig, key: str, density: str | None,
               k: int | None) -> HierarchyBase:
    analysis = analyse_folder(config_for(app_config, key), cache_dir=app_config.cache_dir)
    cfg = replace(analysis.config, density=density or analysis.config.density,
                  k=int(k) if k else analysis.config.k)
    analysis = replace(analysis, config=cfg)
    topography = topography_of(analysis, cache=StepCache(Path(app_config.cache_dir) / "steps"))
    return HierarchyBase(analysis=analysis, topography=topography)


@lru_cache(maxsize=32)
def load_run(app_config: AppConfig, key: str, z: float, density: str | None = None,
             k: int | None = None) -> LabelledRun:
    """The labelled hierarchy of ``key`` re-merged at ``z`` (no point is revisited)."""
    base = load_base(app_config, key, density, k)
    return label_analysis(base.analysis, z=z, precomputed=base.topography)


@lru_cache(maxsize=4)
def clusters_curve(app_config: AppConfig, key: str, density: str | None = None,
                   k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(Z values, number of clusters at each)."""
    from compute.naming.labelling import clusters_against_z

    grid = z_grid()
    return grid, clusters_against_z(load_base(app_config, key, density, k).topography, grid)


@lru_cache(maxsize=4)
def names_store(path: Path) -> NameStore:
    return NameStore(path)


def forget() -> None:
    """Drop everything held in memory (what a new app process starts with)."""
    for cached in (_load_base, load_run, clusters_curve, names_store):
        cached.cache_clear()
