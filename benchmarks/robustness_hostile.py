"""Hostile image folder through the real CLI (issue 9). One command reproduces the table:

    python -m benchmarks.robustness_hostile                  # 200 good files + the bad ones
    python -m benchmarks.robustness_hostile --good 200 --model resnet18 --weights random

It writes the folder of ``tests/hostile_folder.py`` (``--good`` plain good images, the
unusual good ones, ~40 bad files, duplicates, hidden files, symlink loops, a full-size
decompression bomb) in a temporary folder, runs ``python -m compute embed`` on it in a
child process that obeys file permissions even as root, and prints a markdown table:
files on disk, files listed, embedded, duplicates, refused by reason, wall time. It exits
1 if a good file was not embedded or a bad file lacks its expected reason.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from compute.ingest import read_manifest, reason_kind  # noqa: E402
from tests.hostile_folder import (  # noqa: E402
    HostileFolder,
    without_root_file_access,
    write_hostile_folder,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--good", type=int, default=200, help="plain good images (200)")
    parser.add_argument("--model", default="pixels", help="embed --model (default pixels)")
    parser.add_argument("--weights", default="auto", help="embed --weights (default auto)")
    parser.add_argument("--workers", type=int, default=1, help="embed --workers (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        start = time.perf_counter()
        folder = write_hostile_folder(work / "images", n_good=args.good)
        build_s = time.perf_counter() - start
        wall_s, output = _run_cli(folder, work / "out", args)
        records, rows = read_manifest(work / "out" / "manifest.csv")
        problems = _problems(folder, records, set(rows))
        print(_table(folder, records, rows, build_s, wall_s, args))
        for problem in problems:
            print(f"MISMATCH: {problem}")
        print(f"CLI said: {output.strip().splitlines()[-1]}")
        return 1 if problems else 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            (work / "images" / folder.unreadable).chmod(0o600)
            shutil.rmtree(work, ignore_errors=True)


def _run_cli(folder: HostileFolder, out: Path, args) -> tuple[float, str]:
    command = [sys.executable, "-m", "compute", "embed", str(folder.root), "--out", str(out),
               "--model", args.model, "--weights", args.weights, "--workers",
               str(args.workers), "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=3600,
                          preexec_fn=without_root_file_access())
    wall_s = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the CLI failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall_s, done.stdout


def _problems(folder: HostileFolder, records, embedded: set[str]) -> list[str]:
    by_path = {r.path: r for r in records}
    problems = [f"good file not embedded: {p!r}" for p in folder.good if p not in embedded]
    for path, fragment in folder.bad.items():
        error = by_path[path].error if path in by_path else None
        if path in embedded or not error or fragment not in error:
            problems.append(f"{path!r}: expected a reason with {fragment!r}, got {error!r}")
    problems += [f"{p!r} is not marked a duplicate of {o!r}" for p, o in
                 folder.duplicates.items() if p not in by_path
                 or by_path[p].duplicate_of != o]
    return problems


def _on_disk(root: Path) -> int:
    """Directory entries below ``root`` that are not directories (links included)."""
    return sum(len(files) + sum(os.path.islink(os.path.join(d, s)) for s in subdirs)
               for d, subdirs, files in os.walk(root))


def _table(folder: HostileFolder, records, rows, build_s: float, wall_s: float, args) -> str:
    refused = Counter(reason_kind(r.error) for r in records if r.error)
    duplicates = sum(r.duplicate_of is not None for r in records)
    lines = [
        f"Hostile folder, `python -m benchmarks.robustness_hostile --good {args.good} "
        f"--model {args.model}` ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"{os.cpu_count()} cores)", "",
        "| what | count |", "|---|---:|",
        f"| entries on disk (files and links, hidden included) | {_on_disk(folder.root)} |",
        f"| files listed in the manifest | {len(records)} |",
        f"| good files expected / embedded | {len(folder.good)} / {len(rows)} |",
        f"| bad files expected / refused | {len(folder.bad)} / {sum(refused.values())} |",
        f"| duplicates (not embedded again) | {duplicates} |",
    ]
    lines += [f"| refused: {kind} | {n} |" for kind, n in sorted(refused.items())]
    lines += [f"| build the folder (s) | {build_s:.1f} |",
              f"| `python -m compute embed` wall time (s) | {wall_s:.1f} |"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
