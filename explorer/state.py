"""Server-side results: the browser holds keys and selections, the arrays stay here.

An *analysis key* (JSON of the analysis choices, never paths) names one
:class:`ExplorerData`; a *projection key* (JSON of the analysis key and the projection
parameters) names one array of coordinates. Both are loaded once per process from the
step cache the background jobs wrote, and kept in memory.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import PurePath, PurePosixPath

import numpy as np
import pandas as pd

from compute.pipeline import (
    PROJECTION_FIELDS,
    Analysis,
    PipelineConfig,
    analyse_folder,
    project_analysis,
    projection_is_cached,
)
from compute.projection import ProjectionParams
from compute.scale.groups import group_sort_key
from compute.scale.table import GROUP_COLUMN, display_columns
from compute.train.library import trained_path
from explorer.colouring import Colouring, colouring
from explorer.config import AppConfig

CORE_RECORD_FIELDS = ("path", "id", "label", "error", "duplicate_of")
SERVER_FIELDS = ("images", "labels", "scales", "scale_group")  # from AppConfig, not the browser
BUILT_IN_WEIGHTS = "auto"  # else the name of weights trained in the dashboard


@dataclass(frozen=True, eq=False)
class ExplorerData:
    """What the callbacks read, one row per embedded image.

    ids: (N,) object, image content ids (thumbnail names).
    paths: (N,) object, paths relative to the image folder.
    columns: N-row table of everything a point can be coloured by or exported with
        (known label, manifest columns, cluster, log-density, halo, ...).
    knn_indices, knn_distances: (N, maxk + 1) int32 / float32 neighbours in the ORIGINAL
        embedding space, self in column 0, Euclidean distances (half the bytes of the
        engine's int64/float64 graph: the panels gather 50 000 rows of it at a time).
    clusters: (N,) int64 ADP cluster per row, or None where the engine is not installed.
    """

    ids: np.ndarray
    paths: np.ndarray
    columns: pd.DataFrame
    knn_indices: np.ndarray
    knn_distances: np.ndarray
    clusters: np.ndarray | None
    summary: str

    @property
    def n_rows(self) -> int:
        return len(self.ids)


def pipeline_config(app_config: AppConfig, **choices) -> PipelineConfig:
    """The pipeline run for the user's choices on this server's dataset."""
    known = {f.name for f in fields(PipelineConfig)} - set(SERVER_FIELDS)
    unknown = set(choices) - known
    if unknown:
        raise ValueError(f"unknown pipeline options {sorted(unknown)}; use {sorted(known)}")
    if choices.get("weights", BUILT_IN_WEIGHTS) != BUILT_IN_WEIGHTS:
        choices["weights"] = str(trained_path(app_config.weights_dir, choices["weights"]))
    return PipelineConfig(images=str(app_config.images),
                          labels=str(app_config.labels) if app_config.labels else None,
                          scales=app_config.scales, scale_group=app_config.scale_group,
                          **choices)


def analysis_key(config: PipelineConfig) -> str:
    """What the browser stores for an analysis: its choices, never paths or arrays (trained
    weights by their file name, which :func:`pipeline_config` resolves again)."""
    choices = {k: v for k, v in asdict(config).items()
               if k not in (*SERVER_FIELDS, *PROJECTION_FIELDS)}
    if choices["weights"] != BUILT_IN_WEIGHTS:
        choices["weights"] = PurePath(choices["weights"]).name
    return json.dumps(choices, sort_keys=True)


def projection_key(analysis: str, params: ProjectionParams) -> str:
    """What the browser stores for a projection of an analysis."""
    return json.dumps({"analysis": analysis, "projection": asdict(params)}, sort_keys=True)


def config_for(app_config: AppConfig, key: str) -> PipelineConfig:
    return pipeline_config(app_config, **json.loads(key))


def parse_projection_key(key: str) -> tuple[str, ProjectionParams]:
    data = json.loads(key)
    return data["analysis"], ProjectionParams(**data["projection"])


_lock = threading.Lock()
_analyses: dict[tuple[AppConfig, str], tuple[Analysis, ExplorerData]] = {}
_projections: dict[tuple[AppConfig, str], np.ndarray] = {}
_MAX_ENTRIES = 8


def _remember(store: dict, key, value) -> None:
    with _lock:
        if len(store) >= _MAX_ENTRIES:
            store.pop(next(iter(store)))
        store[key] = value


def publish(app_config: AppConfig, key: str, data: ExplorerData,
            coords: dict[str, np.ndarray] | None = None) -> None:
    """Put ready-made data under ``key`` (benchmarks and tests of large synthetic sets)."""
    _remember(_analyses, (app_config, key), (None, data))
    for pkey, array in (coords or {}).items():
        _remember(_projections, (app_config, pkey), array)


def _analysis(app_config: AppConfig, key: str) -> tuple[Analysis | None, ExplorerData]:
    hit = _analyses.get((app_config, key))
    if hit is None:
        analysis = analyse_folder(config_for(app_config, key), cache_dir=app_config.cache_dir)
        hit = (analysis, explorer_data(analysis, app_config))
        _remember(_analyses, (app_config, key), hit)
    return hit


def load_data(app_config: AppConfig, key: str) -> ExplorerData:
    """The rows of an analysis (every step a cache hit once its job has run)."""
    return _analysis(app_config, key)[1]


def load_coords(app_config: AppConfig, pkey: str) -> np.ndarray:
    """The (N, 2|3) coordinates of a projection key (computed if not cached)."""
    coords = _projections.get((app_config, pkey))
    if coords is None:
        akey, params = parse_projection_key(pkey)
        analysis, _ = _analysis(app_config, akey)
        coords = project_analysis(analysis, params, cache_dir=app_config.cache_dir).coords
        _remember(_projections, (app_config, pkey), coords)
    return coords


def projection_ready(app_config: AppConfig, pkey: str) -> bool:
    """True if the projection is in memory or in the step cache (no job needed)."""
    if (app_config, pkey) in _projections:
        return True
    akey, params = parse_projection_key(pkey)
    analysis, _ = _analysis(app_config, akey)
    if analysis is None:
        return False
    return projection_is_cached(analysis, params, cache_dir=app_config.cache_dir)


def explorer_data(analysis: Analysis, app_config: AppConfig) -> ExplorerData:
    """Flatten an analysis into the per-row view the callbacks need."""
    usable = analysis.dataset.usable
    paths = np.array([r.path for r in usable], dtype=object)
    columns = pd.DataFrame({"label": [r.label for r in usable]})
    for extra in _extra_record_fields(usable):
        columns[extra] = [getattr(r, extra) for r in usable]
    columns["folder"] = [str(PurePosixPath(p).parent) for p in paths]
    columns = _join_manifest(columns, paths, app_config)
    if analysis.scales is not None:
        for name, values in display_columns(analysis.scales).items():
            columns[name] = values
    clusters = None
    if analysis.clusters is not None:
        clusters = analysis.clusters.labels
        columns["cluster"] = clusters.astype(str)
        columns["log-density"] = analysis.clusters.log_density
        columns["halo"] = np.where(analysis.clusters.halo, "halo", "core")
    return ExplorerData(ids=np.array([r.id for r in usable], dtype=object), paths=paths,
                        columns=columns, knn_indices=analysis.knn.indices.astype(np.int32),
                        knn_distances=analysis.knn.distances.astype(np.float32),
                        clusters=clusters,
                        summary=analysis.summary())


def _extra_record_fields(records) -> list[str]:
    """Metadata fields an ingest step added to ImageRecord (scale group, ...)."""
    if not records:
        return []
    return [f.name for f in fields(records[0]) if f.name not in CORE_RECORD_FIELDS]


def _join_manifest(columns: pd.DataFrame, paths: np.ndarray,
                   app_config: AppConfig) -> pd.DataFrame:
    """Add the labels CSV's other columns (e.g. a super-class) matched by path."""
    if app_config.labels is None:
        return columns
    manifest = pd.read_csv(app_config.labels, dtype=str)
    if "path" not in manifest.columns:
        return columns
    extra = [c for c in manifest.columns if c not in ("path", "id", "label", *columns.columns)]
    if not extra:
        return columns
    by_path = manifest.drop_duplicates("path").set_index("path")[extra]
    joined = by_path.reindex(pd.Index(paths, name="path")).reset_index(drop=True)
    return pd.concat([columns, joined], axis=1)


def with_columns(data: ExplorerData, **columns) -> ExplorerData:
    """A copy of ``data`` with extra or replaced columns."""
    table = data.columns.copy()
    for name, values in columns.items():
        table[name] = values
    return replace(data, columns=table)


@lru_cache(maxsize=64)
def colouring_for(data: ExplorerData, column: str) -> Colouring:
    """The colouring of ``data`` by one of its columns (computed once per process)."""
    if column not in data.columns.columns:
        raise ValueError(f"no column {column!r} to colour by; choose one of "
                         f"{list(data.columns.columns)}")
    sort_key = group_sort_key if column == GROUP_COLUMN else None
    return colouring(column, data.columns[column], sort_key=sort_key)
