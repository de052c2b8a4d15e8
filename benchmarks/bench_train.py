"""Representation learning benchmarks (issue 5): train, embed, score with the quality report.

Fashion-MNIST (Debian's dataset-fashion-mnist, IDX files): train on the 60 000 training
images, score on the 10 000 held-out test images::

    python -m benchmarks.bench_train fmnist --strategy finetune --epochs 1 --lr 0.01
    python -m benchmarks.bench_train fmnist --strategy baseline-pixels

The demo set (data/demo, 2 000 Fashion-MNIST test images with labels.csv)::

    python -m benchmarks.bench_train demo --strategy finetune --epochs 5

Checkpoints, embeddings and quality JSON go to benchmarks/out/train/ (git-ignored).
Re-running a command resumes its checkpoint (it trains only the missing epochs).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from compute.commands.train import add_schedule_arguments, schedule_config  # noqa: E402
from compute.train.data import (  # noqa: E402
    ImageStack,
    preprocessing_for_input,
    stack_from_arrays,
)

OUT = ROOT / "benchmarks" / "out" / "train"
log = logging.getLogger("bench_train")


def fmnist_stacks(input_size: int, train_limit: int | None,
                  resize: int | None = None) -> tuple[ImageStack, ImageStack]:
    from data.make_demo import CLASSES, SOURCE, load_split

    prep = preprocessing_for_input(input_size, resize)
    train_x, train_y = load_split(SOURCE, "train")
    test_x, test_y = load_split(SOURCE, "t10k")
    if train_limit:
        train_x, train_y = train_x[:train_limit], train_y[:train_limit]
    train = stack_from_arrays(train_x, [CLASSES[i] for i in train_y], preprocessing=prep)
    test = stack_from_arrays(test_x, [CLASSES[i] for i in test_y], preprocessing=prep)
    return train, test


def demo_stack(input_size: int) -> ImageStack:
    from compute.ingest import scan_folder
    from compute.train.data import stack_from_dataset

    dataset = scan_folder(ROOT / "data/demo/images", labels_csv=ROOT / "data/demo/labels.csv")
    stack, _ = stack_from_dataset(dataset, preprocessing=preprocessing_for_input(input_size))
    return stack


def train(args: argparse.Namespace, stack: ImageStack, name: str) -> Path:
    from compute.train.loop import TrainConfig, train_images

    config = TrainConfig(backbone=args.backbone, weights=args.weights, epochs=args.epochs,
                         batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                         steps_per_epoch=args.steps_per_epoch, threads=args.threads,
                         **schedule_config(args))
    ckpt = OUT / f"{name}.pt"
    t0 = time.time()
    result = train_images(stack, strategy=args.strategy, out=ckpt, config=config,
                          options=strategy_options(args), resume=True,
                          input_filter="sobel" if args.sobel else "none",
                          progress=progress_log(t0))
    log.info("trained %s in %.0f s: %s", ckpt, time.time() - t0, result.metadata.history)
    return ckpt


def progress_log(t0: float, every: int = 20):
    """Log the run's progress (per mille of all epochs) every ``every`` per mille."""
    last = [-every]

    def progress(done: int, total: int) -> None:
        if done - last[0] >= every:
            last[0] = done
            log.info("progress %d/%d after %.0f s", done, total, time.time() - t0)

    return progress


def strategy_options(args: argparse.Namespace) -> object | None:
    if args.strategy == "finetune":
        from compute.train.finetune import FinetuneOptions

        return FinetuneOptions(validation=args.validation, augment=args.augment,
                               min_scale=args.min_scale)
    if args.strategy == "deepcluster":
        from compute.train.deepcluster import DeepClusterOptions

        return DeepClusterOptions(k=args.k, cluster_limit=args.cluster_limit)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", choices=("fmnist", "demo"))
    parser.add_argument("--strategy", required=True,
                        help="finetune|triplet|deepcluster|simclr, or baseline-pixels / "
                             "baseline-random (untrained ResNet) to score starting points")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--input-size", type=int, default=32)
    parser.add_argument("--resize", type=int, help="resize before the crop (default: "
                        "input size x 256/224, the seeds' ratio)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float)
    add_schedule_arguments(parser)
    parser.add_argument("--augment", action="store_true", help="finetune: seeds' augmentation")
    parser.add_argument("--min-scale", type=float, default=0.08,
                        help="finetune --augment: smallest random-crop area")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps-per-epoch", type=int)
    parser.add_argument("--train-limit", type=int, help="use the first N training images")
    parser.add_argument("--k", type=int, default=300, help="DeepCluster clusters")
    parser.add_argument("--cluster-limit", type=int, help="DeepCluster: images clustered/epoch")
    parser.add_argument("--validation", type=float, default=0.2, help="finetune hold-out")
    parser.add_argument("--sobel", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights", default="random", help="start from: random or a "
                        "checkpoint (e.g. a first stage, continued at a lower --lr)")
    parser.add_argument("--checkpoint", help="score this checkpoint instead of training")
    parser.add_argument("--tag", default="", help="suffix for output names")
    parser.add_argument("--score-on", choices=("test", "validation"), default="test",
                        help="fmnist: score the test split, or the training images a fine-tune "
                             "with this --validation and --seed held out (for model selection "
                             "without touching the test split)")
    parser.add_argument("--l2", action="store_true",
                        help="L2-normalise the vectors before scoring (a variant)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    OUT.mkdir(parents=True, exist_ok=True)
    name = f"{args.data}-{args.strategy}-{args.backbone}-{args.input_size}{args.tag}"
    if args.data == "fmnist":
        train_stack, test_stack = fmnist_stacks(args.input_size, args.train_limit, args.resize)
        if args.score_on == "validation":
            test_stack = held_out(train_stack, args)
            name += "-val"
    else:
        train_stack = test_stack = demo_stack(args.input_size)
    if args.strategy == "baseline-pixels":
        vectors = pixel_pca(test_stack)
    elif args.strategy == "baseline-random":
        vectors = random_features(args, test_stack)
    elif args.checkpoint:
        vectors = checkpoint_features(Path(args.checkpoint), test_stack)
    else:
        vectors = checkpoint_features(train(args, train_stack, name), test_stack)
    if args.l2:
        vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        name += "-l2"
    np.save(OUT / f"{name}-test.npy", vectors)
    score(vectors, test_stack, name, args)
    return 0


def held_out(stack: ImageStack, args: argparse.Namespace) -> ImageStack:
    """The training images a fine-tune with ``args.validation`` and ``args.seed`` held out."""
    from dataclasses import replace

    from compute.train.data import stratified_split

    _, rows = stratified_split(stack.labels, validation=args.validation, seed=args.seed)
    return replace(stack, pixels=stack.pixels[rows], labels=stack.labels[rows])


def pixel_pca(stack: ImageStack) -> np.ndarray:
    """Raw pixels, reduced to 50 PCA components (the reference). Use --input-size 28 with
    --resize 28 to keep Fashion-MNIST's own 28 x 28 pixels."""
    from sklearn.decomposition import PCA

    flat = stack.pixels.reshape(len(stack.pixels), -1).astype(np.float64) / 255.0
    return PCA(n_components=50, random_state=0).fit_transform(flat).astype(np.float32)


def random_features(args: argparse.Namespace, stack: ImageStack) -> np.ndarray:
    from compute.train.backbone import build_backbone, extract_features
    from compute.train.loop import seed_epoch

    seed_epoch(args.seed, -1)  # the same initial weights as a training run with this seed
    backbone = build_backbone(args.backbone, input_filter="sobel" if args.sobel else "none")
    return extract_features(backbone, stack)


def checkpoint_features(ckpt: Path, stack: ImageStack) -> np.ndarray:
    from compute.train.backbone import extract_features
    from compute.train.checkpoint import load_backbone

    backbone, _ = load_backbone(ckpt)
    return extract_features(backbone, stack)


def score(vectors: np.ndarray, stack: ImageStack, name: str, args: argparse.Namespace) -> None:
    from PIL import Image

    from compute.evaluation.quality import heatmap_rgb, quality_report
    from compute.params import AnalysisParams

    labels = [stack.classes[c] if c >= 0 else None for c in stack.labels]
    t0 = time.time()
    reports = {}
    for density in ("pak", "knn"):
        rep = quality_report(vectors, labels, per_class=100,
                             params=AnalysisParams(maxk=100, density=density, k=30))
        reports[density] = rep.summary()
    summary = {"name": name, "args": vars(args), "shape": list(vectors.shape),
               "pak": reports["pak"], "knn_k30": reports["knn"],
               "seconds_scoring": round(time.time() - t0, 1)}
    (OUT / f"{name}-quality.json").write_text(json.dumps(summary, indent=1))
    Image.fromarray(heatmap_rgb(rep.heatmap)).save(OUT / f"{name}-heatmap.png")
    for density, rep_d in reports.items():
        for c in rep_d["clusters"]:
            log.info("%s %s: %s K=%d NMI %.3f AMI %.3f ARI %.3f (r %.3f)", name, density,
                     c["method"], c["n_clusters"], c["nmi"], c["ami"], c["ari"],
                     rep_d["pearson_r_label_distance"])


if __name__ == "__main__":
    raise SystemExit(main())
