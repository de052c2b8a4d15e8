"""Full training on a lent GPU (issue 17, item 2): SimCLR, DeepCluster, fine-tuning and
triplet loss with the seeds' recipes, evaluated, published in a weights library, reported.

    python -m benchmarks.gpu_train --out $OUT --keep /tmp/gpu --device cuda   # about 9 min
    python -m benchmarks.gpu_train --out /tmp/toy --device cpu --toy   # the same path, tiny

Data: Fashion-MNIST (Debian's dataset-fashion-mnist; on the device machine pass
``--fmnist DIR`` with the four IDX .gz files carried along): train on the 60 000 training
images, score on the 10 000 test images. Network: ResNet-18, random initialisation
(torchvision's ImageNet ResNet weights cannot be downloaded offline), ``--input-size`` 32.
Recipes (:data:`RECIPES`): the strategies' own losses and the seeds' augmentations, batched
on the GPU (:func:`compute.train.augment.batched_augmentation`), cosine schedules with
warm-up. Each strategy gets ``--minutes`` of training: a throughput probe (two short runs)
sizes its number of epochs to that budget, so the whole script ends in time.

Evaluation: the test images' embeddings with ADP at the product's defaults and at the
reading cosine / kNN k = 10 / maxk 100, and k-means (:func:`benchmarks.bench_adapt.score`).

Writes, under ``--out``: ``report.json`` and ``report.md`` (recipes, epochs, seconds,
scores); under ``--keep`` (default ``--out``): ``weights/``, the library
(``STRATEGY-resnet18-DIGEST.pt`` + ``.json`` sidecars, what ``python app.py`` offers under
Weights once copied to CACHE/weights). ``--bring-back S ...`` writes float16 copies of those
checkpoints split into parts under 15 MiB (``--out``/``parts/``; the device returns at most
8 files of 16 MiB), which ``--join PARTS --library DIR`` reassembles and publishes.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

log = logging.getLogger("gpu_train")
PART_BYTES = 15 * 1024 * 1024
STRATEGIES = ("simclr", "deepcluster", "finetune", "triplet")

#: lr, batch, schedule warm-up (epochs), options, and the share of the time budget.
RECIPES: dict[str, dict] = {
    "simclr": {"lr": 1e-3, "batch_size": 512, "warmup_epochs": 1.0, "minutes": 3.0,
               "options": {"temperature": 0.5, "min_scale": 0.2}},
    "deepcluster": {"lr": 0.05, "batch_size": 256, "warmup_epochs": 0.0, "minutes": 2.0,
                    "options": {"k": 300, "pca_dim": 256, "cluster_limit": 20000}},
    "finetune": {"lr": 0.01, "batch_size": 256, "warmup_epochs": 0.5, "minutes": 1.2,
                 "options": {"validation": 0.05, "augment": True}},
    "triplet": {"lr": 1e-3, "batch_size": 240, "warmup_epochs": 0.5, "minutes": 1.0,
                "options": {"margin": 1.0, "per_class": 24}},
}


def strategy_options(strategy: str, values: dict) -> object:
    """The strategy's options dataclass from a recipe's ``options``."""
    import importlib

    names = {"simclr": "SimCLROptions", "deepcluster": "DeepClusterOptions",
             "finetune": "FinetuneOptions", "triplet": "TripletOptions"}
    module = importlib.import_module(f"compute.train.{strategy}")
    return getattr(module, names[strategy])(**values)


def load_data(args: argparse.Namespace):
    """(train stack, test stack, test labels) of Fashion-MNIST at ``args.input_size``."""
    from compute.train.data import preprocessing_for_input, stack_from_arrays
    from data.make_demo import CLASSES, load_split

    source = Path(args.fmnist)
    if not (source / "train-images-idx3-ubyte.gz").is_file():
        raise SystemExit(f"no Fashion-MNIST in {source}: apt-get install -y "
                         "dataset-fashion-mnist, or pass --fmnist DIR with the IDX .gz files")
    prep = preprocessing_for_input(args.input_size)
    train_x, train_y = load_split(source, "train")
    test_x, test_y = load_split(source, "t10k")
    if args.toy:
        train_x, train_y, test_x, test_y = train_x[:300], train_y[:300], test_x[:200], test_y[:200]
    names = [CLASSES[i] for i in train_y]
    train = replace(stack_from_arrays(train_x, names, preprocessing=prep),
                    source=f"fashion-mnist-train-{len(train_x)}")
    test = stack_from_arrays(test_x, None, preprocessing=prep)
    return train, test, np.array([CLASSES[i] for i in test_y], dtype=object)


def recipe_config(strategy: str, args: argparse.Namespace, *, epochs: int,
                  steps_per_epoch: int | None = None):
    from compute.train.loop import TrainConfig

    r = RECIPES[strategy]
    warmup = min(r["warmup_epochs"], max(epochs - 1, 0) * 0.5) if epochs > 1 else 0.0
    return TrainConfig(backbone="resnet18", weights="random", epochs=epochs,
                       batch_size=r["batch_size"], lr=r["lr"], device=args.device,
                       seed=args.seed, steps_per_epoch=steps_per_epoch,
                       lr_schedule="cosine", warmup_epochs=warmup)


def recipe_options(strategy: str, args: argparse.Namespace) -> object:
    values = dict(RECIPES[strategy]["options"])
    if args.toy:  # 300 images: small clusters and batches
        values.update({"deepcluster": {"k": 10, "cluster_limit": None},
                       "triplet": {"per_class": 2}}.get(strategy, {}))
    return strategy_options(strategy, values)


def epochs_for_budget(strategy: str, train, args: argparse.Namespace, work: Path) -> int:
    """Epochs that fit ``--minutes`` x the recipe's share, from two timed short runs
    (P and 2P steps: the per-step cost and the per-epoch overhead)."""
    from compute.train.loop import train_images

    if args.toy:
        return 1
    probe_steps = 5
    times = []
    for steps in (probe_steps, 2 * probe_steps):
        t0 = time.perf_counter()
        train_images(train, strategy=strategy, out=work / f"probe-{strategy}-{steps}.pt",
                     config=recipe_config(strategy, args, epochs=1, steps_per_epoch=steps),
                     options=recipe_options(strategy, args))
        times.append(time.perf_counter() - t0)
    per_step = max((times[1] - times[0]) / probe_steps, 1e-3)
    overhead = max(times[0] - probe_steps * per_step, 0.0)
    full_steps = len(train.pixels) // RECIPES[strategy]["batch_size"]
    if strategy == "deepcluster":
        full_steps = RECIPES[strategy]["options"]["cluster_limit"] // RECIPES[strategy][
            "batch_size"]
    epoch_s = overhead + full_steps * per_step
    budget = RECIPES[strategy]["minutes"] * args.minutes_scale * 60
    epochs = max(1, math.floor(budget / epoch_s))
    log.info("%s: %.3f s/step, %.1f s overhead, %.1f s/epoch -> %d epochs in %.0f s",
             strategy, per_step, overhead, epoch_s, epochs, budget)
    return epochs


def train_one(strategy: str, train, test, labels, args: argparse.Namespace, keep: Path) -> dict:
    """Train, publish in ``keep/weights``, evaluate; one entry of the report."""
    from benchmarks.bench_adapt import score
    from compute.train.backbone import extract_features
    from compute.train.checkpoint import load_backbone
    from compute.train.library import publish_checkpoint
    from compute.train.loop import train_images

    work = keep / "work"
    work.mkdir(parents=True, exist_ok=True)
    epochs = epochs_for_budget(strategy, train, args, work)
    config = recipe_config(strategy, args, epochs=epochs,
                           steps_per_epoch=2 if args.toy else None)
    t0 = time.perf_counter()
    result = train_images(train, strategy=strategy, out=work / f"{strategy}.pt", config=config,
                          options=recipe_options(strategy, args))
    seconds = time.perf_counter() - t0
    published = publish_checkpoint(keep / "weights", result.checkpoint)
    backbone, _ = load_backbone(published.path)
    t1 = time.perf_counter()
    vectors = extract_features(backbone.to(args.device), test, device=args.device)
    scores = score(vectors, labels)
    entry = {"strategy": strategy, "weights": published.name, "epochs": epochs,
             "train_s": round(seconds, 1), "eval_s": round(time.perf_counter() - t1, 1),
             "config": {k: v for k, v in vars(config).items() if k != "weights"},
             "options": RECIPES[strategy]["options"], "last_epoch": result.metadata.history[-1],
             **scores}
    log.info("%s: %s", strategy, json.dumps(entry))
    return entry


def baseline(test, labels) -> dict:
    """Raw pixels (PCA 50) of the test images, the reference every strategy should beat."""
    from sklearn.decomposition import PCA

    from benchmarks.bench_adapt import score

    flat = test.pixels.reshape(len(test.pixels), -1).astype(np.float64) / 255.0
    vectors = PCA(n_components=min(50, len(flat) - 1), random_state=0).fit_transform(flat)
    return {"strategy": "pixels-pca50",
            **score(vectors.astype(np.float32), labels, cnn_features=False)}


def write_report(out: Path, entries: list[dict], args: argparse.Namespace, device: str) -> None:
    (out / "report.json").write_text(json.dumps({"args": vars(args), "device": device,
                                                 "results": entries}, indent=1))
    lines = [f"# GPU training report ({device})", "",
             "| strategy | epochs | train s | ADP NMI defaults (K) | ADP NMI cosine kNN-10 (K) "
             "| k-means NMI | weights |", "|---|---|---|---|---|---|---|"]
    for e in entries:
        d, c = e["defaults"], e["cosine-knn10-maxk100"]
        lines.append(f"| {e['strategy']} | {e.get('epochs', '-')} | {e.get('train_s', '-')} | "
                     f"{d['nmi']:.3f} ({d['clusters']}) | {c['nmi']:.3f} ({c['clusters']}) | "
                     f"{e['kmeans_nmi']:.3f} | {e.get('weights', '-')} |")
    (out / "report.md").write_text("\n".join(lines) + "\n")


def split_for_return(weights: Path, parts: Path) -> list[Path]:
    """A float16 copy of a checkpoint, split into files of at most :data:`PART_BYTES`."""
    import io

    import torch

    payload = torch.load(weights, map_location="cpu", weights_only=True)
    payload["state_dict"] = {k: v.half() if v.is_floating_point() else v
                             for k, v in payload["state_dict"].items()}
    payload.pop("resume", None)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    parts.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(0, len(data), PART_BYTES):
        path = parts / f"{weights.stem}.part{i // PART_BYTES}"
        path.write_bytes(data[i:i + PART_BYTES])
        written.append(path)
    return written


def join_parts(parts: Path, library: Path) -> list[str]:
    """Reassemble every split checkpoint in ``parts`` (float32 again) and publish it."""
    import io
    import tempfile

    import torch

    from compute.train.library import publish_checkpoint

    names = []
    stems = sorted({p.name.rsplit(".part", 1)[0] for p in parts.glob("*.part*")})
    for stem in stems:
        chunks = sorted(parts.glob(f"{stem}.part*"), key=lambda p: int(p.name.rsplit("part", 1)[1]))
        payload = torch.load(io.BytesIO(b"".join(p.read_bytes() for p in chunks)),
                             map_location="cpu", weights_only=True)
        payload["state_dict"] = {k: v.float() if v.is_floating_point() else v
                                 for k, v in payload["state_dict"].items()}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{stem}.pt"
            torch.save(payload, path)
            names.append(publish_checkpoint(library, path).name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output folder for the report and parts (on the "
                        "device: $OUT)")
    parser.add_argument("--keep", help="folder for the checkpoints and the weights library "
                        "(default: --out; on the device a folder outside $OUT, which returns "
                        "only 8 files of at most 16 MiB)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--toy", action="store_true", help="300 training / 200 test images, "
                        "one short epoch each: the whole path in a minute on a CPU")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES),
                        choices=STRATEGIES)
    parser.add_argument("--minutes-scale", type=float, default=1.0,
                        help="multiply every strategy's training budget (RECIPES) by this")
    parser.add_argument("--input-size", type=int, default=32)
    parser.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--bring-back", nargs="*", default=[], choices=STRATEGIES,
                        help="split float16 copies of these checkpoints into parts/")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--join", help="a parts/ folder brought back: reassemble and publish "
                        "into --library")
    parser.add_argument("--library", help="with --join: the weights folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.join:
        print("\n".join(join_parts(Path(args.join), Path(args.library or "data/cache/weights"))))
        return 0
    if not args.out:
        parser.error("--out is required")
    from compute.torch_compat import check_device

    check_device(args.device, option="--device")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keep = Path(args.keep or out)
    train, test, labels = load_data(args)
    entries = [baseline(test, labels)]
    device = _describe(args.device)
    for strategy in args.strategies:
        entries.append(train_one(strategy, train, test, labels, args, keep))
        write_report(out, entries, args, device)  # after each: a cut-off run still reports
    for entry in entries[1:]:
        if entry["strategy"] in args.bring_back:
            split_for_return(keep / "weights" / entry["weights"], out / "parts")
    write_report(out, entries, args, device)
    print((out / "report.md").read_text())
    return 0


def _describe(device: str) -> str:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    return device


if __name__ == "__main__":
    raise SystemExit(main())
