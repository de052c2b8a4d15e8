"""The analysis parameters: every choice that decides the clusters, defined once.

One :class:`AnalysisParams` is made from the dashboard's controls or the command line's
flags (:mod:`compute.commands.options`) and passed whole through the pipeline, the
topography, the cut at Z, the cluster card, the labelled export, the quality report and
the names history; every output records it (:meth:`AnalysisParams.to_dict`).

Two groups of fields:

* the *graph* fields (metric, maxk, density, k, knn_method, space, manifold_dim_cap,
  manifold_neighbors, manifold_min_dist, cut_rule, collapse_copies) decide the kNN graph,
  the cluster space, the densities, the peaks and the suggested cut: changing one means
  recomputing;
* the *cut* fields (z, halo, halo_rule) only re-merge the cached peaks (milliseconds): the
  dashboard's hierarchy slider sets them for the whole page (:meth:`AnalysisParams.at_cut`).

The defaults were chosen by measurement on labelled image sets of three kinds
(``python -m benchmarks.defaults_study``; figures in ``benchmarks/RESULTS.md``, "Clustering
quality by default (issue 15)"). ``metric="auto"`` is resolved once per embedding
(:meth:`AnalysisParams.resolved`): cosine for CNN features, Euclidean for pixels; outputs
record the resolved value. ``z=None`` means "the suggested cut" (:mod:`compute.peaks.cut`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from compute.arrays import METRICS
from compute.graph.knn import AUTO
from compute.graph.knn import METHODS as SEARCH_METHODS

METRIC_CHOICES: tuple[str, ...] = (AUTO, *METRICS)
DENSITIES: tuple[str, ...] = ("pak", "knn")
KNN_METHODS: tuple[str, ...] = (AUTO, *SEARCH_METHODS)
SPACES: tuple[str, ...] = ("umap", "full")
CUT_RULES: tuple[str, ...] = ("plateau", "stability")
HALO_RULES: tuple[str, ...] = ("border", "dadapy")
CUT_FIELDS: tuple[str, ...] = ("z", "halo", "halo_rule")
Z_MIN, Z_MAX, Z_STEP = 0.25, 5.0, 0.05  # the range of Z offered (slider, suggested cut)
#: Below this many images the peaks are found in the full space (a UMAP manifold of a
#: handful of points is not worth its cost), whatever ``space`` says.
MANIFOLD_MIN_POINTS = 100
#: Above this many images the peaks are found in the full space too: UMAP's layout costs
#: minutes there on a 2-core machine and would break the large-collection budget (10 min,
#: 8 GiB for a million images; benchmarks/RESULTS.md, issue 16). The summary says so.
MANIFOLD_MAX_POINTS = 100_000
#: The kNN density's k when none is given (:func:`default_k`). With the manifold's UMAP
#: defaults below it beat k = 10 on every labelled set, averaged over three UMAP seeds
#: (benchmarks/RESULTS.md, "Clustering quality by default (issue 15)").
DEFAULT_K = 20
#: In a small folder the default k is at most the folder's distinct images divided by this,
#: and never below SMALL_FOLDER_K.
SMALL_FOLDER_SHARE, SMALL_FOLDER_K = 10, 5


def default_k(n_distinct: int, maxk: int) -> int:
    """The kNN density's k when none is given, for ``n_distinct`` distinct images and the
    clamped ``maxk``: :data:`DEFAULT_K`, at most a tenth of the images (at least
    :data:`SMALL_FOLDER_K`) and at most maxk. A group of fewer than about k images cannot be
    a density peak of its own, so a folder of 98 frames keeps its groups of ten (k = 9)."""
    return max(1, min(DEFAULT_K, maxk, max(SMALL_FOLDER_K, n_distinct // SMALL_FOLDER_SHARE)))


@dataclass(frozen=True)
class AnalysisParams:
    """What decides the clusters of an embedding (the defaults of every entry point).

    metric: "euclidean", "cosine" (rows L2-normalised before the kNN graph) or "auto"
        (:meth:`resolved`: cosine for CNN features, Euclidean for pixels or unknown).
    maxk: neighbours kept per point in the kNN graph (clamped to N - 1 distinct rows);
        PAk's k* and ADP's neighbourhoods never exceed it.
    density: "pak" (point-adaptive k*) or "knn" (fixed ``k``).
    k: neighbours of the fixed-k density (used when ``density == "knn"``), 1 <= k <= maxk;
        None (not given): :func:`default_k` of the folder's size, made concrete when the
        analysis knows it (what it computed records the number).
    knn_method: the neighbour search: "auto" (exact below
        :data:`compute.graph.knn.AUTO_EXACT_BELOW` distinct rows, IVF above, its recall
        measured on a sample and recorded), "exact", "ivf" or "hnsw" (approximate).
    space: where the density peaks are found: "umap" (a ``d``-dimensional UMAP manifold
        built from the same kNN graph, ``d`` = the 2-NN intrinsic dimension rounded, at
        least 1, at most ``manifold_dim_cap``; the full space below
        :data:`MANIFOLD_MIN_POINTS` and above :data:`MANIFOLD_MAX_POINTS` images) or
        "full" (the embedding itself).
    manifold_dim_cap: the largest manifold dimension; manifold_neighbors: UMAP's
        n_neighbors (read from the kNN graph, so at most maxk); manifold_min_dist: UMAP's
        min_dist (0-1: how tightly the manifold packs its points). The defaults are
        UMAP's own (15, 0.1), which the peers' pipeline uses too.
    cut_rule: how the suggested Z is chosen without labels (:mod:`compute.peaks.cut`):
        "stability" (the partition that changes least when the kNN graph is perturbed) or
        "plateau" (the widest plateau of the clusters-vs-Z curve).
    collapse_copies: near-duplicate copies (shifted crops, re-saved copies of one picture:
        :mod:`compute.ingest.near_duplicates`) count once: each copy takes its group's
        first image's embedding, so the densities are of distinct pictures and a group's
        images share one cluster. Off by default (the groups are found and reported
        either way).
    z: ADP merge significance (clusters whose peak is not Z error bars above the saddle
        merge), :data:`Z_MIN`-:data:`Z_MAX`; None: the suggested cut.
    halo: mark uncertain members as halo; halo_rule: "border" (only members within their
        nearest neighbours' reach of another cluster and below its saddle) or "dadapy"
        (every member below its cluster's highest saddle, DADApy's definition).
    """

    metric: str = AUTO
    maxk: int = 100
    density: str = "knn"
    k: int | None = None
    knn_method: str = AUTO
    space: str = "umap"
    manifold_dim_cap: int = 2
    manifold_neighbors: int = 15
    manifold_min_dist: float = 0.1
    cut_rule: str = "plateau"
    collapse_copies: bool = False
    z: float | None = None
    halo: bool = True
    halo_rule: str = "border"

    def __post_init__(self) -> None:
        for name, choices in (("metric", METRIC_CHOICES), ("density", DENSITIES),
                              ("space", SPACES), ("cut_rule", CUT_RULES),
                              ("halo_rule", HALO_RULES)):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}, not "
                                 f"{getattr(self, name)!r}")
        if self.knn_method not in KNN_METHODS:
            raise ValueError(f"knn method must be one of {KNN_METHODS}, not "
                             f"{self.knn_method!r}")
        _check_int("maxk", self.maxk, low=2, why="2-NN needs two neighbours")
        if self.k is not None:
            _check_int("k", self.k, low=1, why="the kNN density needs a neighbour")
        _check_int("manifold_dim_cap", self.manifold_dim_cap, low=1,
                   why="a manifold has at least one dimension")
        _check_int("manifold_neighbors", self.manifold_neighbors, low=2,
                   why="UMAP needs two neighbours")
        if (isinstance(self.manifold_min_dist, bool)
                or not isinstance(self.manifold_min_dist, int | float)
                or not 0.0 <= self.manifold_min_dist <= 1.0):
            raise ValueError(f"manifold_min_dist must be a number from 0 to 1 (UMAP's "
                             f"min_dist); got {self.manifold_min_dist!r}")
        object.__setattr__(self, "manifold_min_dist", float(self.manifold_min_dist))
        if self.density == "knn" and self.k is not None and self.k > self.maxk:
            raise ValueError(f"k = {self.k} exceeds maxk = {self.maxk}: the kNN density "
                             "reads the k-th neighbour of the graph; lower k or raise maxk")
        if self.z is not None:
            object.__setattr__(self, "z", round(check_z(self.z), 4))
        object.__setattr__(self, "halo", bool(self.halo))
        object.__setattr__(self, "collapse_copies", bool(self.collapse_copies))

    def at_cut(self, *, z: float | None = None, halo: bool | None = None,
               halo_rule: str | None = None) -> AnalysisParams:
        """The same analysis cut at another Z (and halo): nothing is recomputed."""
        return replace(self, z=self.z if z is None else z,
                       halo=self.halo if halo is None else halo,
                       halo_rule=self.halo_rule if halo_rule is None else halo_rule)

    def resolved(self, *, cnn_features: bool | None) -> AnalysisParams:
        """These parameters with ``metric="auto"`` made concrete: cosine for CNN features
        (``cnn_features`` True), Euclidean for pixels or an unknown embedding (None)."""
        if self.metric != AUTO:
            return self
        return replace(self, metric="cosine" if cnn_features else "euclidean")

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
        """One line for people: ``cosine, kNN density (k = 20), maxk 100, UMAP manifold
        (at most 2-D), Z 1.3, halo: near borders``."""
        k = f"default k <= {DEFAULT_K}" if self.k is None else f"k = {self.k}"
        density = "PAk" if self.density == "pak" else f"kNN density ({k})"
        knn = "" if self.knn_method == AUTO else f", {self.knn_method} neighbours"
        space = (f"UMAP manifold (at most {self.manifold_dim_cap}-D)" if self.space == "umap"
                 else "full space")
        z = f"suggested Z ({self.cut_rule})" if self.z is None else f"Z {self.z:g}"
        halo = (("near borders" if self.halo_rule == "border" else "below the highest saddle")
                if self.halo else "not marked")
        copies = ", near-duplicate copies collapsed" if self.collapse_copies else ""
        return (f"{self.metric}, {density}, maxk {self.maxk}{knn}, {space}{copies}, {z}, "
                f"halo: {halo}")


def _check_int(name: str, value, *, low: int, why: str) -> None:
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"{name} must be an integer >= {low} ({why}); got {value!r}")


def check_z(z: float) -> float:
    """Z as a float, or ValueError: ADP's merge rule needs a finite Z >= :data:`Z_MIN` (Z
    below 1 is allowed, as in DADApy; the slider offers up to :data:`Z_MAX`)."""
    if isinstance(z, bool) or not isinstance(z, int | float | np.floating | np.integer):
        raise ValueError(f"Z must be a number, got {z!r}")
    z = float(z)
    if not math.isfinite(z) or z < Z_MIN:
        raise ValueError(f"Z must be a finite number >= {Z_MIN:g} (got {z}); the slider "
                         f"offers {Z_MIN:g}-{Z_MAX:g}; leave it out for the suggested cut")
    return z
