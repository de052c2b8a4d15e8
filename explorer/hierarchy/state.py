"""Server-side hierarchy data: the Z-independent peaks once per analysis key, a re-merge
per Z (memoised), and the names store. The browser holds only the key, Z and node ids."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from compute.cache import StepCache
from compute.labelling import LabelledRun, PeakAnalysis, label_analysis, peak_analysis
from compute.naming import NameStore
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
    peaks: PeakAnalysis


_lock = threading.Lock()


@lru_cache(maxsize=4)
def load_base(app_config: AppConfig, key: str) -> HierarchyBase:
    """The analysis of ``key`` and its ADP peaks (cache hits once the analysis job ran)."""
    with _lock:
        analysis = analyse_folder(config_for(app_config, key), cache_dir=app_config.cache_dir)
        cfg = analysis.config
        peaks = peak_analysis(analysis.knn, density=cfg.density, k=cfg.k,
                              cache=StepCache(Path(app_config.cache_dir) / "steps"),
                              inputs=f"{analysis.dataset.fingerprint}:{cfg.backbone}")
    return HierarchyBase(analysis=analysis, peaks=peaks)


@lru_cache(maxsize=32)
def load_run(app_config: AppConfig, key: str, z: float) -> LabelledRun:
    """The labelled hierarchy of ``key`` re-merged at ``z`` (no point is revisited)."""
    base = load_base(app_config, key)
    return label_analysis(base.analysis, z=z, precomputed=base.peaks)


@lru_cache(maxsize=4)
def clusters_curve(app_config: AppConfig, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(Z values, number of clusters at each)."""
    from compute.labelling import clusters_against_z

    grid = z_grid()
    return grid, clusters_against_z(load_base(app_config, key).peaks, grid)


@lru_cache(maxsize=4)
def names_store(path: Path) -> NameStore:
    return NameStore(path)
