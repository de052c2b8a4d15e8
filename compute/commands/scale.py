"""``python -m compute scale DIR --out FILE.csv``: the scale of every image in a folder."""

from __future__ import annotations

import argparse
import csv
import os
from collections import Counter
from pathlib import Path

from compute.spreadsheet import neutralise

NAME = "scale"
HELP = "read each image's scale (TIFF metadata or SEM data bar) into a CSV with scale groups"
COLUMNS = ("path", "status", "source", "label", "label_nm", "bar_px", "nm_per_pixel",
           "magnification", "eht_kv", "wd_mm", "confidence", "group", "message")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", help="image folder (scanned recursively)")
    parser.add_argument("--out", required=True, help="CSV file to write (one row per image)")
    parser.add_argument("--no-fields", action="store_true",
                        help="read only the scale bar, not Mag/EHT/WD (one OCR call less)")
    parser.add_argument("--cache-dir", default="data/cache",
                        help="step cache shared with the dashboard (default: data/cache); "
                             "'none' disables it")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="images read at once (default: CPU cores, at most 4)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return neutralise(value) if isinstance(value, str) else str(value)


def run(args: argparse.Namespace) -> int:
    from compute.cache import StepCache
    from compute.progress import terminal_bar
    from compute.scale import read_folder_scales

    cache = StepCache(None if args.cache_dir.lower() == "none" else args.cache_dir)
    with terminal_bar("scale", enabled=not args.no_progress) as bar:
        scales = read_folder_scales(args.images, read_fields=not args.no_fields, cache=cache,
                                    jobs=args.jobs, progress=bar)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for item in scales:
            r = item.reading
            writer.writerow([_cell(v) for v in (
                item.path, r.status, r.source, r.label, r.label_nm, r.bar_px, r.nm_per_pixel,
                r.magnification, r.eht_kv, r.wd_mm, r.confidence, r.group, r.message)])
    counts = Counter(item.reading.status for item in scales)
    summary = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    print(f"{len(scales)} images: {summary or 'none'}; written to {out}")
    return 0
