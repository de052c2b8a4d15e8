"""Do the label-free scores rank representations as NMI does? (issue 17, item 3)

    python -m benchmarks.bench_representations patches --adapt-epochs 10
    python -m benchmarks.bench_representations demo --also efficientnet_lite0:CKPT ...

Three labelled sets: ``demo`` (data/demo: 2 000 Fashion-MNIST test images, 10 classes),
``patches`` (64 x 64 patches of scikit-image's sample images, at most 60 per image,
labelled by their source image; written to benchmarks/out/representations/patches/) and
``nanowires`` (the 98 SEM frames of ../shared/data/sem-nanowires, labelled by the nanowire
pitch in their file names: 8 pitches; the labels file is written beside the others). Each
set is compared with :func:`compute.evaluation.representations.compare_representations`
(the product's :class:`compute.params.AnalysisParams` defaults) over a fixed candidate list
(:data:`CANDIDATES`, plus ``--also``; ``patches --adapt-epochs N`` first adapts
EfficientNet-Lite0 to the patches without labels and adds it), and the Spearman rank
correlation of each label-free score with NMI is printed and written to
benchmarks/out/representations/SET.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "representations"
PATCH_SOURCES = ("astronaut", "brick", "camera", "cell", "chelsea", "coffee", "grass",
                 "gravel", "hubble_deep_field", "immunohistochemistry", "moon", "rocket")
PATCH_PX, PATCHES_PER_SOURCE = 64, 60
CANDIDATES = ("pixels:none", "efficientnet_lite0:imagenet:96", "efficientnet_lite0:imagenet:64",
              "efficientnet_lite0:random:96", "resnet18:random:32")
log = logging.getLogger("bench_representations")


def write_patches(folder: Path) -> tuple[Path, Path]:
    """(image folder, labels CSV) of the patch set (rewritten only if missing)."""
    import skimage.data
    from PIL import Image

    images, labels = folder / "images", folder / "labels.csv"
    if labels.is_file():
        return images, labels
    images.mkdir(parents=True, exist_ok=True)
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label"])
        for name in PATCH_SOURCES:
            source = np.asarray(getattr(skimage.data, name)())
            if source.dtype != np.uint8:
                source = (255 * (source - source.min()) / np.ptp(source)).astype(np.uint8)
            rows, cols = source.shape[0] // PATCH_PX, source.shape[1] // PATCH_PX
            cells = [(r, c) for r in range(rows) for c in range(cols)]
            keep = np.linspace(0, len(cells) - 1, min(PATCHES_PER_SOURCE, len(cells)))
            for i in keep.astype(int):
                r, c = cells[i]
                patch = source[r * PATCH_PX:(r + 1) * PATCH_PX, c * PATCH_PX:(c + 1) * PATCH_PX]
                path = f"{name}-{r:02d}-{c:02d}.png"
                Image.fromarray(patch).save(images / path)
                writer.writerow([path, name])
    return images, labels


NANOWIRES = ROOT.parent / "shared" / "data" / "sem-nanowires"


def write_nanowire_labels(folder: Path) -> tuple[Path, Path]:
    """(../shared/data/sem-nanowires, a labels CSV of each frame's pitch, e.g. "130 nm")."""
    import re

    folder.mkdir(parents=True, exist_ok=True)
    labels = folder / "labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label"])
        for image in sorted(NANOWIRES.glob("*.png")):
            writer.writerow([image.name, re.search(r"_(\d+)nm_", image.name).group(1) + " nm"])
    return NANOWIRES, labels


def adapt_on(images: Path, epochs: int, out: Path) -> str:
    """Adapt EfficientNet-Lite0 to ``images`` without labels; the checkpoint's path."""
    from compute.train.adapt import MIN_INPUT_SIZE, train_adapt
    from compute.train.data import stack_from_folder
    from compute.train.loop import TrainConfig

    ckpt = out / f"adapt-{epochs}.pt"
    if not ckpt.is_file():
        stack = stack_from_folder(images, None, input_size=MIN_INPUT_SIZE)
        train_adapt(stack, out=ckpt, config=TrainConfig(epochs=epochs, batch_size=128,
                                                        weight_decay=1e-5, threads=2))
    return str(ckpt)


def main() -> int:
    from compute.cache import StepCache
    from compute.evaluation.representations import (
        compare_representations,
        parse_candidate,
        rank_agreement,
    )
    from compute.ingest import scan_folder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=("demo", "patches", "nanowires"))
    parser.add_argument("--also", action="append", default=[])
    parser.add_argument("--adapt-epochs", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    out = OUT / args.set
    out.mkdir(parents=True, exist_ok=True)
    if args.set == "patches":
        images, labels = write_patches(out)
    elif args.set == "nanowires":
        images, labels = write_nanowire_labels(out)
    else:
        images, labels = ROOT / "data/demo/images", ROOT / "data/demo/labels.csv"
    specs = list(CANDIDATES) + args.also
    if args.adapt_epochs:
        specs.append(f"efficientnet_lite0:{adapt_on(images, args.adapt_epochs, out)}")
    dataset = scan_folder(images, labels_csv=labels, cache_dir=out / "scan")
    comparison = compare_representations(dataset, [parse_candidate(s) for s in specs],
                                         cache=StepCache(OUT / "steps"))
    agreement = rank_agreement(comparison.rows)
    summary = {**comparison.summary(), "spearman_with_nmi": agreement}
    (OUT / f"{args.set}.json").write_text(json.dumps(summary, indent=1))
    for row in comparison.rows:
        print(f"{row.name:60s} NMI {row.nmi if row.nmi is None else round(row.nmi, 3)} "
              f"sig {row.significance} cons {row.consistency} ID {row.intrinsic_dim} "
              f"K {row.n_clusters} {row.error}")
    print("Spearman with NMI:", json.dumps(agreement), "suggested:", comparison.suggestion)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
