"""The scale reader on real SEM frames, and on held-out frames made from them (issue 18).

    python -m benchmarks.bench_scale_real                  # the 14 real frames + variants
    python -m benchmarks.bench_scale_real --no-variants    # the 14 real frames only

Part 1 runs ``python -m compute scale``'s reader (:func:`compute.scale.read_scale_file`,
every metadata source and the data bar, cross-checked) on ``../shared/data/sem-databar``
and compares nm/px with ``catalog.csv`` (hand-measured bars).

Part 2 guards against rules fitted to those 14 files: it derives frames the reader has
never seen, each with a known nm/px, and saves them as PNG (no metadata: the data bar
alone must give the scale):

- the real frames resized (nearest neighbour, as an instrument renders its bar at another
  store resolution: 0.75x, 1.5x; bilinear 0.8x as a harder case), truth nm/px / factor;
- picture rows below a stripe or box removed, or added (the panel then floats);
- colours inverted (a white stripe becomes black, white ticks black);
- the XL30 box moved to another place in the frame;
- JPEG at quality 70;
- the Zeiss/LEO bar recoloured grey-green on white (low contrast, RGB);
- a JEOL-style black stripe with monospace text ("x2,000  10um  ____") drawn under a
  real picture, bar lengths chosen at random;
- a Hitachi-style overlay (tick row, label, fields in white over the picture) drawn on a
  real picture at other sizes;
- a white stripe with a subdivided ruler bar, and a dark stripe with Hitachi S-4800's
  10-division tick ruler, under a real picture.

A frame is right when nm/px is within 3 % of the truth; "wrong, ok" counts frames whose
status is ok with nm/px off by more than 3 % (the outcome that must not happen).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from compute.scale import read_scale_file
from compute.scale.databar import detect_data_bar

REPO = Path(__file__).resolve().parents[1]

DATA = REPO.parent / "shared" / "data" / "sem-databar"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TOLERANCE = 0.03


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def catalog() -> list[dict]:
    with (DATA / "catalog.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def style_of(row: dict) -> str:
    return {"Zeiss": "Zeiss black stripe (TIFF 34118)",
            "Zeiss/LEO": "Zeiss/LEO white stripe (PNG)",
            "FEI/Philips XL30": "Philips XL30 box in frame (TIFF 34680)",
            "Hitachi": "Hitachi SU overlay, tick row (JPEG)"}[row["maker"]]


def read(path: Path) -> tuple[object, float]:
    c0 = _cpu()
    reading = read_scale_file(path)
    return reading, _cpu() - c0


def judge(reading, truth: float) -> str:
    if reading.ok and reading.nm_per_pixel is not None:
        return "right" if abs(reading.nm_per_pixel / truth - 1) <= TOLERANCE else "wrong_ok"
    return "conflict" if reading.status == "conflict" else "no_scale"


def real_frames() -> list[tuple[str, str, Path, float]]:
    return [(style_of(r), r["file"], DATA / "images" / r["file"], float(r["nm_per_pixel"]))
            for r in catalog()]


# ------------------------------------------------------------------ held-out frames


def _gray(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"))


def _resized(image: np.ndarray, factor: float, resample) -> np.ndarray:
    h, w = image.shape
    size = (round(w * factor), round(h * factor))
    return np.asarray(Image.fromarray(image).resize(size, resample))


def variants(rng: np.random.Generator) -> list[tuple[str, str, np.ndarray, float]]:
    """(style, name, image, truth nm/px) of every held-out frame."""
    rows = {r["file"]: r for r in catalog()}
    out: list[tuple[str, str, np.ndarray, float]] = []
    picks = {"zeiss": "sample.02_img20.tif", "leo": "Dot_Analyzer_Fig1.png",
             "xl30": "R5 K3Me3 SiO2_3-3.TIF", "xl30b": "R5 K3K4Me3 SiO2_2-2.TIF",
             "hitachi": "K1.jpg"}
    for key, name in picks.items():
        image, truth = _gray(DATA / "images" / name), float(rows[name]["nm_per_pixel"])
        for factor, resample, how in ((0.75, Image.Resampling.NEAREST, "nearest"),
                                      (1.5, Image.Resampling.NEAREST, "nearest"),
                                      (0.8, Image.Resampling.BILINEAR, "bilinear")):
            out.append((f"resized ({how})", f"{key} x{factor}",
                        _resized(image, factor, resample), truth / factor))
        out.append(("inverted colours", f"{key} inverted", 255 - image, truth))
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="JPEG", quality=70)
        out.append(("JPEG q70", f"{key} jpeg", np.asarray(Image.open(buf).convert("L")), truth))
    for key in ("zeiss", "leo", "xl30"):
        name = picks[key]
        image, truth = _gray(DATA / "images" / name), float(rows[name]["nm_per_pixel"])
        bar = detect_data_bar(image)
        if bar is not None and bar.bottom < image.shape[0]:
            out.append(("picture rows below removed", f"{key} cropped",
                        image[:bar.bottom + (1 if key == "leo" else 0)], truth))
        extra = image[:40][::-1]
        out.append(("picture rows added below", f"{key} rows below",
                    np.vstack([image, extra]), truth))
    xl30, truth = _gray(DATA / "images" / picks["xl30"]), float(rows[picks["xl30"]]["nm_per_pixel"])
    bar = detect_data_bar(xl30)
    if bar is not None:
        box = xl30[bar.top:bar.bottom, bar.left:bar.right].copy()
        moved = xl30.copy()
        moved[bar.top:bar.bottom, bar.left:bar.right] = xl30[bar.top - 60:bar.bottom - 60,
                                                             bar.left:bar.right]
        top, left = bar.top - 30, 70
        moved[top:top + box.shape[0], left:left + box.shape[1]] = box
        out.append(("XL30 box moved", "xl30 moved", moved, truth))
    out.append(_green_bar(rows))
    out.extend(_jeol_frames(rng))
    out.extend(_hitachi_frames(rng))
    out.extend(_stripe_frames(rng))
    return out


def _green_bar(rows) -> tuple[str, str, np.ndarray, float]:
    """The LEO frame with its black bar and ticks recoloured grey-green (RGB)."""
    name = "Dot_Analyzer_Fig1.png"
    rgb = np.asarray(Image.open(DATA / "images" / name).convert("RGB")).copy()
    region = rgb[725:740, 205:258]
    dark = region.sum(axis=2) < 100
    region[dark] = (120, 150, 110)
    return ("grey-green bar (RGB)", "leo green bar", rgb, float(rows[name]["nm_per_pixel"]))


def _picture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    source = _gray(DATA / "images" / "sample.02_img20.tif")[:1360]
    top = int(rng.integers(0, source.shape[0] - 600))
    left = int(rng.integers(0, source.shape[1] - 800))
    crop = Image.fromarray(source[top:top + 600, left:left + 800])
    return np.asarray(crop.resize((width, height), Image.Resampling.BILINEAR))


def _nice_length(rng: np.random.Generator, nm_per_px: float, width: int) -> float:
    choices = [m * 10.0 ** e for e in range(0, 6) for m in (1, 2, 5)
               if 0.08 * width <= m * 10.0 ** e / nm_per_px <= 0.3 * width]
    return float(rng.choice(choices))


def _label(nm: float) -> str:
    return f"{nm / 1000:g}\u00b5m" if nm >= 1000 else f"{nm:g}nm"


def _jeol_frames(rng: np.random.Generator, n: int = 6) -> list:
    """JEOL layout: a black stripe under the picture, monospace text, x-magnification,
    the label left of a plain bar on one line."""
    out = []
    for i in range(n):
        width = int(rng.choice([1280, 1024, 640]))
        pic_h = width * 3 // 4
        stripe = max(24, width // 20)
        nm_per_px = float(10 ** rng.uniform(0.3, 2.3))
        length_nm = _nice_length(rng, nm_per_px, width)
        bar_px = round(length_nm / nm_per_px)
        truth = length_nm / bar_px
        mag = 120e6 / (truth * width)  # JEOL's 120 mm reference width
        frame = Image.new("L", (width, pic_h + stripe), 0)
        frame.paste(Image.fromarray(_picture(rng, width, pic_h)), (0, 0))
        draw = ImageDraw.Draw(frame)
        font = ImageFont.truetype(MONO, max(10, int(stripe * 0.55)))
        y = pic_h + stripe // 2
        text = f"SEI   15kV   WD10mm   SS40   x{mag:,.0f}"
        draw.text((width // 40, y), text, fill=255, font=font, anchor="lm")
        x = width // 40 + int(draw.textlength(text + "   ", font=font))
        label = _label(length_nm)
        draw.text((x, y), label, fill=255, font=font, anchor="lm")
        x += int(draw.textlength(label + " ", font=font))
        draw.rectangle((x, y - 1, x + bar_px - 1, y + 1), fill=255)
        draw.text((x + bar_px + width // 30, y), "0000   NIMS", fill=255, font=font, anchor="lm")
        out.append(("JEOL black stripe, monospace (drawn)", f"jeol {i}", np.asarray(frame),
                    truth))
    return out


def _hitachi_frames(rng: np.random.Generator, n: int = 6) -> list:
    """Hitachi SU layout: text and a row of ticks in white over the picture's bottom."""
    out = []
    for i in range(n):
        width = int(rng.choice([1280, 2560, 640]))
        height = width * 3 // 4
        nm_per_px = float(10 ** rng.uniform(0.3, 2.3))
        length_nm = _nice_length(rng, nm_per_px, width)
        divisions = 10
        step = length_nm / nm_per_px / divisions
        step_px = max(4, round(step))
        truth = length_nm / (step_px * divisions)
        mag = 127e6 / (truth * width)
        frame = Image.fromarray(_picture(rng, width, height))
        draw = ImageDraw.Draw(frame)
        scale = width / 1280
        font = ImageFont.truetype(SANS, max(10, round(28 * scale)))
        tick_w, tick_h = max(2, round(4 * scale)), max(5, round(12 * scale))
        x0 = width - round(30 * scale) - divisions * step_px
        y0 = height - round(64 * scale)
        for k in range(divisions + 1):
            x = x0 + k * step_px
            draw.rectangle((x - tick_w // 2, y0, x - tick_w // 2 + tick_w - 1,
                            y0 + tick_h - 1), fill=255)
        label = f"{length_nm / 1000:.2f}\u00b5m" if length_nm >= 1000 else f"{length_nm:.0f}nm"
        draw.text((x0 + divisions * step_px, height - round(8 * scale)), label, fill=255,
                  font=font, anchor="rd")
        mag_text = f"x{mag / 1000:.2f}k" if mag >= 1000 else f"x{mag:.0f}"
        draw.text((round(10 * scale), height - round(8 * scale)),
                  f"SU8230 5.0kV 8.0mm {mag_text} SE(UL)", fill=255, font=font, anchor="ld")
        out.append(("Hitachi SU overlay, tick row (drawn)", f"hitachi {i}", np.asarray(frame),
                    truth))
    return out


def _stripe_frames(rng: np.random.Generator, n: int = 4) -> list:
    """Two more layouts in a stripe under a real picture: a white stripe with a black
    subdivided ruler bar (5 divisions, alternate ones filled) and its label above; a dark
    stripe with Hitachi S-4800's 10-division tick ruler and the label under it."""
    out = []
    for i in range(2 * n):
        ruler = i < n
        width = int(rng.choice([1024, 1280, 2048]))
        pic_h, stripe = width * 3 // 4, width // 14
        nm_per_px = float(10 ** rng.uniform(0.3, 2.3))
        length_nm = _nice_length(rng, nm_per_px, width)
        step = max(4, round(length_nm / nm_per_px / (5 if ruler else 10)))
        bar_px = step * (5 if ruler else 10)
        truth = length_nm / bar_px
        bg, ink = (255, 0) if ruler else (0, 255)
        frame = Image.new("L", (width, pic_h + stripe), bg)
        frame.paste(Image.fromarray(_picture(rng, width, pic_h)), (0, 0))
        draw = ImageDraw.Draw(frame)
        font = ImageFont.truetype(SANS, max(10, stripe // 4))
        x0, y = width // 2, pic_h + stripe // 2
        if ruler:
            h = max(6, stripe // 8)
            draw.rectangle((x0, y, x0 + bar_px, y + h), outline=ink)
            for k in range(0, 5, 2):
                draw.rectangle((x0 + k * step, y, x0 + (k + 1) * step, y + h), fill=ink)
            draw.text((x0 + bar_px // 2, y - 4), _label(length_nm), fill=ink, font=font,
                      anchor="md")
            draw.text((width // 30, y), "HV 10.0 kV   WD 9.5 mm", fill=ink, font=font,
                      anchor="lm")
            style = "white stripe, subdivided ruler bar (drawn)"
        else:
            th = max(5, stripe // 6)
            for k in range(11):
                x = x0 + k * step
                draw.rectangle((x - 1, y - th, x + 1, y), fill=ink)
            label = f"{length_nm / 1000:.2f}\u00b5m" if length_nm >= 1000 else f"{length_nm:.0f}nm"
            draw.text((x0 + bar_px, y + 4), label, fill=ink, font=font, anchor="ra")
            draw.text((width // 30, y), "S-4800 5.0kV 8.0mm SE(U)", fill=ink, font=font,
                      anchor="lm")
            style = "Hitachi S-4800 dark stripe, tick ruler (drawn)"
        out.append((style, f"stripe {i}", np.asarray(frame), truth))
    return out


# ------------------------------------------------------------------------- report


def run(frames, folder: Path) -> dict:
    table: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    wrong = []
    cpu = defaultdict(list)
    for style, name, source, truth in frames:
        if isinstance(source, Path):
            path = source
        else:
            path = folder / f"{name.replace(' ', '_')}.png"
            Image.fromarray(source).save(path)
        reading, seconds = read(path)
        verdict = judge(reading, truth)
        table[style][verdict] += 1
        table[style]["frames"] += 1
        cpu[style].append(seconds)
        if verdict != "right":
            wrong.append((style, name, verdict, reading.status, reading.nm_per_pixel, truth,
                          reading.label, reading.bar_px, reading.message))
    return {"table": table, "wrong": wrong, "cpu": cpu}


def report(title: str, result: dict) -> list[str]:
    lines = [f"**{title}**", "", "| maker / style | frames | within 3 % | wrong but ok | "
             "conflict | no scale | CPU s/frame |", "|---|---|---|---|---|---|---|"]
    totals = defaultdict(int)
    for style, row in sorted(result["table"].items()):
        lines.append(f"| {style} | {row['frames']} | {row['right']} | {row['wrong_ok']} | "
                     f"{row['conflict']} | {row['no_scale']} | "
                     f"{np.mean(result['cpu'][style]):.2f} |")
        for key in ("frames", "right", "wrong_ok", "conflict", "no_scale"):
            totals[key] += row[key]
    all_cpu = [s for v in result["cpu"].values() for s in v]
    lines.append(f"| **all** | {totals['frames']} | {totals['right']} | {totals['wrong_ok']} | "
                 f"{totals['conflict']} | {totals['no_scale']} | {np.mean(all_cpu):.2f} |")
    if result["wrong"]:
        lines += ["", "Not right: " + "; ".join(
            f"{name}: {status}" + (f" {nm:.4g} vs {truth:.4g}" if nm else "")
            + (f" (label {label}, bar {bar})" if label or bar else "")
            for _, name, _, status, nm, truth, label, bar, _ in result["wrong"])]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-variants", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--machine", default="2-core CPU, 24 GiB (shared)")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"{DATA} not found", file=sys.stderr)
        return 1
    start = time.time()
    lines = [f"- Command: `python -m benchmarks.bench_scale_real"
             f"{' --no-variants' if args.no_variants else ''} --seed {args.seed}`",
             f"- Machine: {args.machine}; Python {platform.python_version()}; load "
             f"{os.getloadavg()[0]:.1f}; date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", ""]
    lines += report("Real frames (../shared/data/sem-databar, catalog.csv)",
                    run(real_frames(), DATA))
    if not args.no_variants:
        with tempfile.TemporaryDirectory() as tmp:
            held_out = run(variants(np.random.default_rng(args.seed)), Path(tmp))
        lines += ["", *report("Held-out frames derived from them (PNG, no metadata)",
                              held_out)]
    lines.append(f"\n(wall {time.time() - start:.0f} s)")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
