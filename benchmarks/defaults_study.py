"""Clustering quality by default (issue 15): one command, one table.

    python -m benchmarks.defaults_study                 # every set, the table into RESULTS.md
    python -m benchmarks.defaults_study --sets patches nanowires --no-write
    python -m benchmarks.defaults_study grid --sets patches --n 2000   # the defaults' grid
    python -m benchmarks.defaults_study embed --sets fmnist            # embeddings only

Per labelled image set, on the same CNN embeddings (EfficientNet-Lite0, ImageNet weights,
the whole image resized to the network's 224 px input, no crop; cached under
``data/cache/defaults_study/``): the default analysis (:class:`compute.params.AnalysisParams`
with no field given, no k told) against UMAP-2-D + k-means told the true k and UMAP-2-D +
HDBSCAN. Sets:

* ``fmnist``: Fashion-MNIST test split (10 000 images, 10 classes; Debian's
  ``dataset-fashion-mnist``);
* ``patches``: 64 x 64 patches tiled from scikit-image's sample images, each source image a
  label (natural images, no registry download);
* ``nanowires``: ``../shared/data/sem-nanowires`` (98 SEM frames), label = the nanowire
  pitch in the file name;
* ``databar``: ``../shared/data/sem-databar`` (14 SEM frames), label = the instrument maker
  (optional: too small to judge a clustering, reported for completeness).

Handwritten digits are never used here (kept for the team's independent check).
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FASHION = Path("/usr/share/datasets/fashion-mnist")
SHARED = REPO.parent / "shared" / "data"
CACHE = REPO / "data" / "cache" / "defaults_study"
RESULTS = REPO / "benchmarks" / "RESULTS.md"
BACKBONE = "efficientnet_lite0"
INPUT_PX = 224
PATCH_PX = 64
PATCH_SOURCES = ("astronaut", "brick", "camera", "cell", "chelsea", "coffee", "coins",
                 "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "moon",
                 "retina", "rocket")
PATCHES_PER_SOURCE = 60
SECTION = "## Clustering quality by default (issue 15)"
FASHION_N = 2000  # the 10 000 did not fit the session's 2 shared cores (see RESULTS)
CHUNK = 250

log = logging.getLogger("defaults_study")


@dataclass(frozen=True)
class LabelledImages:
    """``images``: a list of N uint8 arrays (H, W) or (H, W, 3); ``labels``: (N,) str."""

    name: str
    images: list
    labels: np.ndarray
    description: str


# --- the labelled sets -----------------------------------------------------------------

def fashion_order(labels: np.ndarray) -> np.ndarray:
    """(10 000,) the test split's rows in study order: first the demo's 2 000 (200 per
    class, ``data/make_demo.py``), then the rest ascending; any prefix of 1 000 or more
    is near class-balanced."""
    from data.make_demo import pick_balanced

    demo = pick_balanced(labels, 200, 0)
    return np.r_[demo, np.setdiff1d(np.arange(len(labels)), demo)]


def fashion_mnist(n: int | None = None) -> LabelledImages:
    """The first ``n`` (default :data:`FASHION_N`) Fashion-MNIST test images (28 x 28) in
    :func:`fashion_order`, and their classes."""
    from data.make_demo import CLASSES, load_split

    if not FASHION.exists():
        raise SystemExit(f"{FASHION} is missing: apt-get install -y dataset-fashion-mnist")
    n = FASHION_N if n is None else n
    images, labels = load_split(FASHION, "t10k")
    rows = fashion_order(labels)[:n]
    return LabelledImages(f"fmnist{n}", list(images[rows]),
                          np.array([CLASSES[i] for i in labels[rows]]),
                          f"Fashion-MNIST test, {n} images (the demo's 2 000 first), 10 classes")


def natural_patches() -> LabelledImages:
    """Non-overlapping 64 x 64 patches of scikit-image's sample images (at most
    :data:`PATCHES_PER_SOURCE` per image, spread over it), labelled by their source."""
    import skimage.data

    images, labels = [], []
    for name in PATCH_SOURCES:
        source = np.asarray(getattr(skimage.data, name)())
        rows, cols = source.shape[0] // PATCH_PX, source.shape[1] // PATCH_PX
        cells = [(r, c) for r in range(rows) for c in range(cols)]
        keep = np.linspace(0, len(cells) - 1, min(PATCHES_PER_SOURCE, len(cells))).astype(int)
        for r, c in (cells[i] for i in keep):
            images.append(source[r * PATCH_PX:(r + 1) * PATCH_PX,
                                 c * PATCH_PX:(c + 1) * PATCH_PX])
            labels.append(name)
    return LabelledImages("patches", images, np.array(labels),
                          f"{PATCH_PX} px patches of {len(PATCH_SOURCES)} scikit-image "
                          f"sample images, {len(images)} patches, label = source")


def _folder_images(folder: Path, label_of: Callable[[str], str | None]) -> tuple[list, list]:
    from PIL import Image

    images, labels = [], []
    for path in sorted(folder.iterdir()):
        label = label_of(path.name)
        if label is None or path.suffix.lower() not in {".png", ".tif", ".tiff", ".jpg",
                                                        ".jpeg", ".bmp"}:
            continue
        with Image.open(path) as im:
            images.append(np.asarray(im.convert("L")))
        labels.append(label)
    return images, labels


def nanowires() -> LabelledImages:
    """The 98 SEM nanowire frames of ``../shared/data/sem-nanowires``, label = pitch."""
    def pitch(name: str) -> str | None:
        found = re.search(r"_(\d+)nm_", name)
        return f"{found.group(1)} nm" if found else None

    images, labels = _folder_images(SHARED / "sem-nanowires", pitch)
    return LabelledImages("nanowires", images, np.array(labels),
                          f"SEM nanowires, {len(images)} frames, label = pitch "
                          f"({len(set(labels))} pitches)")


def databar() -> LabelledImages:
    """The SEM frames of ``../shared/data/sem-databar``, label = the catalog's maker."""
    folder = SHARED / "sem-databar"
    with open(folder / "catalog.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    key = "maker" if rows and "maker" in rows[0] else next(iter(rows[0]))
    maker = {Path(r.get("file") or r.get("path") or "").name: r[key] for r in rows}
    images, labels = _folder_images(folder / "images", maker.get)
    return LabelledImages("databar", images, np.array(labels),
                          f"SEM frames with data bars, {len(images)} frames, label = {key}")


SETS: dict[str, Callable[[], LabelledImages]] = {
    "fmnist": fashion_mnist, "patches": natural_patches, "nanowires": nanowires,
    "databar": databar}


# --- embeddings ------------------------------------------------------------------------

def whole_image(image: np.ndarray, size: int = INPUT_PX) -> np.ndarray:
    """uint8 (H, W[, 3]) -> float32 (3, size, size): the whole image letterboxed (longer
    side = ``size``, the rest padded with the image's mean), ImageNet-normalised."""
    from PIL import Image

    from compute.embed.preprocess import IMAGENET_MEAN, IMAGENET_STD

    pil = Image.fromarray(image).convert("RGB")
    scale = size / max(pil.size)
    new = (max(1, round(pil.size[0] * scale)), max(1, round(pil.size[1] * scale)))
    pil = pil.resize(new, Image.Resampling.BILINEAR)
    rgb = np.asarray(pil, dtype=np.float32) / 255.0
    canvas = np.empty((size, size, 3), np.float32)
    canvas[:] = rgb.reshape(-1, 3).mean(axis=0)
    top, left = (size - new[1]) // 2, (size - new[0]) // 2
    canvas[top:top + new[1], left:left + new[0]] = rgb
    canvas = (canvas - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)
    return canvas.transpose(2, 0, 1).copy()


def embed(data: LabelledImages, *, batch: int = 50) -> np.ndarray:
    """(N, 1280) float32 EfficientNet-Lite0 features of ``data``, cached on disk in chunks
    of :data:`CHUNK` images (a stopped run resumes; Fashion-MNIST's chunks are shared by
    every prefix size)."""
    family = re.sub(r"\d+$", "", data.name)
    folder = CACHE / f"{family}-{BACKBONE}-whole{INPUT_PX}"
    folder.mkdir(parents=True, exist_ok=True)
    model, out, start = None, [], time.perf_counter()
    for first in range(0, len(data.images), CHUNK):
        images = data.images[first:first + CHUNK]
        path = folder / f"{first:06d}-{len(images)}.npy"
        if not path.exists():
            model = model or _model()
            np.save(path, _forward(model, images, batch))
            log.info("%s: embedded %d / %d (%.0f s)", data.name, first + len(images),
                     len(data.images), time.perf_counter() - start)
        out.append(np.load(path))
    return np.concatenate(out).astype(np.float32)


def _model():
    from compute.embed import prepare_model

    return prepare_model(BACKBONE, weights="imagenet").module.eval()


def _forward(model, images: list, batch: int) -> np.ndarray:
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(images), batch):
            x = np.stack([whole_image(im) for im in images[i:i + batch]])
            out.append(model(torch.from_numpy(x)).float().numpy().reshape(len(x), -1))
    return np.concatenate(out)


# --- measurements ----------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One clustering of one set: clusters, scores over every image, halo share."""

    data: str
    method: str
    clusters: int
    nmi: float
    ami: float
    ari: float
    halo: float | None = None  # share of images marked halo (ADP) or noise (HDBSCAN)
    note: str = ""
    seconds: float = 0.0


def _scores(truth: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    from sklearn.metrics import (
        adjusted_mutual_info_score,
        adjusted_rand_score,
        normalized_mutual_info_score,
    )

    return (normalized_mutual_info_score(truth, labels), adjusted_mutual_info_score(truth, labels),
            adjusted_rand_score(truth, labels))


def step_cache():
    from compute.cache import StepCache

    return StepCache(CACHE / "steps")


def adp_row(data: LabelledImages, vectors: np.ndarray, params, method: str) -> tuple[Row, object]:
    """ADP of ``vectors`` with ``params`` (metric resolved for CNN features): every image
    scored with its cluster (halo images keep theirs)."""
    from compute.peaks.topography import analyse

    start = time.perf_counter()
    topo = analyse(vectors, params.resolved(cnn_features=True), cache=step_cache())
    c = topo.clustering
    nmi, ami, ari = _scores(data.labels, c.labels)
    space = f"UMAP-{topo.manifold.dimension}D" if topo.manifold is not None else "full"
    return Row(data.name, method, c.n_clusters, nmi, ami, ari, float(c.is_halo.mean()),
               f"Z {topo.params.z:g}, {space}, {topo.params.metric}",
               time.perf_counter() - start), topo


def umap_2d(vectors: np.ndarray) -> np.ndarray:
    """The peers' projection: UMAP to 2-D (cosine, 15 neighbours, min_dist 0.1, seed 0)."""
    import umap

    return umap.UMAP(n_components=2, metric="cosine", random_state=0).fit_transform(vectors)


def peer_rows(data: LabelledImages, vectors: np.ndarray) -> list[Row]:
    """UMAP-2-D + k-means told the true k, and UMAP-2-D + HDBSCAN (noise = its own label)."""
    from sklearn.cluster import HDBSCAN, KMeans

    start = time.perf_counter()
    xy = umap_2d(vectors)
    k = len(set(data.labels))
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(xy)
    rows = [Row(data.name, f"UMAP-2D + k-means (k = {k} told)", k, *_scores(data.labels, km),
                note="", seconds=time.perf_counter() - start)]
    size = max(5, len(vectors) // 100)
    hd = HDBSCAN(min_cluster_size=size).fit_predict(xy)
    rows.append(Row(data.name, f"UMAP-2D + HDBSCAN (min size {size})",
                    len(set(hd) - {-1}), *_scores(data.labels, hd),
                    halo=float(np.mean(hd == -1)), note="noise scored as one more label"))
    return rows


def table_rows(data: LabelledImages, vectors: np.ndarray) -> list[Row]:
    """The default analysis (no field given) and the peers on the same embeddings."""
    from compute.params import AnalysisParams

    default, _ = adp_row(data, vectors, AnalysisParams(), "Topograph default (no k)")
    return [default, *peer_rows(data, vectors)]


def grid_rows(data: LabelledImages, vectors: np.ndarray) -> list[dict]:
    """The defaults' grid: metric x density x space (maxk 100) and maxk 30 at the default,
    each cut by both rules, with the halo share under both halo rules."""
    from dataclasses import replace

    from compute.params import AnalysisParams
    from compute.peaks.cut import suggest_cut

    d = AnalysisParams()
    choices = [replace(d, metric=m, density=dens, k=k, space=sp)
               for m in ("cosine", "euclidean") for dens, k in (("knn", 10), ("knn", 30),
                                                               ("pak", d.k))
               for sp in ("umap", "full")] + [replace(d, maxk=30)]
    out = []
    for params in choices:
        row, topo = adp_row(data, vectors, params, "")
        graph = topo.space_knn
        for rule in ("stability", "plateau"):
            cut = topo.suggested if rule == topo.params.cut_rule else suggest_cut(
                rule, knn=graph, density=topo.density, peaks=topo.peaks)
            at = topo.remerge(z=cut.z)
            dadapy = topo.remerge(z=cut.z, halo_rule="dadapy")
            nmi, ami, ari = _scores(data.labels, at.clustering.labels)
            best = max(_scores(data.labels, topo.remerge(z=float(z)).clustering.labels)[0]
                       for z in cut.z_values[::4])
            out.append({"set": data.name, "metric": params.resolved(cnn_features=True).metric,
                        "density": "pak" if params.density == "pak" else f"knn-{params.k}",
                        "maxk": params.maxk, "space": row.note.split(", ")[1], "rule": rule,
                        "z": cut.z, "clusters": at.clustering.n_clusters, "nmi": nmi,
                        "ami": ami, "ari": ari, "best_nmi_any_z": best,
                        "halo_border": float(at.clustering.is_halo.mean()),
                        "halo_dadapy": float(dadapy.clustering.is_halo.mean())})
            log.info("%s", out[-1])
    return out


def markdown_table(rows: list[Row]) -> str:
    lines = ["| set | method | clusters | NMI | AMI | ARI | halo / noise | notes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        halo = "" if r.halo is None else f"{r.halo:.0%}"
        lines.append(f"| {r.data} | {r.method} | {r.clusters} | {r.nmi:.3f} | {r.ami:.3f} | "
                     f"{r.ari:.3f} | {halo} | {r.note} |")
    return "\n".join(lines)


def grid_table(rows: list[dict]) -> str:
    head = ["set", "metric", "density", "maxk", "space", "rule", "z", "clusters", "nmi",
            "best_nmi_any_z", "halo_border", "halo_dadapy"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        cells = [f"{r[h]:.3f}" if isinstance(r[h], float) and h != "z" else
                 (f"{r[h]:g}" if h == "z" else str(r[h])) for h in head]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_note() -> str:
    load = os.getloadavg()[0]
    return (f"{platform.node() or 'this machine'}: {os.cpu_count()} shared cores, load "
            f"{load:.1f} at the end of the run, {platform.python_version()}")


def write_results(text: str, marker: str) -> None:
    """Replace the block between ``<!-- marker -->`` and ``<!-- /marker -->`` under
    :data:`SECTION` in RESULTS.md (added after the section heading the first time)."""
    results = RESULTS.read_text(encoding="utf-8")
    begin, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    block = f"{begin}\n{text}\n{end}"
    if begin in results:
        head, rest = results.split(begin, 1)
        results = head + block + rest.split(end, 1)[1]
    else:
        head, rest = results.split(SECTION, 1)
        results = head + SECTION + "\n\n" + block + "\n" + rest
    RESULTS.write_text(results, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.defaults_study",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", default="table", choices=("table", "grid", "embed"))
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--no-write", action="store_true", help="print, do not edit RESULTS.md")
    parser.add_argument("--fmnist-n", type=int, default=FASHION_N,
                        help=f"Fashion-MNIST test images (default {FASHION_N}, at most 10000)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    rows, grid = [], []
    for name in args.sets:
        data = fashion_mnist(args.fmnist_n) if name == "fmnist" else SETS[name]()
        vectors = embed(data)
        log.info("%s: %s, %s", name, vectors.shape, data.description)
        if args.what == "table":
            rows += table_rows(data, vectors)
        elif args.what == "grid":
            grid += grid_rows(data, vectors)
    command = "python -m benchmarks.defaults_study " + " ".join(argv or sys.argv[1:])
    if args.what == "embed":
        return
    text = (markdown_table(rows) if rows else grid_table(grid))
    text = f"`{command.strip()}` ({machine_note()})\n\n{text}"
    print(text)
    if not args.no_write:
        write_results(text, "defaults-study-" + args.what)


if __name__ == "__main__":
    main()
