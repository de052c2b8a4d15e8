"""Accuracy and speed of the scale reader (issue 8) on labelled synthetic SEM frames.

    python -m benchmarks.bench_scale                   # 400 frames with a data bar + 50 without
    python -m benchmarks.bench_scale --frames 100 --plain 20 --no-fields

Each frame goes through the product path, ``compute.scale.read_scale`` (data-bar
detection, scale-bar segment, Tesseract label and, unless --no-fields, the band's fields).
A frame is correct when the label is read exactly and nm/px is within 2 % of the truth.
Frames without a data bar must come back as ``no_data_bar``. Prints a Markdown report;
with --real it also runs the real micrographs in ../shared/data/sem-nanowires.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

from benchmarks.synthetic_sem import render_plain_frame, synthetic_set  # noqa: E402
from compute.scale import read_folder_scales, read_scale  # noqa: E402

REAL_IMAGES = REPO.parent / "shared" / "data" / "sem-nanowires"


def _pct(n: int, total: int) -> str:
    return f"{n}/{total} ({100.0 * n / total:.1f} %)" if total else "0/0"


def bench_frames(n: int, *, random_state: int, read_fields: bool) -> dict:
    frames = synthetic_set(n, random_state=random_state)
    times, cpu, statuses = [], [], Counter()
    label_ok = scale_ok = both = 0
    mag_total = mag_ok = 0
    by_style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confident = [0, 0]  # (correct, total) among confidence >= 0.5
    misreads = []
    for frame in frames:
        t0, c0 = time.perf_counter(), _cpu_seconds()
        reading = read_scale(frame.image, read_fields=read_fields)
        times.append(time.perf_counter() - t0)
        cpu.append(_cpu_seconds() - c0)
        truth = frame.truth
        statuses[reading.status] += 1
        good_label = reading.label == truth.label
        good_scale = (reading.nm_per_pixel is not None
                      and abs(reading.nm_per_pixel / truth.nm_per_pixel - 1.0) <= 0.02)
        label_ok += good_label
        scale_ok += good_scale
        both += good_label and good_scale
        for style in (f"font {Path(truth.font).stem}", f"tone {truth.tone}",
                      f"label {truth.label_place}", f"text {_size_bin(truth)}"):
            by_style[style][0] += good_label and good_scale
            by_style[style][1] += 1
        if reading.confidence >= 0.5:
            confident[0] += good_label and good_scale
            confident[1] += 1
        if reading.ok and not (good_label and good_scale):
            misreads.append((truth.drawn_label, reading.label, truth.font, truth.font_px))
        if read_fields and truth.printed_magnification is not None:
            mag_total += 1
            mag_ok += (reading.magnification is not None and
                       abs(reading.magnification / truth.printed_magnification - 1) < 1e-3)
    return {"n": n, "times": np.array(times), "cpu": np.array(cpu), "statuses": statuses,
            "label_ok": label_ok, "scale_ok": scale_ok, "both": both, "mag": (mag_ok, mag_total),
            "by_style": dict(by_style), "confident": confident, "misreads": misreads}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Tesseract runs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _size_bin(truth) -> str:
    px = truth.font_px * 1024 / truth.band[3]  # font size relative to a 1024-px frame
    return "small (<16 px per 1024)" if px < 16 else "normal (>=16 px per 1024)"


def bench_plain(n: int, *, random_state: int) -> tuple[Counter, np.ndarray]:
    rng = np.random.default_rng(random_state + 1)
    statuses, times = Counter(), []
    for _ in range(n):
        image = render_plain_frame(rng, width=int(rng.choice([768, 1024, 2048])))
        t0 = time.perf_counter()
        statuses[read_scale(image).status] += 1
        times.append(time.perf_counter() - t0)
    return statuses, np.array(times)


def report(result: dict, plain: tuple[Counter, np.ndarray], real: Counter | None,
           args: argparse.Namespace) -> str:
    n, t = result["n"], result["times"]
    lines = [
        f"- Command: `python -m benchmarks.bench_scale --frames {args.frames} "
        f"--plain {args.plain} --seed {args.seed}{' --no-fields' if args.no_fields else ''}"
        f"{' --real' if args.real else ''}`",
        f"- Machine: {args.machine}; Python {platform.python_version()}; "
        f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Frames with a data bar: {n} (random fonts, sizes, tones, label places, units)",
        f"- Label read exactly: {_pct(result['label_ok'], n)}",
        f"- nm/px within 2 %: {_pct(result['scale_ok'], n)}",
        f"- Both (a correct reading): {_pct(result['both'], n)}",
        f"- Wrong readings reported as ok: {len(result['misreads'])}",
        f"- Among readings with confidence >= 0.5: "
        f"{_pct(result['confident'][0], result['confident'][1])} correct",
        "- Statuses: " + ", ".join(f"{s} {c}" for s, c in result["statuses"].most_common()),
    ]
    if not args.no_fields:
        lines.append(f"- Magnification read (frames that print it): {_pct(*result['mag'])}")
    lines += [
        f"- Time per frame with a data bar: mean {t.mean():.3f} s, median "
        f"{np.median(t):.3f} s, 95th percentile {np.percentile(t, 95):.3f} s (wall clock); "
        f"CPU time (Python + Tesseract processes) mean {result['cpu'].mean():.3f} s",
        f"- Frames without a data bar: {sum(plain[0].values())}, statuses "
        + ", ".join(f"{s} {c}" for s, c in plain[0].most_common())
        + f"; {plain[1].mean() * 1000:.1f} ms per frame",
    ]
    if real is not None:
        lines.append(f"- Real micrographs ({REAL_IMAGES.name}): "
                     + ", ".join(f"{s} {c}" for s, c in real.most_common()))
    lines += ["", "| style | correct |", "|---|---|"]
    lines += [f"| {style} | {_pct(*counts)} |"
              for style, counts in sorted(result["by_style"].items())]
    if result["misreads"]:
        lines += ["", "Misreads (drawn label -> read, font, px): " + "; ".join(
            f"{d} -> {r} ({Path(f).stem}, {px})" for d, r, f, px in result["misreads"])]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--plain", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-fields", action="store_true", help="skip Mag/EHT/WD OCR")
    parser.add_argument("--real", action="store_true", help=f"also run {REAL_IMAGES}")
    parser.add_argument("--machine", default="2-core CPU, 24 GiB")
    args = parser.parse_args()
    result = bench_frames(args.frames, random_state=args.seed, read_fields=not args.no_fields)
    plain = bench_plain(args.plain, random_state=args.seed)
    real = None
    if args.real and REAL_IMAGES.is_dir():
        real = Counter(s.reading.status for s in read_folder_scales(REAL_IMAGES))
    print(report(result, plain, real, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
