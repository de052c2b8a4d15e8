"""Which representation? Every available embedding of one folder, side by side.

For one image folder, each candidate representation (raw pixels, the ImageNet network, every
checkpoint of the weights library, and any the caller adds) is embedded (cached per image)
and analysed with the same :class:`compute.params.AnalysisParams`; each gets

* label-free scores, usable on any folder:

  - ``significance``: how well separated the ADP hierarchy's clusters are
    (:func:`hierarchy_significance`: population-weighted margin of each cluster's peak above
    its highest saddle, in error bars, capped);
  - ``consistency``: do neighbourhoods survive a small augmentation of the image
    (:func:`neighbour_consistency`: shared k nearest neighbours of an image and of its
    augmented view, on a seeded sample);
  - ``intrinsic_dim``: the 2-NN intrinsic dimension of the embedding (reported; not used to
    rank, its direction has no meaning on its own);

* where known labels exist, NMI / AMI / ARI of the ADP clusters on **all** labelled images
  (halo points keep their cluster: scored on the core alone, an embedding whose halo holds
  nearly every image could score well on a handful of points).

:func:`suggest` picks one: by NMI when enough images are labelled, else by the mean rank of
the two label-free scores (how well these ranks agree with NMI is measured in
``benchmarks/RESULTS.md``, "Representations (issue 17)").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from compute.params import AnalysisParams
from compute.progress import ProgressFn, report, scaled

if TYPE_CHECKING:
    from compute.cache import StepCache
    from compute.ingest import Dataset
    from compute.peaks import Clustering

log = logging.getLogger(__name__)

SIGNIFICANCE_CAP = 10.0  # error bars; a lone dominant peak cannot outweigh the rest
CONSISTENCY_K = 10
CONSISTENCY_SAMPLE = 256
MIN_LABELLED_TO_SUGGEST = 20  # fewer known labels: the suggestion goes by label-free scores
LABEL_FREE_RANKED = ("significance", "consistency")


@dataclass(frozen=True)
class Candidate:
    """One representation to try: a backbone of :data:`compute.embed.BACKBONES` with
    ``weights`` ("auto", "imagenet", "random" or a checkpoint path) and optional
    ``input_size`` (None: the checkpoint's own, else the backbone's). ``name`` is what
    people see; ``kind`` is "pixels", "imagenet", "random" or "trained"."""

    name: str
    backbone: str
    weights: str = "auto"
    kind: str = "imagenet"
    input_size: int | None = None


@dataclass(frozen=True)
class RepresentationScores:
    """The row of one candidate. Label scores (nmi, ami, ari) are None without labels;
    ``error`` says why a candidate could not be scored (its other fields are then empty)."""

    name: str
    kind: str
    dim: int = 0
    n_points: int = 0
    n_clusters: int = 0
    intrinsic_dim: float | None = None
    significance: float | None = None
    consistency: float | None = None
    nmi: float | None = None
    ami: float | None = None
    ari: float | None = None
    seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Suggestion:
    """The suggested candidate's ``name``, the ``basis`` ("nmi" or "label-free") and one
    sentence saying why."""

    name: str
    basis: str
    reason: str


@dataclass(frozen=True)
class Comparison:
    """Every candidate's row, the analysis they were scored with, and the suggestion."""

    rows: tuple[RepresentationScores, ...]
    params: AnalysisParams
    n_labelled: int
    suggestion: Suggestion | None

    def table(self) -> list[dict[str, Any]]:
        """One JSON-able dict per candidate (for CSV / JSON / the dashboard)."""
        return [asdict(r) for r in self.rows]

    def summary(self) -> dict[str, Any]:
        return {"params": self.params.to_dict(), "n_labelled": self.n_labelled,
                "suggestion": None if self.suggestion is None else asdict(self.suggestion),
                "rows": self.table()}


# --- the label-free scores (pure functions over arrays) -----------------------------------

def hierarchy_significance(clustering: Clustering, *, cap: float = SIGNIFICANCE_CAP) -> float:
    """How significant the ADP clusters are: the population-weighted mean, over the K
    clusters, of ``(rho_peak - rho_s) / (sigma_peak + sigma_s)`` for each cluster's highest
    saddle s (log-density error bars), each capped at ``cap``; a cluster without any saddle
    counts ``cap``. 0.0 when there is one cluster (no structure at all)."""
    k = clustering.n_clusters
    if k < 2:
        return 0.0
    saddles = clustering.saddles
    margins = np.full(k, cap, dtype=np.float64)
    for c in range(k):
        row = saddles.log_density[c]
        if not np.isfinite(row).any():
            continue
        s = int(np.argmax(row))
        spread = clustering.peak_error[c] + saddles.error[c, s]
        margin = (clustering.peak_log_density[c] - row[s]) / max(spread, 1e-12)
        margins[c] = min(max(margin, 0.0), cap)
    weights = clustering.populations.astype(np.float64)
    return float(np.sum(margins * weights) / np.sum(weights))


def neighbour_consistency(original: np.ndarray, augmented: np.ndarray, *,
                          k: int = CONSISTENCY_K, metric: str = "euclidean") -> float:
    """Mean share of the k nearest neighbours that an image and its augmented view have in
    common, neighbours taken among the ``original`` rows other than the image itself.

    original, augmented: (m, D) float, row i of ``augmented`` an augmented view of image i;
    m > k + 1. 1.0: the augmentation moves no neighbourhood; about k / (m - 1) by chance.
    """
    from compute.arrays import metric_points

    a = metric_points(np.asarray(original, dtype=np.float64), metric, name="original")
    b = metric_points(np.asarray(augmented, dtype=np.float64), metric, name="augmented")
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"original and augmented must both be (m, D); got {a.shape} and "
                         f"{b.shape}")
    m = len(a)
    if not 1 <= k < m - 1:
        raise ValueError(f"neighbour consistency needs 1 <= k < m - 1; got k = {k}, m = {m}: "
                         "sample more images or lower k")
    own = _neighbours_excluding_self(a, a, k)
    moved = _neighbours_excluding_self(b, a, k)
    shared = [len(np.intersect1d(own[i], moved[i], assume_unique=True)) for i in range(m)]
    return float(np.mean(shared) / k)


def _neighbours_excluding_self(queries: np.ndarray, base: np.ndarray, k: int) -> np.ndarray:
    """(m, k) int64: for query i, its k nearest rows of ``base`` other than row i."""
    from scipy.spatial.distance import cdist

    dist = cdist(queries, base)
    np.fill_diagonal(dist, np.inf)
    return np.argsort(dist, axis=1, kind="stable")[:, :k]


# --- embedding the candidates -------------------------------------------------------------

def library_candidates(weights_dir: str | Path | None) -> list[Candidate]:
    """Raw pixels, EfficientNet-Lite0 with ImageNet weights (the network available offline),
    and every image checkpoint in the weights library ``weights_dir`` (newest first)."""
    from compute.train.library import list_trained

    found = [Candidate("pixels", "pixels", "none", "pixels"),
             Candidate("imagenet (efficientnet_lite0)", "efficientnet_lite0", "imagenet",
                       "imagenet")]
    if weights_dir is not None:
        found += [Candidate(w.name, w.metadata.backbone, str(w.path), "trained")
                  for w in list_trained(weights_dir)]
    return found


def parse_candidate(spec: str) -> Candidate:
    """A candidate from ``BACKBONE:WEIGHTS[:INPUT_PX]`` (e.g. ``resnet18:random``,
    ``efficientnet_lite0:imagenet:96``, ``efficientnet_lite0:runs/adapt.pt``)."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"candidate {spec!r}: write BACKBONE:WEIGHTS or "
                         "BACKBONE:WEIGHTS:INPUT_PX, e.g. resnet18:random")
    size = int(parts[2]) if len(parts) == 3 else None
    kind = parts[1] if parts[1] in ("random", "imagenet", "auto") else "trained"
    kind = "pixels" if parts[0] == "pixels" else "imagenet" if kind == "auto" else kind
    return Candidate(spec, parts[0], parts[1], kind, size)


def augment_image(image, rng: np.random.Generator):
    """A mild augmentation of a Pillow image (L or RGB): shift by up to 8 % of each side
    (edges repeated), horizontal flip with probability 0.5, brightness x 0.8-1.2."""
    from PIL import Image, ImageEnhance, ImageOps

    w, h = image.size
    dx, dy = (int(rng.integers(-round(0.08 * s), round(0.08 * s) + 1)) for s in (w, h))
    pad = max(abs(dx), abs(dy), 1)
    padded = np.pad(np.asarray(image), ((pad, pad), (pad, pad)) + ((0, 0),) * (
        np.asarray(image).ndim - 2), mode="edge")
    shifted = Image.fromarray(padded[pad + dy:pad + dy + h, pad + dx:pad + dx + w])
    if rng.random() < 0.5:
        shifted = ImageOps.mirror(shifted)
    return ImageEnhance.Brightness(shifted).enhance(float(rng.uniform(0.8, 1.2)))


def embed_pairs(dataset: Dataset, model, rows: np.ndarray, *, random_state: int = 0,
                batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(original, augmented) embeddings (m, D) float32 of the usable images ``rows`` with the
    prepared ``model`` (:func:`compute.embed.prepare_model`), one seeded augmentation each."""
    import torch

    from compute.ingest import load_image

    rng = np.random.default_rng(random_state)
    usable = dataset.usable
    originals, views = [], []
    for i in rows:
        image = load_image(dataset, usable[int(i)])
        originals.append(model.preprocessing(image))
        views.append(model.preprocessing(augment_image(image, rng)))
    out = []
    with torch.no_grad():
        for stack in (originals, views):
            parts = [model.module(torch.from_numpy(np.stack(stack[s:s + batch_size])))
                     for s in range(0, len(stack), batch_size)]
            out.append(torch.cat(parts).float().numpy())
    return out[0], out[1]


def score_candidate(dataset: Dataset, candidate: Candidate, labels: Sequence[object] | None, *,
                    params: AnalysisParams, cache: StepCache | None = None,
                    sample: int = CONSISTENCY_SAMPLE, random_state: int = 0,
                    progress: ProgressFn | None = None) -> RepresentationScores:
    """Embed ``dataset`` with ``candidate`` (cached per image), analyse it with ``params``
    (metric "auto" resolved for the candidate: cosine for CNN features, Euclidean for
    pixels) and score it (see the module docstring). ``labels``: one per usable image (None /
    "" unknown) or None."""
    from compute.embed import embed_dataset, prepare_model
    from compute.evaluation.scores import labelled_mask, score_clustering
    from compute.options import backbone_is_cnn
    from compute.peaks.topography import analyse

    params = params.resolved(cnn_features=backbone_is_cnn(candidate.backbone))  # "auto"
    t0 = time.perf_counter()
    emb = embed_dataset(dataset, backbone=candidate.backbone, weights=candidate.weights,
                        input_size=candidate.input_size, cache=cache,
                        random_state=random_state, progress=scaled(progress, 0.0, 0.6))
    topo = analyse(emb.vectors, params, cache=cache, progress=scaled(progress, 0.6, 0.8))
    model = prepare_model(candidate.backbone, weights=candidate.weights,
                          input_size=candidate.input_size, random_state=random_state)
    n = len(dataset.usable)
    rows = np.sort(np.random.default_rng(random_state).choice(n, min(sample, n), replace=False))
    original, augmented = embed_pairs(dataset, model, rows, random_state=random_state)
    report(progress, 95, 100)
    clustering = topo.clustering
    found = {"nmi": None, "ami": None, "ari": None}
    if labels is not None and labelled_mask(labels).sum() >= 2:
        kept = _rows_kept(dataset, emb.ids)
        s = score_clustering(clustering.labels, np.asarray(labels, dtype=object)[kept])
        found = {"nmi": s.nmi, "ami": s.ami, "ari": s.ari}
    report(progress, 100, 100)
    return RepresentationScores(
        name=candidate.name, kind=candidate.kind, dim=int(emb.vectors.shape[1]),
        n_points=int(len(emb.vectors)), n_clusters=clustering.n_clusters,
        intrinsic_dim=float(topo.intrinsic_dim.dimension),
        significance=hierarchy_significance(clustering),
        consistency=neighbour_consistency(original, augmented,
                                          k=min(CONSISTENCY_K, len(rows) - 2),
                                          metric=params.metric),
        seconds=round(time.perf_counter() - t0, 1), **found)


def _rows_kept(dataset: Dataset, ids: Sequence[str]) -> np.ndarray:
    """Positions in ``dataset.usable`` of the embedded ids (files that broke have none)."""
    where = {r.id: i for i, r in enumerate(dataset.usable)}
    return np.array([where[i] for i in ids], dtype=np.int64)


def compare_representations(dataset: Dataset, candidates: Sequence[Candidate], *,
                            labels: Sequence[object] | None = None,
                            params: AnalysisParams | None = None,
                            cache: StepCache | None = None, sample: int = CONSISTENCY_SAMPLE,
                            random_state: int = 0,
                            progress: ProgressFn | None = None) -> Comparison:
    """Score every candidate on ``dataset`` (one :func:`score_candidate` each) and suggest
    one. A candidate that fails (weights that cannot be had, a damaged checkpoint) gets a
    row with its ``error`` instead of stopping the others."""
    from compute.evaluation.scores import labelled_mask

    if not candidates:
        raise ValueError("no representation to compare: give at least one candidate")
    params = AnalysisParams() if params is None else params
    if labels is None:
        labels = [r.label for r in dataset.usable]
    labels = None if not labelled_mask(labels).any() else labels
    rows = []
    for i, cand in enumerate(candidates):
        part = scaled(progress, i / len(candidates), (i + 1) / len(candidates))
        try:
            rows.append(score_candidate(dataset, cand, labels, params=params, cache=cache,
                                        sample=sample, random_state=random_state,
                                        progress=part))
        except (ValueError, FileNotFoundError, RuntimeError) as exc:
            log.warning("representation %s not scored: %s", cand.name, exc)
            rows.append(RepresentationScores(name=cand.name, kind=cand.kind, error=str(exc)))
    n_labelled = 0 if labels is None else int(labelled_mask(labels).sum())
    report(progress, 1, 1)
    return Comparison(rows=tuple(rows), params=params, n_labelled=n_labelled,
                      suggestion=suggest(rows, n_labelled=n_labelled))


def label_free_ranking(rows: Sequence[RepresentationScores]) -> list[float]:
    """Each row's mean rank (1 = best) over :data:`LABEL_FREE_RANKED` scores (higher is
    better for each); rows with an error get +inf."""
    from scipy.stats import rankdata

    ok = [i for i, r in enumerate(rows) if not r.error]
    mean = [float("inf")] * len(rows)
    if not ok:
        return mean
    ranks = [rankdata([-getattr(rows[i], s) for i in ok]) for s in LABEL_FREE_RANKED]
    for j, i in enumerate(ok):
        mean[i] = float(np.mean([r[j] for r in ranks]))
    return mean


def suggest(rows: Sequence[RepresentationScores], *, n_labelled: int) -> Suggestion | None:
    """The best row: highest NMI when at least :data:`MIN_LABELLED_TO_SUGGEST` images are
    labelled, else the best mean rank of the label-free scores; None if no row scored."""
    scored = [r for r in rows if not r.error]
    if not scored:
        return None
    if n_labelled >= MIN_LABELLED_TO_SUGGEST and all(r.nmi is not None for r in scored):
        best = max(scored, key=lambda r: r.nmi)
        return Suggestion(best.name, "nmi", f"highest NMI against the {n_labelled} known "
                          f"labels ({best.nmi:.3f})")
    ranks = label_free_ranking(rows)
    best = rows[int(np.argmin(ranks))]
    return Suggestion(best.name, "label-free",
                      f"best mean rank of hierarchy significance ({best.significance:.2f}) and "
                      f"neighbour consistency under augmentation ({best.consistency:.2f}); "
                      "no (or too few) known labels")


def rank_agreement(rows: Sequence[RepresentationScores]) -> dict[str, float | None]:
    """Spearman rank correlation of each label-free score (and their mean rank) with NMI
    over the rows that have both; None where fewer than three rows or a constant column."""
    ok = [r for r in rows if not r.error and r.nmi is not None]
    out: dict[str, float | None] = {}
    if len(ok) < 3:
        return {s: None for s in (*LABEL_FREE_RANKED, "intrinsic_dim", "mean_rank")}
    nmi = [r.nmi for r in ok]
    for s in (*LABEL_FREE_RANKED, "intrinsic_dim"):
        out[s] = _spearman([getattr(r, s) for r in ok], nmi)
    out["mean_rank"] = _spearman([-m for m in label_free_ranking(ok)], nmi)
    return out


def _spearman(a: Sequence[float | None], b: Sequence[float]) -> float | None:
    """Spearman's rho of a and b; None if a value is missing or a column is constant."""
    from scipy.stats import spearmanr

    if any(v is None for v in a) or len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return float(spearmanr(a, b).statistic)
