"""``python -m compute quality EMB.npy --labels LABELS --out DIR``: representation quality.

LABELS is a CSV with a ``label`` column: with a ``row`` column (e.g. the ``manifest.csv``
that ``python -m compute run`` writes next to ``embeddings.npy``) labels go to those rows;
without one, the CSV has one line per embedding row, in order. Empty labels mean unknown.
Writes DIR/quality.json (Pearson r with the label distance, NMI/AMI/ARI of ADP with the
analysis flags of every command, and of k-means, agglomerative and HDBSCAN references)
and DIR/heatmap.png (distances of a class-balanced sample, sorted by label, class blocks
outlined); with --grid also DIR/grid.csv and DIR/curves.csv (the seeds' density x Z grid and
NMI against the number of clusters).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from compute.options import add_analysis_arguments, analysis_params, embedding_is_cnn

NAME = "quality"
HELP = "representation-quality report of an embedding against known labels"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__
    parser.add_argument("embeddings", help="(N, D) embeddings .npy")
    parser.add_argument("--labels", required=True, help="CSV with 'label' (and 'row') columns")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--per-class", type=int, default=100, help="heatmap sample per class")
    parser.add_argument("--no-adp", action="store_true", help="the references only (no ADP)")
    parser.add_argument("--grid", action="store_true",
                        help="also write grid.csv (ADP NMI/AMI/ARI for PAk and kNN-k densities "
                             "x Z) and curves.csv (NMI against the number of clusters: "
                             "agglomerative cuts, over-split classes, chance)")
    add_analysis_arguments(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def read_row_labels(path: str | Path, n_rows: int) -> list[str | None]:
    """One label (or None) per embedding row from a CSV (see the module docstring)."""
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or ())
        if "label" not in cols:
            raise ValueError(f"labels file {path} needs a 'label' column; found {sorted(cols)}")
        rows = list(reader)
    labels: list[str | None] = [None] * n_rows
    if "row" in cols:
        for r in rows:
            if r["row"].strip() and r["label"].strip():
                i = int(r["row"])
                if not 0 <= i < n_rows:
                    raise ValueError(f"row {i} in {path} is outside the {n_rows} embeddings")
                labels[i] = r["label"].strip()
        return labels
    if len(rows) != n_rows:
        raise ValueError(f"{path} has {len(rows)} labels for {n_rows} embeddings: give one per "
                         "row in order, or add a 'row' column")
    return [r["label"].strip() or None for r in rows]


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd
    from PIL import Image

    from compute.arrays import metric_points
    from compute.evaluation.quality import heatmap_rgb, quality_report, selection_tables
    from compute.peaks.topography import analyse
    from compute.progress import terminal_bar

    path = Path(args.embeddings)
    if not path.is_file():
        raise FileNotFoundError(f"embeddings file {path} does not exist")
    vectors = np.load(path)
    labels = read_row_labels(args.labels, len(vectors))
    if args.grid and args.no_adp:
        raise ValueError("--grid scores ADP: drop --no-adp")
    params = analysis_params(args).resolved(cnn_features=embedding_is_cnn(path))
    with terminal_bar("quality", enabled=not args.no_progress) as bar:
        topography = None if args.no_adp else analyse(vectors, params, progress=bar)
        params = params if topography is None else topography.params  # the suggested Z
        report = quality_report(vectors, labels, params=params, per_class=args.per_class,
                                with_adp=not args.no_adp, topography=topography,
                                random_state=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "quality.json").write_text(json.dumps(report.summary(), indent=1), encoding="utf-8")
    cell = max(1, 600 // max(len(report.heatmap.rows), 1))
    Image.fromarray(heatmap_rgb(report.heatmap, cell=cell)).save(out / "heatmap.png")
    if args.grid:
        grid, curves = selection_tables(metric_points(vectors, params.metric), labels,
                                        topography=topography, random_state=args.seed)
        pd.DataFrame(grid).to_csv(out / "grid.csv", index=False)
        pd.DataFrame(curves).to_csv(out / "curves.csv", index=False)
    for c in report.clusters:
        print(f"{c.method}: {c.n_clusters} clusters, NMI {c.scores.nmi:.3f} "
              f"AMI {c.scores.ami:.3f} ARI {c.scores.ari:.3f}")
    print(f"Pearson r (distance vs label distance): {report.pearson_r:.3f}; written to {out}")
    return 0

