"""``python -m compute merge-shards OUT1 OUT2 ... --out OUT``: join ``embed --shard`` runs.

The merged folder has the same three files as one ``embed`` run; files are in path order
and duplicates across shards are found again (the first path keeps its row).
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "merge-shards"
HELP = "merge the output folders of 'embed --shard i/n' runs into one"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", nargs="+", help="output folders of the shard runs")
    parser.add_argument("--out", required=True, help="merged output folder")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from compute.embed.output import merge_outputs
    from compute.progress import terminal_bar

    with terminal_bar("merge", enabled=not args.no_progress) as bar:
        rows, files = merge_outputs(args.shards, args.out, progress=bar)
    print(f"merged {len(args.shards)} shards: {files} files, {rows} embedded rows; "
          f"written to {Path(args.out)}")
    return 0
