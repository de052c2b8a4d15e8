"""Build the committed demo set ``data/demo/`` from Debian's ``dataset-fashion-mnist``.

    apt-get install -y dataset-fashion-mnist
    python data/make_demo.py            # 200 images per class from the test split

Writes ``data/demo/images/fmnist-XXXXX.png`` (28x28 grayscale; XXXXX is the index in the
10 000-image test split), ``data/demo/labels.csv`` (path,label,superclass) and
``data/demo/ATTRIBUTION.md``. Deterministic: the same images every time.

It then embeds them with the default representation (:data:`compute.embed.DEFAULT_BACKBONE`
as it resolves offline, EfficientNet-Lite0) and ships the vectors in
``data/demo/images/.topograph/features-<key>.npz`` (:mod:`compute.embed.seed`; used only
for images and a model that match), so ``python app.py`` shows its first page without
embedding. ``python data/make_demo.py --features-only`` redoes just that (after a change
to the preprocessing, for instance).
"""

from __future__ import annotations

import argparse
import csv
import gzip
from pathlib import Path

import numpy as np
from PIL import Image

SOURCE = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SUPERCLASS = {"T-shirt/top": "tops", "Pullover": "tops", "Coat": "tops", "Shirt": "tops",
              "Dress": "dresses", "Trouser": "trousers", "Sandal": "footwear",
              "Sneaker": "footwear", "Ankle boot": "footwear", "Bag": "bags"}

ATTRIBUTION = """# Demo data: Fashion-MNIST subset

{n} images ({per_class} per class) from the test split of Fashion-MNIST, made by
`python data/make_demo.py` from Debian's `dataset-fashion-mnist` package.

Fashion-MNIST (c) 2017 Zalando SE, MIT licence:
Han Xiao, Kashif Rasul, Roland Vollgraf. "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms." arXiv:1708.07747.

`labels.csv`: `path` (relative to this folder's `images/`), `label` (one of the ten
classes) and `superclass` (tops, dresses, trousers, footwear, bags), the natural grouping
that makes the hierarchy views meaningful.
"""


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format) into a uint8 array."""
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_split(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 28, 28) uint8, labels (N,) uint8) of the 'train' or 't10k' split."""
    images = read_idx(source / f"{split}-images-idx3-ubyte.gz")
    labels = read_idx(source / f"{split}-labels-idx1-ubyte.gz")
    return images, labels


def pick_balanced(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chosen = [np.sort(rng.choice(np.flatnonzero(labels == c), per_class, replace=False))
              for c in range(len(CLASSES))]
    return np.sort(np.concatenate(chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "demo")
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--features-only", action="store_true",
                        help="only (re)write the shipped features of the existing images")
    args = parser.parse_args()
    if not args.features_only:
        write_images(args)
    print(f"wrote {write_demo_features(args.out / 'images')}")


def write_demo_features(images: Path) -> Path:
    """Embed ``images`` with the default representation and ship the vectors there."""
    import shutil
    import tempfile

    from compute.embed import DEFAULT_BACKBONE, embed_dataset, prepare_model
    from compute.embed.seed import SEED_FOLDER, write_seed
    from compute.ingest import scan_folder

    shutil.rmtree(images / SEED_FOLDER, ignore_errors=True)  # one model's file, no stale ones
    model = prepare_model(DEFAULT_BACKBONE)
    with tempfile.TemporaryDirectory() as store:
        embeddings = embed_dataset(scan_folder(images), backbone=DEFAULT_BACKBONE,
                                   store_dir=store)
    assert embeddings.key == model.key
    return write_seed(images, model.key, embeddings.ids, embeddings.vectors)


def write_images(args: argparse.Namespace) -> None:
    """The demo's images, labels.csv and ATTRIBUTION.md."""
    if not (args.source / "t10k-images-idx3-ubyte.gz").exists():
        raise SystemExit(f"{args.source} has no Fashion-MNIST files: "
                         "apt-get install -y dataset-fashion-mnist")
    images, labels = load_split(args.source, "t10k")
    picked = pick_balanced(labels, args.per_class, args.seed)
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    with (args.out / "labels.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "superclass"])
        for idx in picked:
            name = f"fmnist-{idx:05d}.png"
            Image.fromarray(images[idx], mode="L").save(args.out / "images" / name,
                                                         optimize=True)
            label = CLASSES[labels[idx]]
            writer.writerow([name, label, SUPERCLASS[label]])
    (args.out / "ATTRIBUTION.md").write_text(
        ATTRIBUTION.format(n=len(picked), per_class=args.per_class))
    print(f"wrote {len(picked)} images to {args.out}")


if __name__ == "__main__":
    main()
