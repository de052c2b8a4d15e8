"""The dashboard's one results store: the browser holds keys, the page's cut and
selections; the arrays stay here.

* An *analysis key* (JSON of the representation and the graph choices of
  :class:`compute.params.AnalysisParams`, never paths) names one computed
  :class:`compute.pipeline.Analysis` (its whole topography).
* The page's :class:`View` (Z, halo, names version) cuts that topography: every panel -
  scatter colours and legend, hover, Point panel, selection and its CSV, hierarchy
  pictures, card, scores, quality report, export - reads :func:`load_run` /
  :func:`load_page` with the same view, so an image has one cluster and one name on the
  whole page.
* A *projection key* (analysis key + projection parameters) names one array of
  coordinates.

Everything is rebuilt on demand from the on-disk step cache the background jobs wrote and
memoised here under one lock (re-merges for a new Z take milliseconds).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path, PurePath, PurePosixPath

import numpy as np
import pandas as pd

from compute.naming import NameMatch, NameStore
from compute.naming.labelling import LabelledRun, label_analysis
from compute.params import AnalysisParams
from compute.pipeline import (
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
SERVER_FIELDS = ("images", "labels", "scales")  # from AppConfig, not the browser
# scale_group is the user's choice (Compute, "Images"); the server's --scale-group is its start
BUILT_IN_WEIGHTS = "auto"  # else the name of weights trained in the dashboard
CLUSTER_COLUMN, HALO_COLUMN = "cluster", "halo"
CUT_COLUMNS = (CLUSTER_COLUMN, HALO_COLUMN)  # the columns that follow the page's Z
NEAR_DUPLICATE_COLUMN = "near-duplicate group"  # only when the analysis found some


@dataclass(frozen=True, eq=False)
class ExplorerData:
    """What the callbacks read, one row per embedded image.

    ids: (N,) object, image content ids (thumbnail names).
    paths: (N,) object, paths relative to the image folder.
    columns: N-row table of everything a point can be coloured by or exported with
        (known label, manifest columns, log-density, scale; at a cut also ``cluster``,
        shown as ``"3"`` or ``"3 · name"``, and ``halo``).
    knn_indices, knn_distances: (N, maxk + 1) int32 / float32 neighbours in the embedding
        space the clusters were found in, self in column 0, Euclidean distances (of the
        L2-normalised rows under the cosine metric).
    clusters: (N,) int64 ADP cluster per row at the page's cut (None: no cut applied).
    cluster_names: the name of each cluster at that cut ("" where unnamed).
    """

    ids: np.ndarray
    paths: np.ndarray
    columns: pd.DataFrame
    knn_indices: np.ndarray
    knn_distances: np.ndarray
    clusters: np.ndarray | None
    summary: str
    cluster_names: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class View:
    """The page's cut, held by the browser (``ids.VIEW``): the hierarchy slider's Z, the
    halo choice, and a counter bumped after each name save (names are part of the view)."""

    z: float = AnalysisParams().z
    halo: bool = AnalysisParams().halo
    names: int = 0

    @classmethod
    def of(cls, store: dict | None) -> View:
        """The view of the browser's store (defaults for what it does not say)."""
        store = store or {}
        default = cls()
        z = store.get("z")
        return cls(z=round(float(z), 4) if z is not None else default.z,
                   halo=bool(store.get("halo", default.halo)),
                   names=int(store.get("names") or 0))

    def store(self) -> dict:
        return asdict(self)


def pipeline_config(app_config: AppConfig, **choices) -> PipelineConfig:
    """The pipeline run for the user's choices on this server's dataset (``analysis`` as an
    :class:`AnalysisParams` or its dict)."""
    known = {f.name for f in fields(PipelineConfig)} - set(SERVER_FIELDS)
    unknown = set(choices) - known
    if unknown:
        raise ValueError(f"unknown pipeline options {sorted(unknown)}; use {sorted(known)}")
    if isinstance(choices.get("analysis"), dict):
        choices["analysis"] = AnalysisParams.from_dict(choices["analysis"])
    if isinstance(choices.get("projection"), dict):
        choices["projection"] = ProjectionParams(**choices["projection"])
    choices.setdefault("backbone", app_config.backbone)
    if choices.get("weights", BUILT_IN_WEIGHTS) != BUILT_IN_WEIGHTS:
        choices["weights"] = str(trained_path(app_config.weights_dir, choices["weights"]))
    choices.setdefault("scale_group", app_config.scale_group)
    return PipelineConfig(images=str(app_config.images),
                          labels=str(app_config.labels) if app_config.labels else None,
                          scales=app_config.scales, **choices)


def analysis_key(config: PipelineConfig) -> str:
    """What the browser stores for an analysis: the choices that need computing, never
    paths, arrays, the projection or the cut (trained weights by their file name, which
    :func:`pipeline_config` resolves again)."""
    choices = {k: v for k, v in asdict(config).items()
               if k not in (*SERVER_FIELDS, "projection", "analysis")}
    choices["analysis"] = config.analysis.graph_dict()
    if choices["weights"] != BUILT_IN_WEIGHTS:
        choices["weights"] = PurePath(choices["weights"]).name
    return json.dumps(choices, sort_keys=True)


def projection_key(analysis: str, params: ProjectionParams) -> str:
    """What the browser stores for a projection of an analysis."""
    return json.dumps({"analysis": analysis, "projection": asdict(params)}, sort_keys=True)


def config_for(app_config: AppConfig, key: str, view: View | None = None) -> PipelineConfig:
    """The pipeline configuration of an analysis key, cut at ``view`` (default: the
    default Z and halo)."""
    choices = json.loads(key)
    view = view or View()
    choices["analysis"] = {**choices.get("analysis", {}), "z": view.z, "halo": view.halo}
    return pipeline_config(app_config, **choices)


def params_for(app_config: AppConfig, key: str, view: View | dict | None) -> AnalysisParams:
    """The one :class:`AnalysisParams` of the page: the key's graph choices at its cut."""
    view = view if isinstance(view, View) else View.of(view)
    return config_for(app_config, key, view).analysis


def parse_projection_key(key: str) -> tuple[str, ProjectionParams]:
    data = json.loads(key)
    return data["analysis"], ProjectionParams(**data["projection"])


# --------------------------------------------------------------------------- the store

_lock = threading.Lock()  # guards the dictionaries below, never held while computing
_memo: OrderedDict[Hashable, object] = OrderedDict()
_making: dict[Hashable, threading.Lock] = {}  # one lock per entry being made
_MAX_ENTRIES = 64  # analyses, cuts, pages, projections and curves together
_PINNED: set[Hashable] = set()  # published synthetic data (tests, benchmarks)


def _remembered(key: Hashable, make: Callable[[], object]) -> object:
    """The memoised value of ``key``: made once (concurrent callers of the same key wait
    for the first; other keys go on), least recently used out."""
    with _lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
        making = _making.setdefault(key, threading.Lock())
    with making:
        with _lock:
            if key in _memo:
                return _memo[key]
        value = make()
        with _lock:
            _memo[key] = value
            _making.pop(key, None)
            unpinned = [k for k in _memo if k not in _PINNED]
            for old in unpinned[:max(0, len(_memo) - _MAX_ENTRIES)]:
                del _memo[old]
        return value


def _after_fork_in_child() -> None:
    """A job's worker is forked while request threads may hold these locks; the child has
    none of those threads, so it starts with fresh locks (made entries are kept)."""
    global _lock
    _lock = threading.Lock()
    _making.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def publish(app_config: AppConfig, key: str, data: ExplorerData,
            coords: dict[str, np.ndarray] | None = None) -> None:
    """Put ready-made rows under ``key`` (benchmarks and tests of large synthetic sets):
    the scatter, hover and panels work on them; the hierarchy needs a real analysis."""
    with _lock:
        for mkey, value in [(("data", app_config, key), data),
                            *((("coords", app_config, p), c) for p, c in (coords or {}).items())]:
            _memo[mkey] = value
            _PINNED.add(mkey)


def load_analysis(app_config: AppConfig, key: str) -> Analysis:
    """The analysis of ``key`` at the default cut (every step a cache hit once its job ran)."""
    return _remembered(("analysis", app_config, key), lambda: analyse_folder(
        config_for(app_config, key), cache_dir=app_config.cache_dir))


def find_image(app_config: AppConfig, image_id: str) -> tuple[Analysis, int] | None:
    """An analysis loaded in this process that holds the image ``image_id``, and its row
    there; None when no loaded analysis has it (the full-image route serves only these)."""
    with _lock:
        keys = [k[2] for k in _memo if k[0] == "analysis" and k[1] == app_config]
    for key in keys:
        rows = _remembered(("rows of ids", app_config, key), lambda key=key: {
            r.id: i for i, r in enumerate(load_analysis(app_config, key).dataset.usable)})
        if image_id in rows:
            return load_analysis(app_config, key), rows[image_id]
    return None


def load_data(app_config: AppConfig, key: str) -> ExplorerData:
    """The rows of an analysis, without the cut's columns."""
    return _remembered(("data", app_config, key),
                       lambda: explorer_data(load_analysis(app_config, key), app_config))


def load_run(app_config: AppConfig, key: str, view: View | dict | None) -> LabelledRun:
    """The labelled hierarchy of ``key`` at the view's cut (a re-merge, memoised)."""
    params = params_for(app_config, key, view)
    return _remembered(("run", app_config, key, params.z, params.halo),
                       lambda: label_analysis(load_analysis(app_config, key), params))


def load_match(app_config: AppConfig, key: str, view: View | dict | None) -> NameMatch:
    """The names of this folder's images paired with the nodes at the view's cut (as the
    store holds them now: another user's save shows at the next call)."""
    view = view if isinstance(view, View) else View.of(view)
    run = load_run(app_config, key, view)
    store = names_store(app_config.names_db)

    def make():
        return run.clustering.match(store.live(dataset_ids=frozenset(run.clustering.ids)))
    return _remembered(("match", app_config, key, view.z, view.halo, store.revision()), make)


def load_page(app_config: AppConfig, key: str, view: View | dict | None) -> ExplorerData:
    """The rows of ``key`` with the cut's columns: ``cluster`` (number and name) and ``halo``
    at the view's Z, from the same :func:`load_run` as the hierarchy panel."""
    view = view if isinstance(view, View) else View.of(view)

    def make():
        data = load_data(app_config, key)
        if ("data", app_config, key) in _PINNED:  # published synthetic rows: no analysis
            return data
        run = load_run(app_config, key, view)
        names = load_match(app_config, key, view).names()
        return at_cut(data, run.clustering.labels, run.clustering.is_halo,
                      tuple(names.get(c, "") for c in range(run.clustering.n_clusters)))
    revision = names_store(app_config.names_db).revision()
    return _remembered(("page", app_config, key, view.z, view.halo, revision), make)


def load_coords(app_config: AppConfig, pkey: str) -> np.ndarray:
    """The (N, 2|3) coordinates of a projection key (computed if not cached)."""
    def make():
        akey, params = parse_projection_key(pkey)
        return project_analysis(load_analysis(app_config, akey), params,
                                cache_dir=app_config.cache_dir).coords
    return _remembered(("coords", app_config, pkey), make)


def projection_ready(app_config: AppConfig, pkey: str) -> bool:
    """True if the projection is in memory or in the step cache (no job needed)."""
    with _lock:
        if ("coords", app_config, pkey) in _memo:
            return True
    akey, params = parse_projection_key(pkey)
    if ("data", app_config, akey) in _PINNED:
        return False
    return projection_is_cached(load_analysis(app_config, akey), params,
                                cache_dir=app_config.cache_dir)


def clusters_curve(app_config: AppConfig, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(Z values of the slider, number of clusters at each)."""
    from compute.naming.labelling import clusters_against_z

    def make():
        grid = z_grid()
        return grid, clusters_against_z(load_analysis(app_config, key).topography, grid)
    return _remembered(("curve", app_config, key), make)


def z_grid() -> np.ndarray:
    """The Z values of the slider (and of the clusters-against-Z curve)."""
    from compute.params import Z_MAX, Z_MIN, Z_STEP

    return np.round(np.arange(Z_MIN, Z_MAX + Z_STEP / 2, Z_STEP), 2)


@lru_cache(maxsize=4)
def names_store(path: Path) -> NameStore:
    return NameStore(path)


def forget() -> None:
    """Drop everything held in memory (what a new app process starts with)."""
    with _lock:
        _memo.clear()
        _PINNED.clear()
    names_store.cache_clear()
    colouring_for.cache_clear()


# --------------------------------------------------------------------------- rows


def explorer_data(analysis: Analysis, app_config: AppConfig) -> ExplorerData:
    """Flatten an analysis into the per-row view the callbacks need (no cut columns)."""
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
    columns["log-density"] = analysis.topography.density.log_density
    copies = analysis.near_duplicates
    if copies is not None and copies.n_groups:
        columns[NEAR_DUPLICATE_COLUMN] = copies.labels()
    knn = analysis.knn
    return ExplorerData(ids=np.array([r.id for r in usable], dtype=object), paths=paths,
                        columns=columns, knn_indices=knn.indices.astype(np.int32),
                        knn_distances=knn.distances.astype(np.float32),
                        clusters=None, summary=analysis.summary())


def at_cut(data: ExplorerData, labels: np.ndarray, is_halo: np.ndarray,
           names: tuple[str, ...]) -> ExplorerData:
    """``data`` with the cut's columns: ``cluster`` ("3", or "3 · name" when named) and
    ``halo`` ("core" / "halo")."""
    labels = np.asarray(labels, dtype=np.int64)
    shown = np.array([f"{c} · {n}" if n else str(c) for c, n in enumerate(names)], dtype=object)
    return replace(with_columns(data, **{
        CLUSTER_COLUMN: shown[labels] if len(shown) else labels.astype(str),
        HALO_COLUMN: np.where(np.asarray(is_halo, dtype=bool), "halo", "core")}),
        clusters=labels, cluster_names=names)


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


def _cluster_key(name: str) -> tuple:
    """Clusters in number order ("2 · x" before "10")."""
    head = name.split(" ", 1)[0]
    return (0, int(head), name) if head.isdigit() else (1, 0, name)


@lru_cache(maxsize=64)
def colouring_for(data: ExplorerData, column: str) -> Colouring:
    """The colouring of ``data`` by one of its columns (computed once per process)."""
    if column not in data.columns.columns:
        raise ValueError(f"no column {column!r} to colour by; choose one of "
                         f"{list(data.columns.columns)}")
    sort_key = {GROUP_COLUMN: group_sort_key, CLUSTER_COLUMN: _cluster_key}.get(column)
    return colouring(column, data.columns[column], sort_key=sort_key)
