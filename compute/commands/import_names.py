"""``python -m compute import-names FILE.csv --user NAME``: names from an export, saved.

Reads FILE.csv and FILE.tree.csv (an export of this or another Topograph), and saves every
named node into the names database with the user's name and this run's parameters in its
history: names with the same members are updated, others created.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compute.commands.export import DEFAULT_NAMES

NAME = "import-names"
HELP = "import the names of a labelled-hierarchy export into a names database"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("export", help="the per-image CSV of an export (FILE.csv)")
    parser.add_argument("--user", required=True, help="who imports (kept in the history)")
    parser.add_argument("--names", default=DEFAULT_NAMES,
                        help=f"names database (default: {DEFAULT_NAMES}; created if missing)")
    parser.add_argument("--run-json", help="the export's sidecar (default: FILE.json)")


def run(args: argparse.Namespace) -> int:
    import json

    from compute.naming import NameStore, RunInfo
    from compute.naming.export import export_paths, import_names, names_from_export

    sidecar = args.run_json or export_paths(args.export).sidecar
    try:
        run_params = json.loads(Path(sidecar).read_text(encoding="utf-8"))["run"]
        run_info = RunInfo(**run_params)
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the run parameters from {sidecar} ({exc}); pass "
                         "--run-json with the export's .json sidecar") from exc
    imported = names_from_export(args.export)
    summary = import_names(NameStore(args.names), imported, user=args.user, run=run_info)
    print(f"{len(imported)} names read: {summary.created} created, {summary.updated} updated, "
          f"{summary.unchanged} unchanged, in {args.names}")
    return 0
