"""The analysis parameters: every choice that decides the clusters, defined once.

One :class:`AnalysisParams` is made from the dashboard's controls or the command line's
flags (:mod:`compute.commands.options`) and passed whole through the pipeline, the
topography, the cut at Z, the cluster card, the labelled export, the quality report and
the names history; every output records it (:meth:`AnalysisParams.to_dict`).

Two groups of fields:

* the *graph* fields (metric, maxk, density, k, knn_method) decide the kNN graph, the
  densities and the peaks: changing one means recomputing;
* the *cut* fields (z, halo) only re-merge the cached peaks (milliseconds): the dashboard's
  hierarchy slider sets them for the whole page (:meth:`AnalysisParams.at_cut`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from compute.arrays import METRICS
from compute.graph.knn import AUTO
from compute.graph.knn import METHODS as SEARCH_METHODS

DENSITIES: tuple[str, ...] = ("pak", "knn")
KNN_METHODS: tuple[str, ...] = (AUTO, *SEARCH_METHODS)
CUT_FIELDS: tuple[str, ...] = ("z", "halo")
Z_MIN, Z_MAX, Z_STEP = 1.0, 4.0, 0.05  # the range the dashboard's slider offers


@dataclass(frozen=True)
class AnalysisParams:
    """What decides the clusters of an embedding (the defaults of every entry point).

    metric: "euclidean", or "cosine" (rows L2-normalised before the kNN graph).
    maxk: neighbours kept per point in the kNN graph (clamped to N - 1 distinct rows);
        PAk's k* and ADP's neighbourhoods never exceed it.
    density: "pak" (point-adaptive k*) or "knn" (fixed ``k``).
    k: neighbours of the fixed-k density (used when ``density == "knn"``), 1 <= k <= maxk.
    z: ADP merge significance (clusters whose peak is not Z error bars above the saddle
        merge). halo: mark the members below their cluster's highest saddle.
    knn_method: the neighbour search: "auto" (exact below
        :data:`compute.graph.knn.AUTO_EXACT_BELOW` distinct rows, IVF above, its recall
        measured on a sample and recorded), "exact", "ivf" or "hnsw" (approximate).
    """

    metric: str = "euclidean"
    maxk: int = 30
    density: str = "pak"
    k: int = 30
    z: float = 1.65
    halo: bool = True
    knn_method: str = AUTO

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, not {self.metric!r}")
        if self.density not in DENSITIES:
            raise ValueError(f"density must be one of {DENSITIES}, not {self.density!r}")
        if self.knn_method not in KNN_METHODS:
            raise ValueError(f"knn method must be one of {KNN_METHODS}, not "
                             f"{self.knn_method!r}")
        _check_int("maxk", self.maxk, low=2, why="2-NN needs two neighbours")
        _check_int("k", self.k, low=1, why="the kNN density needs a neighbour")
        if self.density == "knn" and self.k > self.maxk:
            raise ValueError(f"k = {self.k} exceeds maxk = {self.maxk}: the kNN density "
                             "reads the k-th neighbour of the graph; lower k or raise maxk")
        object.__setattr__(self, "z", round(check_z(self.z), 4))
        object.__setattr__(self, "halo", bool(self.halo))

    def at_cut(self, *, z: float | None = None, halo: bool | None = None) -> AnalysisParams:
        """The same analysis cut at another Z (and halo): nothing is recomputed."""
        return replace(self, z=self.z if z is None else z,
                       halo=self.halo if halo is None else halo)

    def graph_dict(self) -> dict:
        """The fields that decide graph, densities and peaks (the recomputation key)."""
        return {k: v for k, v in self.to_dict().items() if k not in CUT_FIELDS}

    def to_dict(self) -> dict:
        """Every field, JSON-ready (what outputs record)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> AnalysisParams:
        """The inverse of :meth:`to_dict`; unknown keys are refused, missing ones default."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown analysis parameters {sorted(unknown)}; known: "
                             f"{[f.name for f in fields(cls)]}")
        return cls(**values)

    def describe(self) -> str:
        """One line for people: ``cosine, PAk, maxk 30, Z 1.65, halo marked``."""
        density = "PAk" if self.density == "pak" else f"kNN density (k = {self.k})"
        knn = "" if self.knn_method == AUTO else f", {self.knn_method} neighbours"
        return (f"{self.metric}, {density}, maxk {self.maxk}{knn}, Z {self.z:g}, "
                f"halo {'marked' if self.halo else 'not marked'}")


def _check_int(name: str, value, *, low: int, why: str) -> None:
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"{name} must be an integer >= {low} ({why}); got {value!r}")


def check_z(z: float) -> float:
    """Z as a float, or ValueError: ADP's merge rule needs a finite Z >= 1."""
    if isinstance(z, bool) or not isinstance(z, int | float | np.floating | np.integer):
        raise ValueError(f"Z must be a number, got {z!r}")
    z = float(z)
    if not math.isfinite(z) or z < 1.0:
        raise ValueError(f"Z must be a finite number >= 1 (got {z}); the usual range is "
                         "1.0-2.3, default 1.65")
    return z
