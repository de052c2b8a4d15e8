"""``python -m compute export --images DIR --names DB --out FILE.csv``: the labelled hierarchy.

Runs (or reads from the shared step cache) the same analysis as the dashboard for the
given choices, pairs the names in the names database with the clusters, and writes
FILE.csv (one row per image), FILE.tree.csv (one row per tree node) and FILE.json (the run
parameters and the names that lost their cluster).
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export"
HELP = "write the labelled-hierarchy CSV (images, clusters, names) of an image folder"
DEFAULT_NAMES = "data/names.sqlite"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_analysis_arguments(parser)
    parser.add_argument("--out", required=True, help="the per-image CSV to write (FILE.csv)")
    parser.add_argument("--min-jaccard", type=float, default=0.5,
                        help="member overlap a name needs to follow a changed cluster")
    parser.add_argument("--reference", help="an earlier export (FILE.csv): cluster only its "
                        "images, as then, and assign the images added since (marked "
                        "'assigned') instead of re-clustering")


def add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    """The analysis choices (shared with import-names): the dashboard's defaults."""
    from compute.commands.cluster import add_metric_argument
    from compute.commands.run import add_scale_arguments
    from compute.embed import BACKBONES
    from compute.pipeline import PipelineConfig

    defaults = PipelineConfig(images="")
    parser.add_argument("--images", required=True, help="image folder (scanned recursively)")
    parser.add_argument("--labels", help="CSV with 'path' or 'id' and 'label' columns")
    parser.add_argument("--backbone", default=defaults.backbone, choices=sorted(BACKBONES))
    parser.add_argument("--density", default=defaults.density, choices=("pak", "knn"))
    parser.add_argument("--k", type=int, default=defaults.k, help="k of the knn density")
    parser.add_argument("--maxk", type=int, default=defaults.maxk, help="kNN graph size")
    parser.add_argument("--z", type=float, default=defaults.z, help="ADP significance Z >= 1")
    parser.add_argument("--no-halo", action="store_true", help="do not mark halo points")
    add_metric_argument(parser)
    add_scale_arguments(parser)
    parser.add_argument("--cache-dir", default="data/cache",
                        help="step cache shared with the dashboard (default: data/cache)")
    parser.add_argument("--names", default=DEFAULT_NAMES,
                        help=f"names database (default: {DEFAULT_NAMES})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def pipeline_config_from_args(args: argparse.Namespace):
    from compute.commands.run import scale_options
    from compute.peaks import check_z
    from compute.pipeline import PipelineConfig

    check_z(args.z)
    return PipelineConfig(images=args.images, labels=args.labels, backbone=args.backbone,
                          density=args.density, k=args.k, maxk=args.maxk, z=args.z,
                          halo=not args.no_halo, metric=args.metric, **scale_options(args))


def labelled_run_from_args(args: argparse.Namespace):
    """The :class:`compute.naming.labelling.LabelledRun` for the command-line choices."""
    from compute.cache import StepCache
    from compute.naming.labelling import label_analysis
    from compute.pipeline import analyse_folder
    from compute.progress import terminal_bar

    config = pipeline_config_from_args(args)
    with terminal_bar("analysis", enabled=not args.no_progress) as bar:
        analysis = analyse_folder(config, cache_dir=args.cache_dir, progress=bar)
    return label_analysis(analysis, cache=StepCache(Path(args.cache_dir) / "steps"))


def reference_clustering_from_args(args: argparse.Namespace):
    """The clustering of ``--reference``'s images with the newer images assigned."""
    from compute.cache import StepCache
    from compute.naming.export import read_images_csv
    from compute.naming.labelling import label_with_reference
    from compute.pipeline import analyse_folder

    reference = Path(args.reference)
    if not reference.is_file():
        raise FileNotFoundError(f"reference export {reference} does not exist")
    config = pipeline_config_from_args(args)
    analysis = analyse_folder(config, cache_dir=args.cache_dir)
    return label_with_reference(analysis, read_images_csv(reference)["id"].tolist(),
                                cache=StepCache(Path(args.cache_dir) / "steps"))


def run(args: argparse.Namespace) -> int:
    from compute.naming import NameStore
    from compute.naming.export import write_export

    names = Path(args.names)
    if not names.is_file():
        raise FileNotFoundError(f"names database {names} does not exist: pass --names with "
                                "the dashboard's database (or name clusters first)")
    clustering = (labelled_run_from_args(args).clustering if not args.reference
                  else reference_clustering_from_args(args))
    match = clustering.match(NameStore(names).live(), min_jaccard=args.min_jaccard)
    files = write_export(args.out, clustering, match)
    print(f"{len(clustering.ids)} images ({int(clustering.assigned.sum())} assigned) in "
          f"{clustering.n_clusters} clusters, "
          f"{len(match.by_node)} named nodes, {len(match.lost)} names without a cluster; "
          f"written {files.images}, {files.tree.name}, {files.sidecar.name}")
    return 0
