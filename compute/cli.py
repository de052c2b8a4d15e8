"""The batch command line, ``python -m compute SUBCOMMAND ...``.

Each subcommand lives in its own module under :mod:`compute.commands` and exposes
``NAME`` (the subcommand), ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Modules are discovered at start-up, so adding a subcommand means
adding one file; ``--help`` lists exactly the modules that exist.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from types import ModuleType

import compute.commands


def _command_modules() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(compute.commands.__path__)
                   if not m.name.startswith("_"))
    return [importlib.import_module(f"compute.commands.{name}") for name in names]


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; given ``argv``, only the subcommand it names gets
    its options (their modules import heavy packages: a whole process stays fast). Without
    ``argv`` every subcommand gets them."""
    named = None if argv is None else _named_command(argv)
    parser = argparse.ArgumentParser(
        prog="python -m compute",
        description="Topograph batch processing: the same steps as the dashboard, "
                    "with progress bars, for a cluster node or a terminal.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for module in _command_modules():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        if named in (None, module.NAME):
            module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _named_command(argv: list[str]) -> str | None:
    """The subcommand ``argv`` names (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args._run(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        # Bad input: a clear one-line message, no traceback, non-zero exit.
        print(f"error: {exc}", file=sys.stderr)
        return 2
