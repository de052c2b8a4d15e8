"""What the representation panel's callbacks do, as plain functions (tests call them).

Training runs :func:`compute.train.library.train_into` on the server's image folder and
adds the checkpoint to the server's weights folder; the browser only ever sees the
checkpoint's *name*. The quality report runs
:func:`compute.evaluation.quality.quality_report` on the current analysis' embeddings
against the known labels.
"""

from __future__ import annotations

import time
from pathlib import PurePath

from dash import html, no_update

from compute.train import FOLDER_STRATEGIES
from compute.train.backbone import FEATURE_DIMS
from compute.train.library import TrainedWeights, list_trained, trained_path
from explorer.config import AppConfig
from explorer.jobs.progress import JobProgress
from explorer.state import BUILT_IN_WEIGHTS, View, config_for, load_analysis
from explorer.training.figures import distance_heatmap_figure

STRATEGY_LABELS = {"finetune": "fine-tune (needs labels)",
                   "triplet": "triplet loss (needs labels)",
                   "deepcluster": "DeepCluster (no labels)",
                   "simclr": "SimCLR (no labels)",
                   "adapt": "adapt ImageNet EfficientNet (no labels, minutes on a CPU)"}
START_LABELS = {"random": "random initialisation", "imagenet": "ImageNet (downloads once)"}
LIMITS = {"epochs": (1, 1000), "batch_size": (2, 4096), "input_size": (16, 1024)}
QUALITY_PER_CLASS = 50  # heatmap rows per class (500 x 500 px for ten classes)


def weights_menus(config: AppConfig, trained: str | None, current: str | None,
                  start: str | None) -> tuple[list[dict], str, list[dict], str]:
    """(Weights options, Weights value, Start options, Start value).

    Weights: the built-in weights, then the trained ones (newest first); Start: random,
    ImageNet, or weights trained here. A run that just finished becomes the chosen Weights;
    a choice whose file is gone falls back."""
    found = list_trained(config.weights_dir)
    options = [{"label": "built-in (ImageNet for a CNN, none for pixels)",
                "value": BUILT_IN_WEIGHTS},
               *({"label": w.label, "value": w.name} for w in found)]
    starts = [*({"label": v, "value": k} for k, v in START_LABELS.items()),
              *({"label": f"continue: {w.label}", "value": w.name} for w in found)]
    names = {o["value"] for o in options}
    value = trained if trained in names else current if current in names else BUILT_IN_WEIGHTS
    start_value = start if start in {o["value"] for o in starts} else "random"
    return options, value, starts, start_value


def backbone_of_weights(config: AppConfig, name: str | None):
    """The backbone trained weights were made for (so Compute embeds with the matching
    network); no_update for the built-in weights or an unknown name."""
    for weights in list_trained(config.weights_dir):
        if weights.name == name:
            return weights.metadata.backbone
    return no_update


def train_config(config: AppConfig, *, backbone: str, start: str, epochs, batch_size,
                 lr) -> object:
    """The :class:`compute.train.loop.TrainConfig` of the form's values (checked)."""
    from compute.train.loop import TrainConfig

    if backbone not in FEATURE_DIMS:
        raise ValueError(f"unknown backbone {backbone!r}: choose one of {sorted(FEATURE_DIMS)}")
    weights = start if start in START_LABELS else str(trained_path(config.weights_dir, start))
    return TrainConfig(backbone=backbone, weights=weights,
                       epochs=_whole("epochs", epochs), batch_size=_whole("batch_size", batch_size),
                       lr=_rate(lr), device=config.train_device)


def train_job(set_progress, config: AppConfig, *, strategy: str, backbone: str = "resnet18",
              start: str = "random", epochs=5, batch_size=64, input_size=None,
              lr=None) -> tuple[str, html.Div]:
    """Background job: train on the server's folder; return (weights name, result)."""
    from compute.torch_compat import check_device
    from compute.train.library import train_into

    if strategy not in FOLDER_STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: choose one of "
                         f"{list(FOLDER_STRATEGIES)}")
    size = None if input_size in (None, "") else _whole("input_size", input_size)
    check_device(config.train_device, option="--train-device")  # safe here: in the worker
    t0 = time.perf_counter()
    with JobProgress(set_progress) as progress:
        weights = train_into(config.weights_dir, config.images, config.labels,
                             strategy=strategy,
                             config=train_config(config, backbone=backbone, start=start,
                                                 epochs=epochs, batch_size=batch_size, lr=lr),
                             input_size=size, scan_cache=config.cache_dir / "scan",
                             step_cache=config.cache_dir / "steps", progress=progress)
    return weights.name, train_result(weights, seconds=time.perf_counter() - t0,
                                      device=config.train_device)


def train_result(weights: TrainedWeights, *, seconds: float, device: str = "cpu") -> html.Div:
    """The finished run: its name, time and one line of metrics per epoch."""
    meta = weights.metadata
    rows = [html.Tr([html.Td(str(h.get("epoch", i + 1))),
                     html.Td(", ".join(f"{k} {v:.4g}" for k, v in h.items()
                                       if k not in ("epoch", "lr_last")))])
            for i, h in enumerate(meta.history)]
    return html.Div(className="train-result", children=[
        html.P(f"Trained {weights.name} ({meta.strategy}, {meta.backbone} at "
               f"{meta.input_size} px, {meta.n_images} images) in {seconds:.0f} s on "
               f"{device}. It is now "
               "chosen under Weights: press Compute to embed with it."),
        html.Table(className="train-history", children=[
            html.Thead(html.Tr([html.Th("epoch"), html.Th("metrics")])), html.Tbody(rows)]),
    ])


def quality_job(set_progress, config: AppConfig, key: str | None,
                view: dict | None = None) -> tuple[html.Div, object]:
    """Background job: the representation-quality report of the analysis ``key`` at the
    page's cut ``view`` (its ADP scores are those of the Scores block); returns (summary,
    heatmap figure). ValueError without an analysis or known labels."""
    from compute.evaluation.quality import heatmap_rgb, quality_report

    if not key:
        raise ValueError("no analysis yet: press Compute first")
    chosen = config_for(config, key, View.of(view))
    analysis = load_analysis(config, key)
    labels = analysis.labels
    if not any(labels):
        raise ValueError("the quality report scores the embedding against known labels, and "
                         "this folder has none: restart the app with --labels CSV")
    with JobProgress(set_progress, first_stage="scoring against the known labels") as progress:
        rep = quality_report(analysis.vectors, labels, params=chosen.analysis,
                             per_class=QUALITY_PER_CLASS, topography=analysis.topography,
                             progress=progress)
    figure = distance_heatmap_figure(heatmap_rgb(rep.heatmap), rep.heatmap.classes,
                                     rep.heatmap.boundaries, pearson_r=rep.pearson_r)
    return quality_summary(rep, describe=f"{chosen.backbone}, weights {_weights_name(chosen)}, "
                                         f"{chosen.analysis.metric} distance"), figure


def quality_summary(rep, *, describe: str) -> html.Div:
    """r, the intrinsic dimension and one row of NMI/AMI/ARI per clustering method."""
    dim = f"; 2-NN intrinsic dimension {rep.intrinsic_dim:.1f}" if rep.intrinsic_dim else ""
    rows = [html.Tr([html.Td(c.method), html.Td(str(c.n_clusters)), html.Td(f"{c.scores.nmi:.3f}"),
                     html.Td(f"{c.scores.ami:.3f}"), html.Td(f"{c.scores.ari:.3f}"),
                     html.Td(f"{c.scores.n_scored} of {rep.n_labelled}")])
            for c in rep.clusters]
    return html.Div(className="quality-summary", children=[
        html.P(f"{describe}: {rep.n_points} images, {rep.n_labelled} labelled. Pearson r "
               f"between distances and the 0/1 label distance: {rep.pearson_r:.3f} (higher: "
               f"images of one class lie closer together){dim}."),
        html.Table(className="quality-scores", children=[
            html.Thead(html.Tr([html.Th(h) for h in ("method", "clusters", "NMI", "AMI",
                                                     "ARI", "images scored")])),
            html.Tbody(rows)]),
        html.P("k-means and agglomerative (told the number of classes) and HDBSCAN are "
               "references; ADP is the density-peak clustering of this page (its settings "
               "and Z). A method's halo or noise images are left out of its scores: "
               "'images scored' says how many of the labelled ones count.", className="hint"),
    ])


def _weights_name(chosen) -> str:
    return PurePath(chosen.weights).name


def _whole(field: str, value) -> int:
    low, high = LIMITS[field]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (number.is_integer() and low <= number <= high):
        raise ValueError(f"{field.replace('_', ' ')} must be a whole number from {low} to "
                         f"{high}; got {value!r}")
    return int(number)


def _rate(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = -1.0
    if not 0 < rate <= 10:
        raise ValueError(f"learning rate must be a number above 0 (e.g. 0.001), or empty for "
                         f"the strategy's default; got {value!r}")
    return rate


def compare_job(set_progress, config: AppConfig, key: str | None,
                view: dict | None = None) -> html.Div:
    """Background job: every available representation of the server's folder (pixels,
    ImageNet, each trained weights) scored with the page's analysis (its defaults before
    the first Compute); returns the table and the suggestion."""
    from compute.cache import StepCache
    from compute.evaluation.representations import compare_representations, library_candidates
    from compute.ingest import scan_folder
    from compute.params import AnalysisParams

    params = config_for(config, key, View.of(view)).analysis if key else AnalysisParams()
    dataset = scan_folder(config.images, labels_csv=config.labels,
                          cache_dir=config.cache_dir / "scan")
    with JobProgress(set_progress, first_stage="comparing representations") as progress:
        comparison = compare_representations(
            dataset, library_candidates(config.weights_dir), params=params,
            cache=StepCache(config.cache_dir / "steps"), progress=progress)
    return comparison_view(comparison)


def comparison_view(comparison) -> html.Div:
    """The comparison as a table (one row per representation) and the suggestion."""
    def cell(value) -> str:
        return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    columns = ("name", "n_clusters", "significance", "consistency", "intrinsic_dim", "nmi",
               "ami", "ari")
    heads = ("representation", "clusters", "significance", "consistency", "2-NN dim", "NMI",
             "AMI", "ARI")
    rows = [html.Tr([html.Td(row.name), html.Td(f"not scored: {row.error}",
                                               colSpan=len(columns) - 1)]) if row.error else
            html.Tr([html.Td(cell(getattr(row, c))) for c in columns],
                    className="suggested" if comparison.suggestion
                    and row.name == comparison.suggestion.name else None)
            for row in comparison.rows]
    s = comparison.suggestion
    advice = (f"Suggested: {s.name} ({s.reason}). Choose it in the Network and Weights "
              "menus, then press Compute." if s else "No representation could be scored.")
    return html.Div(className="compare-result", children=[
        html.P(advice, className="suggestion"),
        html.Table(className="compare-scores", children=[
            html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody(rows)]),
        html.P(f"Analysis: {comparison.params.describe()}; {comparison.n_labelled} images "
               "labelled. Significance: how far cluster peaks rise above their saddles, in "
               "error bars; consistency: share of nearest neighbours an image keeps after a "
               "small shift, flip and brightness change.", className="hint"),
    ])
