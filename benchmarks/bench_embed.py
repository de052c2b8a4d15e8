"""Embedding speed and memory (issue 4). One command reproduces every number:

    python -m benchmarks.bench_embed all            # throughput + memory, a markdown report
    python -m benchmarks.bench_embed throughput --n 256
    python -m benchmarks.bench_embed memory --sizes 2000 20000

throughput: for each backbone, images per second of the bare model's forward pass on a
ready batch vs end to end (decode + preprocess in DataLoader workers + forward + store), at
the same batch size, on two kinds of files: Fashion-MNIST PNGs (28x28, decoding is almost
free) and the real SEM nanowire PNGs (1024x688 and 341x344, decoding costs).

memory: peak resident memory of ``python -m compute embed`` on N Fashion-MNIST images
(train split, written as PNGs once) for N = 2 000 and 20 000, with ResNet-18 at a smaller
input (``--memory-input-size``, default 112 px, a quarter of the 224 px work) so that
20 000 images finish on 2 shared cores; memory must not grow with N.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FASHION = Path("/usr/share/datasets/fashion-mnist")
NANOWIRES = REPO.parent / "shared" / "data" / "sem-nanowires"
BACKBONES = ("resnet18", "resnet50", "efficientnet_lite0")


def fashion_folder(n: int, root: Path) -> Path:
    """``root/fmnist-<n>``: the first ``n`` train images as PNGs (written once)."""
    from PIL import Image

    from data.make_demo import read_idx

    folder = root / f"fmnist-{n}"
    done = folder / ".complete"
    if done.exists():
        return folder
    images = read_idx(FASHION / "train-images-idx3-ubyte.gz")[:n]
    for i, image in enumerate(images):
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(sub / f"{i:05d}.png")
    done.write_text(f"{n}\n")
    return folder


def _records(folder: Path, n: int):
    """A dataset and ``n`` of its usable records (repeated if the folder has fewer)."""
    from compute.ingest import scan_folder

    dataset = scan_folder(folder, workers=2, detect_bars=False)
    usable = dataset.usable
    return dataset, tuple(usable[i % len(usable)] for i in range(n))


def _cpu_seconds() -> float:
    """CPU time of this process and its reaped children (DataLoader workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``fn()``."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    fn()
    return time.perf_counter() - wall, _cpu_seconds() - cpu


def bare_forward(model, *, n: int, batch_size: int, input_size: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the forward pass alone on ``n`` images in ready batches."""
    import torch

    x = torch.randn(batch_size, 3, input_size, input_size)

    def run() -> None:
        with torch.inference_mode():
            for _ in range(n // batch_size):
                model(x)

    return _timed(run)


def end_to_end(model, dataset, records, *, batch_size: int, workers: int) -> tuple[float, float]:
    """(wall, CPU) seconds of decode + preprocess + forward + store for ``records``."""
    from compute.embed import FeatureStore
    from compute.embed.extract import extract_missing

    def run() -> None:
        extract_missing(dataset, records, model=model.module,
                        preprocessing=model.preprocessing,
                        store=FeatureStore(None, dim=model.dim), batch_size=batch_size,
                        workers=workers)

    return _timed(run)


def throughput(args: argparse.Namespace) -> list[dict]:
    """Forward and end-to-end runs alternate ``--rounds`` times; medians are reported, so
    a burst of load from other processes hits both sides alike."""
    import torch

    from compute.embed import prepare_model

    sources = {"fashion-mnist 28x28 PNG": fashion_folder(2000, Path(args.data_dir))}
    if NANOWIRES.is_dir():
        sources["SEM nanowires 1024x688/341x344 PNG"] = NANOWIRES
    n = args.n - args.n % args.batch_size
    rows = []
    for backbone in args.backbones:
        model = prepare_model(backbone, weights="random")
        with torch.inference_mode():
            model.module(torch.randn(args.batch_size, 3, 224, 224))  # warm-up
        for name, folder in sources.items():
            dataset, records = _records(folder, n)
            runs = [(bare_forward(model.module, n=n, batch_size=args.batch_size,
                                  input_size=224),
                     end_to_end(model, dataset, records, batch_size=args.batch_size,
                                workers=args.workers)) for _ in range(args.rounds)]
            fwd_wall = float(np.median([f[0] for f, _ in runs]))
            e2e_wall = float(np.median([e[0] for _, e in runs]))
            fwd_cpu = float(np.median([f[1] for f, _ in runs]))
            e2e_cpu = float(np.median([e[1] for _, e in runs]))
            rows.append({"backbone": backbone, "data": name, "n": n,
                         "batch_size": args.batch_size, "workers": args.workers,
                         "rounds": args.rounds,
                         "forward_img_s": round(n / fwd_wall, 1),
                         "end_to_end_img_s": round(n / e2e_wall, 1),
                         "ratio": round(fwd_wall / e2e_wall, 3),
                         "forward_cpu_ms_per_img": round(1000 * fwd_cpu / n, 1),
                         "end_to_end_cpu_ms_per_img": round(1000 * e2e_cpu / n, 1)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def peak_memory(args: argparse.Namespace) -> list[dict]:
    rows = []
    for n in args.sizes:
        folder = fashion_folder(n, Path(args.data_dir))
        out = Path(args.data_dir) / f"embed-{n}"
        command = [sys.executable, "-m", "compute", "embed", str(folder), "--out", str(out),
                   "--model", "resnet18", "--weights", "random",
                   "--input-size", str(args.memory_input_size),
                   *(["--threads", str(args.threads)] if args.threads else []),
                   "--workers", str(args.workers), "--cache-dir", str(out / f"cache-{time.time()}"),
                   "--no-progress"]
        start = time.perf_counter()
        main_peak, tree_peak = _run_and_watch(command)
        seconds = time.perf_counter() - start
        rows.append({"n": n, "input_size": args.memory_input_size,
                     "seconds": round(seconds, 1), "img_s": round(n / seconds, 1),
                     "peak_rss_main_mib": round(main_peak / 2**20),
                     "peak_rss_all_processes_mib": round(tree_peak / 2**20)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _run_and_watch(command: list[str]) -> tuple[int, int]:
    """Run ``command``; peak RSS of its main process and of its whole process tree."""
    import psutil

    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    peaks = [0, 0]

    def watch() -> None:
        parent = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                main = parent.memory_info().rss
                tree = main + sum(c.memory_info().rss for c in parent.children(recursive=True))
            except psutil.Error:
                continue
            peaks[0], peaks[1] = max(peaks[0], main), max(peaks[1], tree)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    if proc.wait() != 0:
        raise SystemExit(f"command failed: {' '.join(command)}")
    watcher.join()
    return peaks[0], peaks[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("throughput", "memory", "all"))
    parser.add_argument("--n", type=int, default=128, help="images per throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating repeats")
    parser.add_argument("--memory-input-size", type=int, default=112,
                        help="network input side for the memory runs (ResNet-18)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int,
                        help="torch threads (default: torch's choice, one per core)")
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES))
    parser.add_argument("--sizes", nargs="+", type=int, default=[2000, 20000])
    parser.add_argument("--data-dir", default="/tmp/topograph-bench")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    report = {"date": datetime.now(UTC).isoformat(timespec="minutes"),
              "machine": f"{os.cpu_count()}-core CPU, {platform.machine()}",
              "torch_threads": torch.get_num_threads(), "command": " ".join(sys.argv)}
    if args.what in ("throughput", "all"):
        report["throughput"] = throughput(args)
    if args.what in ("memory", "all"):
        report["memory"] = peak_memory(args)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
