"""``python -m compute representations IMAGES [--labels L]``: which representation?

Embeds the folder with every available representation (raw pixels, EfficientNet-Lite0's
ImageNet weights, each checkpoint of ``--weights-dir``, and any ``--also
BACKBONE:WEIGHTS[:INPUT_PX]``), analyses each with the same analysis flags, and prints one
row each: label-free scores (ADP hierarchy significance, neighbour consistency under
augmentation, 2-NN intrinsic dimension) and, with labels, NMI / AMI / ARI; then the
suggestion. ``--out DIR`` writes DIR/representations.csv and DIR/representations.json::

    python -m compute representations data/demo/images --labels data/demo/labels.csv \\
        --weights-dir data/cache/weights --also resnet18:random --out out/reps

Embeddings are cached per image under ``--cache-dir`` (the dashboard's cache by default).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from compute.options import add_analysis_arguments, analysis_params

NAME = "representations"
HELP = "compare every available representation of a folder and suggest one"
COLUMNS = ("name", "kind", "dim", "n_clusters", "significance", "consistency",
           "intrinsic_dim", "nmi", "ami", "ari", "seconds", "error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__
    parser.add_argument("images", help="image folder")
    parser.add_argument("--labels", help="CSV with 'path' or 'id' and 'label' (optional)")
    parser.add_argument("--weights-dir", help="weights library: every checkpoint in it is "
                        "compared (default: CACHE_DIR/weights)")
    parser.add_argument("--also", action="append", default=[], metavar="BACKBONE:WEIGHTS",
                        help="one more candidate, e.g. resnet18:random or "
                             "efficientnet_lite0:imagenet:96 (repeatable)")
    parser.add_argument("--no-library", action="store_true",
                        help="only pixels, ImageNet and --also (no weights library)")
    parser.add_argument("--only-also", action="store_true",
                        help="only the --also candidates (e.g. pixels:none, "
                             "efficientnet_lite0:imagenet:96)")
    parser.add_argument("--cache-dir", default="data/cache", help="embedding/step cache")
    parser.add_argument("--sample", type=int, default=256,
                        help="images in the augmentation-consistency sample")
    add_analysis_arguments(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="folder for representations.csv / .json")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from compute.cache import StepCache
    from compute.evaluation.representations import (
        compare_representations,
        library_candidates,
        parse_candidate,
        rank_agreement,
    )
    from compute.ingest import scan_folder
    from compute.progress import terminal_bar

    cache_dir = Path(args.cache_dir)
    weights_dir = None if args.no_library else Path(args.weights_dir or cache_dir / "weights")
    also = [parse_candidate(s) for s in args.also]
    candidates = also if args.only_also else library_candidates(weights_dir) + also
    if not candidates:
        raise ValueError("--only-also needs at least one --also BACKBONE:WEIGHTS")
    dataset = scan_folder(args.images, labels_csv=args.labels, cache_dir=cache_dir / "scan")
    with terminal_bar("representations", enabled=not args.no_progress) as bar:
        comparison = compare_representations(
            dataset, candidates, params=analysis_params(args),
            cache=StepCache(cache_dir / "steps"), sample=args.sample, random_state=args.seed,
            progress=bar)
    table = pd.DataFrame(comparison.table())[list(COLUMNS)]
    print(f"{len(dataset.usable)} images, {comparison.n_labelled} labelled; analysis: "
          f"{comparison.params.describe()}")
    print(table.drop(columns="error").to_string(index=False, float_format="%.3f"))
    for row in comparison.rows:
        if row.error:
            print(f"{row.name}: not scored ({row.error})")
    agreement = rank_agreement(comparison.rows) if comparison.n_labelled else {}
    if agreement:
        print("Spearman with NMI (n/a: fewer than 3 rows or ties): " + ", ".join(
            f"{k} {'n/a' if v is None else f'{v:+.2f}'}" for k, v in agreement.items()))
    if comparison.suggestion:
        s = comparison.suggestion
        print(f"suggested: {s.name} ({s.reason})")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "representations.csv", index=False)
        (out / "representations.json").write_text(json.dumps(
            {**comparison.summary(), "spearman_with_nmi": agreement}, indent=1),
            encoding="utf-8")
        print(f"written to {out}")
    return 0
