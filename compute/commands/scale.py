"""``python -m compute scale DIR --out FILE.csv``: the scale of every image in a folder."""

from __future__ import annotations

import argparse
from collections import Counter

from compute._parallel import usable_cores

NAME = "scale"
HELP = "read each image's scale (TIFF metadata or SEM data bar) into a CSV with scale groups"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", help="image folder (scanned recursively)")
    parser.add_argument("--out", required=True, help="CSV file to write (one row per image)")
    parser.add_argument("--no-fields", action="store_true",
                        help="read only the scale bar, not Mag/EHT/WD (one OCR call less)")
    parser.add_argument("--cache-dir", default="data/cache",
                        help="step cache shared with the dashboard (default: data/cache); "
                             "'none' disables it")
    parser.add_argument("--jobs", type=int, default=min(4, usable_cores()),
                        help="images read at once (default: CPU cores, at most 4)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from compute.cache import StepCache
    from compute.progress import terminal_bar
    from compute.scale import read_folder_scales
    from compute.scale.table import write_scales_csv

    cache = StepCache(None if args.cache_dir.lower() == "none" else args.cache_dir)
    with terminal_bar("scale", enabled=not args.no_progress) as bar:
        scales = read_folder_scales(args.images, read_fields=not args.no_fields, cache=cache,
                                    jobs=args.jobs, progress=bar)
    out = write_scales_csv(args.out, (({"path": item.path}, item.reading) for item in scales),
                           keys=("path",))
    counts = Counter(item.reading.status for item in scales)
    summary = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    print(f"{len(scales)} images: {summary or 'none'}; written to {out}")
    return 0
