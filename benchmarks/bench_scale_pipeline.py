"""What the pipeline's scale step costs: cold (no cache), warm (cache), and against the scan.

    python -m benchmarks.bench_scale_pipeline --folder data/demo/images --synthetic 40

For each folder: the scan (its own cache off), then :func:`compute.pipeline.read_scales`
(the product step: TIFF metadata, data bars found by the scan read by OCR, SCALE_JOBS
threads) with an empty step cache, then again with that cache. ``--synthetic N`` also
writes N synthetic SEM frames with data bars (labels 200 nm, 1 um, 2 um, 10 um in turn,
768 px wide, benchmarks/synthetic_sem.py) plus N/4 plain frames into a temporary folder.
Wall seconds and this process's CPU seconds (Tesseract runs in child processes: their CPU
is in the "children" column).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from benchmarks.synthetic_sem import write_sem_folder  # noqa: E402
from compute.cache import StepCache  # noqa: E402
from compute.ingest import scan_folder  # noqa: E402
from compute.pipeline import SCALE_JOBS, read_scales  # noqa: E402

SYNTHETIC_LABELS = {"200nm": 200.0, "1um": 1000.0, "2um": 2000.0, "10um": 10_000.0}


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def measure(fn):
    """(value, wall s, own CPU s, children CPU s) of ``fn()``."""
    wall, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
    value = fn()
    return (value, time.perf_counter() - wall, time.process_time() - cpu,
            _children_cpu() - kids)


def bench_folder(folder: Path, work: Path) -> None:
    dataset, scan_s, scan_cpu, _ = measure(lambda: scan_folder(folder))
    n = len(dataset.usable)
    cache = StepCache(work / "steps")
    rows = [("scan (no cache)", scan_s, scan_cpu, 0.0)]
    for name in ("scales, cold cache", "scales, warm cache"):
        readings, wall, cpu, kids = measure(lambda: read_scales(dataset, cache=cache))
        rows.append((name, wall, cpu, kids))
    statuses = Counter(r.status for r in readings.values())
    groups = Counter(r.group_or_reason for r in readings.values())
    print(f"\n{folder}: {n} usable images, {sum(r.crop_box is not None for r in dataset.usable)}"
          f" with a data bar; statuses {dict(statuses)}; groups {dict(groups)}")
    print("| step | wall s | wall ms/image | CPU s (this process) | CPU s (Tesseract) |")
    print("|---|---|---|---|---|")
    for name, wall, cpu, kids in rows:
        print(f"| {name} | {wall:.2f} | {1000 * wall / max(n, 1):.1f} | {cpu:.2f} | {kids:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", action="append", default=[],
                        help="image folder to measure (repeatable)")
    parser.add_argument("--synthetic", type=int, default=0,
                        help="also measure N synthetic SEM frames (+ N/4 without a bar)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, SCALE_JOBS={SCALE_JOBS},"
          f" load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(f) for f in args.folder]
        if args.synthetic:
            sem = Path(tmp) / "sem"
            per_label = -(-args.synthetic // len(SYNTHETIC_LABELS))
            write_sem_folder(sem, SYNTHETIC_LABELS, per_label=per_label,
                             plain=args.synthetic // 4, random_state=args.seed)
            folders.append(sem)
        for i, folder in enumerate(folders):
            bench_folder(folder, Path(tmp) / f"work{i}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
