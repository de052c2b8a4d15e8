"""Command-line options shared by ``app.py`` and the ``python -m compute`` subcommands.

Every analysis flag takes its default from :class:`compute.params.AnalysisParams` (the one
place defaults live), so the dashboard and every command run the same analysis unless
told otherwise; :func:`analysis_params` turns the flags back into one parameter object.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compute.params import (
    CUT_RULES,
    DEFAULT_K,
    DENSITIES,
    HALO_RULES,
    KNN_METHODS,
    METRIC_CHOICES,
    SMALL_FOLDER_K,
    SPACES,
    AnalysisParams,
)

DEFAULT_CACHE = "data/cache"


def add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """--metric --maxk --density --k --knn --space --manifold-dim-cap --manifold-neighbors
    --cut-rule --collapse-copies --z --halo/--no-halo --halo-rule, defaults from
    :class:`AnalysisParams`."""
    from compute.graph.knn import AUTO_EXACT_BELOW

    d = AnalysisParams()
    group = parser.add_argument_group("analysis (the same defaults in every command and the "
                                      "dashboard)")
    group.add_argument("--metric", choices=METRIC_CHOICES, default=d.metric,
                       help=f"distance between embeddings (default {d.metric}: cosine for CNN "
                            "features, euclidean for pixels); cosine L2-normalises the rows "
                            "first")
    group.add_argument("--maxk", type=int, default=d.maxk,
                       help=f"neighbours per image in the kNN graph (default {d.maxk})")
    group.add_argument("--density", choices=DENSITIES, default=d.density,
                       help=f"pak (adaptive k*) or knn (fixed --k) (default {d.density})")
    group.add_argument("--k", type=int, default=d.k,
                       help=f"k of the knn density (default {DEFAULT_K}, at most --maxk and "
                            f"a tenth of the images, at least {SMALL_FOLDER_K})")
    group.add_argument("--knn", dest="knn_method", choices=KNN_METHODS, default=d.knn_method,
                       help=f"neighbour search (default {d.knn_method}): auto is exact below "
                            f"{AUTO_EXACT_BELOW} images and an inverted file (ivf) above (its "
                            "recall measured on a sample and recorded); exact, ivf or hnsw "
                            "force one")
    group.add_argument("--space", choices=SPACES, default=d.space,
                       help=f"where the density peaks are found (default {d.space}): umap = "
                            "a low-dimensional UMAP manifold built from the kNN graph, full = "
                            "the embedding itself")
    group.add_argument("--manifold-dim-cap", type=int, default=d.manifold_dim_cap,
                       help="largest dimension of the UMAP manifold (its dimension is the "
                            f"intrinsic dimension, capped; default {d.manifold_dim_cap})")
    group.add_argument("--manifold-neighbors", type=int, default=d.manifold_neighbors,
                       help=f"UMAP's n_neighbors for the manifold (default "
                            f"{d.manifold_neighbors})")
    group.add_argument("--manifold-min-dist", type=float, default=d.manifold_min_dist,
                       help=f"UMAP's min_dist for the manifold, 0-1 (default "
                            f"{d.manifold_min_dist:g})")
    group.add_argument("--cut-rule", choices=CUT_RULES, default=d.cut_rule,
                       help=f"how the suggested Z is chosen without labels (default "
                            f"{d.cut_rule})")
    group.add_argument("--collapse-copies", action=argparse.BooleanOptionalAction,
                       default=d.collapse_copies,
                       help="count near-duplicate copies (shifted crops, re-saved copies of "
                            "one picture) once: each group's images share one cluster "
                            f"(default {'on' if d.collapse_copies else 'off'})")
    group.add_argument("--z", type=float, default=d.z,
                       help="ADP merge significance Z (default: the suggested cut)")
    group.add_argument("--halo", action=argparse.BooleanOptionalAction, default=d.halo,
                       help=f"mark uncertain members as halo (default "
                            f"{'on' if d.halo else 'off'})")
    group.add_argument("--halo-rule", choices=HALO_RULES, default=d.halo_rule,
                       help=f"border: only members near another cluster and below its "
                            f"saddle; dadapy: every member below its cluster's highest "
                            f"saddle (default {d.halo_rule})")


def analysis_params(args: argparse.Namespace) -> AnalysisParams:
    """The :class:`AnalysisParams` of the flags of :func:`add_analysis_arguments` (metric
    "auto" left for the embedding's reader to resolve)."""
    from dataclasses import fields

    return AnalysisParams(**{f.name: getattr(args, f.name) for f in fields(AnalysisParams)})


def embedding_is_cnn(embeddings_path: str | Path) -> bool | None:
    """Whether the .npy at ``embeddings_path`` holds CNN features, read from the
    ``embedding.json`` beside it (written by ``embed``/``run``); None when nothing says."""
    import json

    meta = Path(embeddings_path).with_name("embedding.json")
    try:
        backbone = json.loads(meta.read_text(encoding="utf-8")).get("backbone")
    except (OSError, ValueError, AttributeError):
        return None
    return backbone_is_cnn(backbone)


def backbone_is_cnn(backbone: str | None) -> bool | None:
    """True for a CNN backbone name (and "auto"), False for pixels, None for an unknown
    name (:func:`compute.embed.representation_kind`)."""
    from compute.embed import representation_kind

    try:
        return representation_kind(backbone or "") == "cnn"
    except ValueError:
        return None


def add_scale_arguments(parser: argparse.ArgumentParser) -> None:
    """--scale-group and --no-scale (the commands that run the pipeline, and app.py)."""
    parser.add_argument("--scale-group", metavar="GROUP",
                        help="analyse only the images in this scale group, e.g. 1-2um, "
                             "200nm, 10um (read from TIFF metadata or the SEM data bar; "
                             "see 'python -m compute scale')")
    parser.add_argument("--no-scale", action="store_true",
                        help="do not read scale bars (saves the OCR time on SEM frames)")


def scale_options(args: argparse.Namespace) -> dict:
    """The PipelineConfig fields of --scale-group / --no-scale (the group name checked)."""
    from compute.scale import canonical_group

    if args.scale_group is not None and args.no_scale:
        raise ValueError("--scale-group needs the scale readings: drop --no-scale")
    group = canonical_group(args.scale_group) if args.scale_group is not None else None
    return {"scales": not args.no_scale, "scale_group": group}


def add_folder_arguments(parser: argparse.ArgumentParser, *, positional: bool) -> None:
    """The image folder and its representation: IMAGES (or --images), --labels, --backbone,
    --weights, the scale options and --cache-dir."""
    from compute.embed import BACKBONE_CHOICES
    from compute.pipeline import PipelineConfig

    d = PipelineConfig(images="")
    if positional:
        parser.add_argument("images", help="image folder (scanned recursively)")
    else:
        parser.add_argument("--images", required=True, help="image folder (scanned recursively)")
    parser.add_argument("--labels", help="CSV with 'path' or 'id' and 'label' columns")
    parser.add_argument("--backbone", default=d.backbone, choices=BACKBONE_CHOICES,
                        help=f"representation (default {d.backbone}: ResNet-50 where its "
                             "ImageNet weights are in the torch cache, else EfficientNet-Lite0 "
                             "with ImageNet weights; 'pixels' for the raw 28x28 baseline)")
    parser.add_argument("--weights", default=d.weights,
                        help="auto, imagenet, random or a .pth file (see 'embed --help')")
    add_scale_arguments(parser)
    parser.add_argument("--cache-dir", default=DEFAULT_CACHE,
                        help=f"step cache shared with the dashboard (default: {DEFAULT_CACHE})")


def pipeline_config(args: argparse.Namespace, **more):
    """The :class:`compute.pipeline.PipelineConfig` of :func:`add_folder_arguments` and
    :func:`add_analysis_arguments` (``more``: e.g. the projection)."""
    from compute.pipeline import PipelineConfig

    return PipelineConfig(images=args.images, labels=args.labels, backbone=args.backbone,
                          weights=args.weights, **scale_options(args),
                          analysis=analysis_params(args), **more)
