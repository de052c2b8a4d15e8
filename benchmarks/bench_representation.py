"""Which preprocessing keeps the most of an image for the default CNN (issue 15)?

    nice -n 10 python -m benchmarks.bench_representation [--fmnist 1000] [--per-source 40]

Embeds three labelled sets with the default network (backbone "auto": ResNet-50 where its
ImageNet weights are cached, else EfficientNet-Lite0) under each fit of
:class:`compute.embed.preprocess.Preprocessing` ("letterbox", "stretch", "crop" = the old
resize 256 + centre crop 224) and scores each embedding without any tuning:

- ``knn10``: the fraction of each image's 10 nearest neighbours (cosine) with its label;
- ``kmeans``: NMI of k-means told the true number of classes (rows L2-normalised);
- ``adp``: NMI of the ADP clustering at the analysis defaults with cosine distance, every
  image assigned (halo off), and its number of clusters.

Sets (no handwritten digits): Fashion-MNIST test images (28 x 28, square: letterbox and
stretch give the same input there), patches tiled from scikit-image's sample images (each
source image a label; patches of 2:1, 1:2 and 1:1 shape), and the SEM nanowire folder of
``../shared/data/sem-nanowires`` (1024 x 688 frames and 341 x 344 tiles; label: the pitch
in the file name).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

FITS = ("letterbox", "stretch", "crop")
FMNIST = Path("/usr/share/datasets/fashion-mnist")
NANOWIRES = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sem-nanowires"
SOURCES = ("cell", "immunohistochemistry", "retina", "hubble_deep_field", "moon", "camera",
           "astronaut", "coffee", "brick", "grass", "gravel", "rocket")
CELL = 128  # patch grid; each cell gives one patch of one of these (height, width) shapes
SHAPES = ((64, 128), (128, 64), (128, 128))


def fashion_mnist(n: int, seed: int = 0) -> tuple[list, np.ndarray]:
    """``n`` test images (class-balanced, seeded) as Pillow images, and their labels."""
    from PIL import Image

    from data.make_demo import load_split, pick_balanced

    images, labels = load_split(FMNIST, "t10k")
    rows = pick_balanced(labels, n // 10, seed)
    return [Image.fromarray(images[i]) for i in rows], labels[rows].astype(str)


def skimage_patches(per_source: int, seed: int = 0) -> tuple[list, np.ndarray]:
    """Non-overlapping patches of scikit-image's sample images, labelled by source image."""
    import skimage.data
    from PIL import Image

    rng = np.random.default_rng(seed)
    patches, labels = [], []
    for name in SOURCES:
        image = np.asarray(getattr(skimage.data, name)())
        cells = [(r, c) for r in range(0, image.shape[0] - CELL + 1, CELL)
                 for c in range(0, image.shape[1] - CELL + 1, CELL)]
        for k in rng.permutation(len(cells))[:per_source]:
            (r, c), (h, w) = cells[k], SHAPES[len(patches) % len(SHAPES)]
            patches.append(Image.fromarray(image[r:r + h, c:c + w]))
            labels.append(name)
    return patches, np.array(labels)


def nanowires() -> tuple[list, np.ndarray]:
    """The SEM nanowire frames and tiles (grayscale), labelled by the pitch in their name."""
    from PIL import Image

    paths = sorted(NANOWIRES.glob("*.png"))
    pitch = [re.search(r"_(\d+)nm_", p.name).group(1) for p in paths]
    return [Image.open(p).convert("L") for p in paths], np.array(pitch)


def embed(images: list, fit: str, model, batch: int = 32) -> np.ndarray:
    """(N, D) float32 features of ``images`` with the model's recipe at ``fit``."""
    from dataclasses import replace

    import torch

    recipe = replace(model.preprocessing, fit=fit)
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            x = np.stack([recipe(im) for im in images[start:start + batch]])
            out.append(model.module(torch.from_numpy(x)).numpy())
    return np.concatenate(out).astype(np.float32)


def scores(x: np.ndarray, labels: np.ndarray) -> dict:
    """knn10 agreement, k-means NMI (true k) and default-ADP NMI (cosine, halo off)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from compute.params import AnalysisParams
    from compute.peaks.topography import analyse

    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    k = min(10, len(x) - 1)
    nearest = np.argsort(-sims, axis=1)[:, :k]
    knn10 = float((labels[nearest] == labels[:, None]).mean())
    n_classes = len(np.unique(labels))
    km = KMeans(n_clusters=n_classes, n_init=10, random_state=0).fit_predict(unit)
    topo = analyse(x, AnalysisParams(metric="cosine", halo=False))
    adp = topo.clustering.labels
    return {"knn10": knn10, "kmeans": float(nmi(labels, km)), "adp": float(nmi(labels, adp)),
            "adp_clusters": int(len(np.unique(adp)))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fmnist", type=int, default=1000, help="Fashion-MNIST test images")
    parser.add_argument("--per-source", type=int, default=40, help="patches per source image")
    parser.add_argument("--sets", default="fmnist,patches,nanowires")
    parser.add_argument("--fits", default=",".join(FITS))
    args = parser.parse_args(argv)
    from compute.embed import AUTO_BACKBONE, prepare_model

    model = prepare_model(AUTO_BACKBONE)
    print(f"network: {model.title}")
    loaders = {"fmnist": lambda: fashion_mnist(args.fmnist),
               "patches": lambda: skimage_patches(args.per_source),
               "nanowires": nanowires}
    print("| set | images | fit | kNN-10 agreement | k-means NMI (true k) | ADP NMI (clusters) "
          "| embed s |")
    print("|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        images, labels = loaders[name]()
        square = all(im.width == im.height for im in images)
        for fit in args.fits.split(","):
            if square and fit == "stretch":  # the same input as letterbox: nothing to measure
                print(f"| {name} | {len(images)} | stretch | = letterbox (square images) "
                      "| | | |", flush=True)
                continue
            start = time.perf_counter()
            x = embed(images, fit, model)
            seconds = time.perf_counter() - start
            s = scores(x, labels)
            print(f"| {name} | {len(images)} | {fit} | {s['knn10']:.3f} | {s['kmeans']:.3f} | "
                  f"{s['adp']:.3f} ({s['adp_clusters']}) | {seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
