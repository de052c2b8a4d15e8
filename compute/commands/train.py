"""``python -m compute train DIR --strategy S --out CKPT``: train a representation.

Image strategies (DIR is an image folder)::

    python -m compute train data/demo/images --labels data/demo/labels.csv \\
        --strategy finetune --input-size 32 --epochs 5 --out runs/finetune.pt

``adapt`` (no labels, minutes on a CPU) trains EfficientNet-Lite0's last block on its cached
ImageNet features by neighbour distillation; ``--backbone`` does not apply, ``--weights``
may name an earlier adapt checkpoint, the input is at least 96 px::

    python -m compute train data/demo/images --strategy adapt --epochs 10 --out runs/adapt.pt

The autoencoder trains on an embedding matrix instead (DIR is an ``.npy`` of shape (N, D),
e.g. ``embeddings.npy`` from ``python -m compute run``) and also writes the reduced
embeddings (``--codes``, default: CKPT with ``.codes.npy``)::

    python -m compute train out/embeddings.npy --strategy autoencoder --code-dim 12 \\
        --hidden 500,200 --epochs 50 --out runs/ae.pt

Every run writes its checkpoint after each epoch; ``--resume`` continues one up to
``--epochs`` with the checkpoint's learning-rate schedule (``--lr-schedule cosine`` decays
to 0 at ``--epochs``, so a cosine run resumes only to the same ``--epochs``). The embedder
loads the checkpoint by path and takes its input size and filter from the metadata.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "train"
HELP = "train a representation (finetune, triplet, deepcluster, simclr, adapt, autoencoder)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from compute.train import STRATEGIES
    from compute.train.backbone import FEATURE_DIMS

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__
    parser.add_argument("data", help="image folder, or an embeddings .npy for the autoencoder")
    parser.add_argument("--strategy", required=True, choices=STRATEGIES)
    parser.add_argument("--out", required=True, help="checkpoint file to write (.pt)")
    parser.add_argument("--labels", help="CSV with 'path' or 'id' and 'label' columns "
                        "(needed by finetune and triplet; monitored by deepcluster)")
    parser.add_argument("--backbone", default="resnet18", choices=sorted(FEATURE_DIMS))
    parser.add_argument("--weights", default="random",
                        help="start from: random, imagenet (needs internet) or a checkpoint")
    parser.add_argument("--input-size", type=int, help="network input crop (pixels; "
                        "default: from the image sizes, e.g. 32 for 28x28 images, at most 224)")
    parser.add_argument("--resize", type=int, help="resize before the crop (default: input "
                        "size x 256/224, as the seeds' 256 -> 224)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, help="learning rate (default: the strategy's)")
    add_schedule_arguments(parser)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1, mps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps-per-epoch", type=int, help="cap steps per epoch")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--resume", action="store_true", help="continue the --out checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    group = parser.add_argument_group("strategy options")
    group.add_argument("--validation", type=float, default=0.2, help="finetune: held-out share")
    group.add_argument("--augment", action="store_true", help="finetune: seeds' augmentation")
    group.add_argument("--margin", type=float, default=1.0, help="triplet: margin")
    group.add_argument("--per-class", type=int, default=4, help="triplet: images per class "
                       "in a batch")
    group.add_argument("--k", type=int, default=300, help="deepcluster: clusters")
    group.add_argument("--pca-dim", type=int, default=256, help="deepcluster: PCA dimensions")
    group.add_argument("--sobel", action="store_true", help="deepcluster/simclr: Sobel input")
    group.add_argument("--cluster-limit", type=int, help="deepcluster: images per epoch")
    group.add_argument("--temperature", type=float, help="simclr / adapt: InfoNCE tau "
                       "(default 0.5 / 0.2)")
    group.add_argument("--objective", choices=("neighbours", "simclr"), default="neighbours",
                       help="adapt: mutual-neighbour positives or SimCLR views")
    group.add_argument("--neighbours", type=int, default=10, help="adapt: k of the mutual "
                       "nearest neighbours")
    group.add_argument("--code-dim", type=int, default=16, help="autoencoder: code size (near "
                       "the intrinsic dimension)")
    group.add_argument("--hidden", default="500,200", help="autoencoder: hidden widths")
    group.add_argument("--tied", action="store_true", help="autoencoder: tie outer weights")
    group.add_argument("--codes", help="autoencoder: where to write the reduced embeddings")


def add_schedule_arguments(parser: argparse.ArgumentParser) -> None:
    """--lr-schedule, --warmup-epochs, --lr-step-size, --lr-gamma."""
    from compute.train.schedule import SCHEDULES

    parser.add_argument("--lr-schedule", choices=SCHEDULES, help="learning-rate schedule, "
                        "set before every step: constant, cosine decay to 0 at --epochs, or "
                        "step decay (default: constant; with --resume: the checkpoint's)")
    parser.add_argument("--warmup-epochs", type=float, default=0.0,
                        help="linear learning-rate warm-up, in epochs (fractions allowed)")
    parser.add_argument("--lr-step-size", type=int,
                        help="step schedule: epochs between decays (default: a third)")
    parser.add_argument("--lr-gamma", type=float, default=0.1,
                        help="step schedule: factor at each decay")


def schedule_config(args: argparse.Namespace) -> dict[str, object]:
    """TrainConfig's schedule fields from the flags of :func:`add_schedule_arguments`."""
    return {"lr_schedule": args.lr_schedule, "warmup_epochs": args.warmup_epochs,
            "lr_step_size": args.lr_step_size, "lr_gamma": args.lr_gamma}


def run(args: argparse.Namespace) -> int:
    from compute.progress import terminal_bar
    from compute.torch_compat import check_device

    check_device(args.device, option="--device")  # before minutes of loading images
    with terminal_bar(f"train {args.strategy}", enabled=not args.no_progress) as bar:
        if args.strategy == "autoencoder":
            meta = _run_autoencoder(args, bar)
        elif args.strategy == "adapt":
            meta = _run_adapt(args, bar)
        else:
            meta = _run_images(args, bar)
    last = meta.history[-1] if meta.history else {}
    print(f"{args.strategy}: {meta.epochs} epochs, last {json.dumps(last)}; "
          f"checkpoint {args.out}")
    return 0


def _run_images(args: argparse.Namespace, bar: object) -> object:
    from compute.train.data import stack_from_folder
    from compute.train.loop import train_images

    stack = stack_from_folder(args.data, args.labels, input_size=args.input_size,
                              resize=args.resize)
    config = _train_config(args)
    result = train_images(stack, strategy=args.strategy, out=args.out, config=config,
                          options=strategy_options(args),
                          input_filter="sobel" if args.sobel else "none",
                          resume=args.resume, progress=bar)  # type: ignore[arg-type]
    return result.metadata


def strategy_options(args: argparse.Namespace) -> object:
    """The strategy's options dataclass from the command-line flags."""
    if args.strategy == "finetune":
        from compute.train.finetune import FinetuneOptions

        return FinetuneOptions(validation=args.validation, augment=args.augment)
    if args.strategy == "triplet":
        from compute.train.triplet import TripletOptions

        return TripletOptions(margin=args.margin, per_class=args.per_class)
    if args.strategy == "deepcluster":
        from compute.train.deepcluster import DeepClusterOptions

        return DeepClusterOptions(k=args.k, pca_dim=args.pca_dim, cluster_limit=args.cluster_limit)
    from compute.train.simclr import SimCLROptions

    return SimCLROptions(**({} if args.temperature is None else
                            {"temperature": args.temperature}))


def _train_config(args: argparse.Namespace) -> object:
    from compute.train.loop import TrainConfig

    return TrainConfig(backbone=args.backbone, weights=args.weights, epochs=args.epochs,
                       batch_size=args.batch_size, lr=args.lr, momentum=args.momentum,
                       weight_decay=args.weight_decay, device=args.device, seed=args.seed,
                       steps_per_epoch=args.steps_per_epoch, threads=args.threads,
                       **schedule_config(args))  # type: ignore[arg-type]


def _run_adapt(args: argparse.Namespace, bar: object) -> object:
    from compute.train.adapt import MIN_INPUT_SIZE, AdaptOptions, train_adapt
    from compute.train.data import auto_input_size_of_folder, stack_from_folder

    size = args.input_size or max(MIN_INPUT_SIZE, auto_input_size_of_folder(args.data))
    stack = stack_from_folder(args.data, args.labels, input_size=size, resize=args.resize)
    options = AdaptOptions(objective=args.objective, n_neighbours=args.neighbours,
                           **({} if args.temperature is None else
                              {"temperature": args.temperature}))
    return train_adapt(stack, out=args.out, config=_train_config(args), options=options,
                       progress=bar).metadata  # type: ignore[arg-type]


def _run_autoencoder(args: argparse.Namespace, bar: object) -> object:
    import numpy as np

    from compute.train.autoencoder import AutoencoderOptions, train_autoencoder

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    path = Path(args.data)
    if path.suffix != ".npy" or not path.is_file():
        raise FileNotFoundError(f"the autoencoder trains on an embeddings .npy file; {path} is "
                                "not one (write one with `python -m compute run`)")
    try:
        hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    except ValueError as exc:
        raise ValueError(f"--hidden must be comma-separated widths like 500,200; got "
                         f"{args.hidden!r}") from exc
    options = AutoencoderOptions(hidden=hidden, code_dim=args.code_dim, tied=args.tied,
                                 epochs=args.epochs, batch_size=args.batch_size,
                                 lr=args.lr or 1e-3, seed=args.seed, device=args.device)
    result = train_autoencoder(np.load(path), out=args.out, options=options,
                               resume=args.resume, progress=bar)  # type: ignore[arg-type]
    codes = Path(args.codes) if args.codes else Path(args.out).with_suffix(".codes.npy")
    np.save(codes, result.codes)
    print(f"reduced embeddings {result.codes.shape} written to {codes}")
    return result.metadata
