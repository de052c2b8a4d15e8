"""Does the near-duplicate check find shifted copies of one micrograph, and only those?

    nice -n 10 python -m benchmarks.bench_near_duplicates [--copies 2] [--per-source 10]

Every pair of images is checked (no embedding candidates: this measures the check itself,
:func:`compute.ingest.near_duplicates.match`, on the page's 128-px thumbnails):

- the 14 full SEM nanowire frames of ``../shared/data/sem-nanowires`` (1024 x 688), each
  with ``--copies`` shifted crops (75-95 % of each side, random place, seeded), half of
  them re-saved as JPEG (quality 70): a pair is *true* when both come from one frame;
- the folder's 84 real tiles (341 x 344, one sixth of a frame each) against the frames:
  a tile and its own frame are one micrograph, at a third of the frame's thumbnail scale;
- patches tiled from scikit-image's sample images (non-overlapping): no pair is a copy,
  though patches of one texture (grass, gravel, brick) look alike.

Prints, per kind of pair, how many there are and how many the check calls near
duplicates, and the similarity (NCC) quantiles of true and false pairs.
"""

from __future__ import annotations

import argparse
import io
import re
import time
from pathlib import Path

import numpy as np

NANOWIRES = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sem-nanowires"


def thumbnail(image) -> tuple[np.ndarray, float]:
    """The page's thumbnail (longer side 128, grayscale) and its scale."""
    from PIL import Image

    from compute.ingest.thumbnails import THUMB_SIZE

    small = image.convert("L")
    small.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float32), small.width / image.width


def shifted_copies(frame, n: int, rng: np.random.Generator) -> list:
    from PIL import Image

    copies = []
    for k in range(n):
        w, h = (int(s * rng.uniform(0.75, 0.95)) for s in frame.size)
        left, top = int(rng.integers(0, frame.width - w)), int(rng.integers(0, frame.height - h))
        crop = frame.crop((left, top, left + w, top + h))
        if k % 2 == 0:
            buffer = io.BytesIO()
            crop.save(buffer, format="JPEG", quality=70)
            crop = Image.open(buffer)
        copies.append(crop)
    return copies


def sem_items(copies: int, seed: int = 0) -> list[tuple[str, str, object]]:
    """(kind, micrograph, image): frames, their shifted copies, and the real tiles."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    items = []
    for path in sorted(NANOWIRES.glob("datasets_NWs-8kMag-fullres_*.png")):
        source = re.search(r"fullres_(\d+nm_\d+)_", path.name).group(1)
        frame = Image.open(path).convert("L")
        items.append(("frame", source, frame))
        items.extend(("copy", source, c) for c in shifted_copies(frame, copies, rng))
    for path in sorted(NANOWIRES.glob("*subdivided_*.png")):
        source = re.search(r"subdivided_(\d+nm_\d+)_", path.name).group(1)
        items.append(("tile", source, Image.open(path).convert("L")))
    return items


def patch_items(per_source: int) -> list[tuple[str, str, object]]:
    from benchmarks.bench_representation import skimage_patches

    patches, labels = skimage_patches(per_source)
    return [("patch", f"{label}#{k}", p)
            for k, (p, label) in enumerate(zip(patches, labels, strict=True))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2, help="shifted copies per frame")
    parser.add_argument("--per-source", type=int, default=10, help="patches per source image")
    parser.add_argument("--sets", default="sem,patches")
    args = parser.parse_args(argv)
    from compute.ingest import near_duplicates as nd

    sets = args.sets.split(",")
    items = ((sem_items(args.copies) if "sem" in sets else [])
             + (patch_items(args.per_source) if "patches" in sets else []))
    wrong: list[str] = []
    thumbs = [thumbnail(image) for _, _, image in items]
    outcome: dict[str, list[float]] = {}
    start = time.perf_counter()
    n_pairs = 0
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            kind = _pair_kind(items[i], items[j])
            if kind is None:
                continue
            similarity, _ = nd.match(*thumbs[i], *thumbs[j])
            outcome.setdefault(kind, []).append(similarity)
            if kind.endswith("other") and similarity >= nd.MIN_SIMILARITY:
                wrong.append(f"{items[i][1]} ~ {items[j][1]} ({similarity:.2f})")
            n_pairs += 1
    seconds = time.perf_counter() - start
    print(f"{len(items)} images, {n_pairs} pairs checked in {seconds:.0f} s; threshold NCC "
          f">= {nd.MIN_SIMILARITY}, overlap >= {nd.MIN_OVERLAP_PIXELS} thumbnail px")
    print("| pair | same micrograph | pairs | called near duplicates | NCC 5 / 50 / 95 % |")
    print("|---|---|---|---|---|")
    for kind, values in sorted(outcome.items()):
        v = np.array(values)
        hits = int((v >= nd.MIN_SIMILARITY).sum())
        q = np.percentile(v, [5, 50, 95])
        print(f"| {kind} | {'yes' if kind.endswith('same') else 'no'} | {v.size} | {hits} | "
              f"{q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f} |")
    if wrong:
        print("called near duplicates wrongly:", "; ".join(wrong))
    return 0


def _pair_kind(a, b) -> str | None:
    """"frame/copy same", "frame/copy other", "tile/frame same", "patch/patch other", ...;
    None for pairs not measured (tile/tile, tile/copy, SEM/patch)."""
    (kind_a, source_a, _), (kind_b, source_b, _) = a, b
    kinds = "/".join(sorted((kind_a, kind_b)))
    if kinds in ("copy/copy", "copy/frame", "frame/frame", "frame/tile", "patch/patch"):
        return f"{kinds} {'same' if source_a == source_b else 'other'}"
    return None


if __name__ == "__main__":
    raise SystemExit(main())
