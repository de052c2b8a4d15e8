"""The CPU adaptation (issue 17): train ``adapt`` on Fashion-MNIST training images, score on
a fixed subset of the test images against the ImageNet features it started from.

    python -m benchmarks.bench_adapt --train 5000 --epochs 10 --objective neighbours simclr

Train: the first ``--train`` of the 60 000 training images. Score: the demo's 2 000 test
images (``data/demo``, a class-balanced subset of the 10 000 test images; ``--test all``
for the whole split). Input ``--input-size`` px (default 96). Each representation is
scored with ADP at the product's defaults (:class:`compute.params.AnalysisParams`) and at
the reading ``cosine, kNN k = 10, maxk 100``, plus k-means (k = 10, L2-normalised rows).
Wall and CPU seconds of the trunk pass and of the training are logged, for extrapolation.
Outputs (checkpoints, JSON) go to benchmarks/out/adapt/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "adapt"
log = logging.getLogger("bench_adapt")


def demo_test_rows() -> np.ndarray:
    """Rows of the 10 000 test images that make up the demo (same seed as make_demo)."""
    from data.make_demo import SOURCE, load_split, pick_balanced

    _, labels = load_split(SOURCE, "t10k")
    rows = pick_balanced(labels, 200, 0)  # make_demo's defaults: 200 per class, seed 0
    names = sorted(p.name for p in (ROOT / "data/demo/images").glob("*.png"))
    assert names == [f"fmnist-{i:05d}.png" for i in rows], "data/demo is not make_demo's"
    return rows


def stacks(n_train: int, test: str, input_size: int):
    from compute.train.data import preprocessing_for_input, stack_from_arrays
    from data.make_demo import CLASSES, SOURCE, load_split

    prep = preprocessing_for_input(input_size)
    train_x, _ = load_split(SOURCE, "train")
    test_x, test_y = load_split(SOURCE, "t10k")
    rows = np.arange(len(test_x)) if test == "all" else demo_test_rows()
    train = stack_from_arrays(train_x[:n_train], None, preprocessing=prep)
    train = replace(train, source=f"fashion-mnist-train-{n_train}")
    labels = np.array([CLASSES[i] for i in test_y[rows]], dtype=object)
    return train, stack_from_arrays(test_x[rows], None, preprocessing=prep), labels


def readings(*, cnn_features: bool = True):
    """The two analyses every representation is scored with ("auto" metric resolved)."""
    from compute.params import AnalysisParams

    return {"defaults": AnalysisParams().resolved(cnn_features=cnn_features),
            "cosine-knn10-maxk100": AnalysisParams(metric="cosine", maxk=100, density="knn",
                                                   k=10)}


def score(vectors: np.ndarray, labels: np.ndarray, *, cnn_features: bool = True) -> dict:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    from compute.evaluation.scores import score_clustering
    from compute.peaks.topography import analyse

    out = {}
    for name, params in readings(cnn_features=cnn_features).items():
        c = analyse(vectors, params).clustering
        s = score_clustering(c.labels, labels)  # all points: halo members keep their cluster
        out[name] = {"nmi": round(s.nmi, 4), "ami": round(s.ami, 4), "ari": round(s.ari, 4),
                     "clusters": c.n_clusters, "params": params.describe()}
    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
    km = KMeans(10, n_init=3, random_state=0).fit_predict(unit)
    out["kmeans_nmi"] = round(float(normalized_mutual_info_score(labels, km)), 4)
    return out


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return value, round(time.perf_counter() - t0, 1), round(time.process_time() - c0, 1)


def main() -> int:
    from compute.cache import StepCache
    from compute.train.adapt import (
        AdaptOptions,
        last_block,
        pooled_features,
        pretrained_network,
        train_adapt,
        trunk_features,
    )
    from compute.train.loop import TrainConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=5000)
    parser.add_argument("--test", choices=("demo", "all"), default="demo")
    parser.add_argument("--input-size", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--objective", nargs="+", default=["neighbours"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    OUT.mkdir(parents=True, exist_ok=True)
    cache = StepCache(OUT / "steps")
    train, test, labels = stacks(args.train, args.test, args.input_size)
    net = pretrained_network()
    _, wall, cpu = timed(lambda: trunk_features(net, train, cache=cache))
    log.info("trunk of %d training images: %.0f s wall, %.0f s CPU", args.train, wall, cpu)
    test_maps, twall, tcpu = timed(lambda: trunk_features(net, test, cache=cache))
    results = {"args": vars(args), "trunk_train_s": [wall, cpu], "trunk_test_s": [twall, tcpu],
               "imagenet": score(pooled_features(last_block(net), test_maps), labels)}
    log.info("imagenet: %s", results["imagenet"])
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                         weight_decay=1e-5, threads=args.threads)
    for objective in args.objective:
        ckpt = OUT / f"fmnist-adapt-{objective}-{args.train}-{args.input_size}.pt"
        result, wall, cpu = timed(lambda o=objective, c=ckpt: train_adapt(
            train, out=c, config=config, options=AdaptOptions(objective=o), cache=cache))
        adapted = pretrained_network(str(ckpt))
        results[objective] = {"train_s": [wall, cpu], "checkpoint": str(ckpt),
                              **score(pooled_features(last_block(adapted), test_maps), labels)}
        log.info("%s (%.0f s wall, %.0f s CPU, trunk cached): %s", objective, wall, cpu,
                 results[objective])
    name = f"fmnist-adapt-{args.train}-{args.input_size}-{args.test}.json"
    (OUT / name).write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
