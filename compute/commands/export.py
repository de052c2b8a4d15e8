"""``python -m compute export --images DIR --out FILE.csv``: the labelled hierarchy.

Runs (or reads from the shared step cache) the same analysis as the dashboard for the
given choices (the flags and defaults of every command: :mod:`compute.options`), pairs
the names of the names database that belong to this folder's images with the clusters,
and writes FILE.csv (one row per image), FILE.tree.csv (one row per tree node) and
FILE.json (the analysis parameters and the names that lost their cluster). Without a
names database yet, the hierarchy is exported unnamed (nothing is created).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compute.options import add_analysis_arguments, add_folder_arguments, pipeline_config

NAME = "export"
HELP = "write the labelled-hierarchy CSV (images, clusters, names) of an image folder"
DEFAULT_NAMES = "data/names.sqlite"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser)
    parser.add_argument("--out", required=True, help="the per-image CSV to write (FILE.csv)")
    parser.add_argument("--min-jaccard", type=float, default=0.5,
                        help="member overlap a name needs to follow a changed cluster")
    parser.add_argument("--reference", help="an earlier export (FILE.csv): cluster only its "
                        "images, as then, and assign the images added since (marked "
                        "'assigned') instead of re-clustering")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The folder, the analysis and the names database (shared with import-names)."""
    add_folder_arguments(parser, positional=False)
    add_analysis_arguments(parser)
    parser.add_argument("--names", default=DEFAULT_NAMES,
                        help=f"names database (default: {DEFAULT_NAMES})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def analysis_from_args(args: argparse.Namespace):
    """The :class:`compute.pipeline.Analysis` of the command-line choices."""
    from compute.pipeline import analyse_folder
    from compute.progress import terminal_bar

    with terminal_bar("analysis", enabled=not args.no_progress) as bar:
        return analyse_folder(pipeline_config(args), cache_dir=args.cache_dir, progress=bar)


def reference_clustering(args: argparse.Namespace, analysis):
    """The clustering of ``--reference``'s images with the newer images assigned."""
    from compute.cache import StepCache
    from compute.naming.export import read_images_csv
    from compute.naming.labelling import label_with_reference

    return label_with_reference(analysis, read_images_csv(args.reference)["id"].tolist(),
                                cache=StepCache(Path(args.cache_dir) / "steps"))


def stored_names(path: str | Path, dataset_ids) -> list:
    """The live names of ``path`` that belong to the images ``dataset_ids`` (none when the
    database does not exist yet: it is not created)."""
    from compute.naming import NameStore

    path = Path(path)
    if not path.is_file():
        return []
    return NameStore(path).live(dataset_ids=dataset_ids)


def run(args: argparse.Namespace) -> int:
    from compute.commands.run import record_search
    from compute.naming.export import write_export
    from compute.naming.labelling import label_analysis

    if args.reference and not Path(args.reference).is_file():  # before the long analysis
        raise FileNotFoundError(f"reference export {args.reference} does not exist")
    analysis = analysis_from_args(args)
    clustering = (reference_clustering(args, analysis) if args.reference
                  else label_analysis(analysis).clustering)
    names = stored_names(args.names, clustering.ids)
    match = clustering.match(names, min_jaccard=args.min_jaccard)
    files = write_export(args.out, clustering, match)
    record_search(files.sidecar, analysis.topography.neighbour_search)
    print(f"{len(clustering.ids)} images ({int(clustering.assigned.sum())} assigned) in "
          f"{clustering.n_clusters} clusters ({analysis.params.describe()}), "
          f"{len(match.by_node)} named nodes, {len(match.lost)} names without a cluster; "
          f"written {files.images}, {files.tree.name}, {files.sidecar.name}")
    return 0
