"""Do collapsed near-duplicate copies give clusters about content? (issue 15, item 6)

    nice -n 10 python -m benchmarks.bench_collapse_copies [--copies 3] [--seed 0]
                                                          [--backbone auto] [--work DIR]

A folder like the seeds' SEM archive, where many frames are shifted crops of a few
micrographs: the 14 full SEM nanowire frames of ``../shared/data/sem-nanowires``, each with
``--copies`` shifted crops (75-95 % of each side, half re-saved as JPEG; as in
``bench_near_duplicates``), and the folder's 84 real tiles (a sixth of a frame each, not
copies: pieces). Label = the nanowire pitch of the file name (8 pitches); the micrograph a
frame was cut from is known too.

The same folder is analysed twice with the default parameters, copies kept and copies
collapsed (:attr:`compute.params.AnalysisParams.collapse_copies`), on the same cached
embedding. Printed per run: the near-duplicate groups found, the clusters, the halo share,
NMI against the pitch and against the source micrograph, and how many copy groups are
split over several clusters.
"""

from __future__ import annotations

import argparse
import csv
import re
import tempfile
import time
from pathlib import Path

import numpy as np


def write_folder(folder: Path, copies: int, seed: int) -> Path:
    """The frames, their shifted copies and the tiles as PNGs; a labels CSV (path, label,
    micrograph). Returns the labels file."""
    from benchmarks.bench_near_duplicates import sem_items

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for k, (kind, source, image) in enumerate(sem_items(copies, seed)):
        name = f"{kind}-{source}-{k:03d}.png"
        image.save(folder / name)
        pitch = re.match(r"(\d+)nm", source).group(1)
        rows.append({"path": name, "label": f"{pitch} nm", "micrograph": source})
    labels = folder.parent / "labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["path", "label", "micrograph"])
        writer.writeheader()
        writer.writerows(rows)
    return labels


def one_run(images: Path, labels: Path, cache: Path, backbone: str, collapse: bool) -> dict:
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from compute.params import AnalysisParams
    from compute.pipeline import PipelineConfig, analyse_folder

    config = PipelineConfig(images=str(images), labels=str(labels), backbone=backbone,
                            scales=False, analysis=AnalysisParams(collapse_copies=collapse))
    start = time.perf_counter()
    analysis = analyse_folder(config, cache_dir=cache)
    seconds = time.perf_counter() - start
    with labels.open() as fh:
        source_of = {r["path"]: r["micrograph"] for r in csv.DictReader(fh)}
    rows = analysis.dataset.usable
    pitch = np.array([r.label for r in rows])
    source = np.array([source_of[Path(r.path).name] for r in rows])
    clusters = analysis.topography.clustering.labels
    copies = analysis.near_duplicates
    split = sum(len(set(clusters[copies.group == g].tolist())) > 1
                for g in range(copies.n_groups))
    return {"copies": "collapsed" if collapse else "kept", "images": len(rows),
            "distinct rows": analysis.topography.n_distinct,
            "groups": f"{copies.n_groups} ({copies.n_in_groups} images)",
            "clusters": analysis.topography.clustering.n_clusters,
            "Z": analysis.params.z,
            "halo": f"{analysis.topography.clustering.is_halo.mean():.0%}",
            "NMI pitch": round(nmi(pitch, clusters), 3),
            "NMI micrograph": round(nmi(source, clusters), 3),
            "groups split": split, "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3, help="shifted copies per frame")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backbone", default="auto")
    parser.add_argument("--work", type=Path, help="folder for the images and the cache "
                                                    "(default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="topograph-copies-") as tmp:
        work = args.work or Path(tmp)
        images = work / "images"
        labels = write_folder(images, args.copies, args.seed)
        results = [one_run(images, labels, work / "cache", args.backbone, collapse)
                   for collapse in (False, True)]
    keys = list(results[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in results:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
