"""Density-peak engine benchmark: our kNN / 2-NN / scale analysis / k* / PAk vs DADApy.

    python -m benchmarks.bench_density_peaks --n 50000 --method exact ivf
    python -m benchmarks.bench_density_peaks --n 200000 --method ivf --no-dadapy

Data (``make_clusters``): 10 Gaussian clusters of intrinsic dimension 8 embedded in D = 64.
Cluster c has a centre mu_c ~ N(0, 0.75^2 I_64) and an orthonormal basis Q_c (64 x 8, QR of
a Gaussian matrix); its points are mu_c + Q_c z with z ~ N(0, I_8); labels uniform over the
10 clusters; seed 0; float32. The file is written once to benchmarks/out/ and fed to both
sides unchanged.

Each side runs in its own process (ours: this interpreter; DADApy: venvs/dadapy, see
benchmarks/oracle/setup_dadapy_venv.sh) so ru_maxrss is that side's peak memory. Our numba
kernels are compiled (or loaded from cache) on a tiny input before timing; that warm-up is
reported separately. For approximate neighbour methods the script also reports recall@maxk
(1000 random queries vs exact search) and, when the exact graph is also computed in the
same run, the agreement (ARI) of ADP labels on the two graphs, each clustered by DADApy (its 2-NN,
k*, PAk and ADP at Z = 1.65, fed the graph's arrays). Writes a markdown table (stdout and --out).

ADP: ours is :func:`compute.peaks.adp` (steps 1-5, Z = 1.65) on our own graph and PAk
densities. Timings on a shared machine are noisy: re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
from benchmarks.timing import CPU, timed  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
DADAPY_PYTHON = ROOT / "venvs" / "dadapy" / "bin" / "python"
STEPS = ("knn", "two_nn", "kstar", "pak", "adp")  # the pipeline, in order
Z = 1.65


def make_clusters(n: int, *, n_clusters: int = 10, intrinsic_dim: int = 8, dim: int = 64,
                  centre_scale: float = 0.75, seed: int = 0) -> np.ndarray:
    """(n, dim) float32: Gaussian clusters on random intrinsic_dim-planes (module doc)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_clusters, n)
    centres = rng.normal(0.0, centre_scale, (n_clusters, dim))
    bases = np.stack([np.linalg.qr(rng.normal(size=(dim, intrinsic_dim)))[0]
                      for _ in range(n_clusters)])
    latent = rng.normal(size=(n, intrinsic_dim))
    points = centres[labels] + np.einsum("nij,nj->ni", bases[labels], latent)
    return points.astype(np.float32)


def data_file(n: int) -> Path:
    path = OUT / f"clusters_n{n}_d8_D64.npy"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        np.save(path, make_clusters(n))
    return path


# --------------------------------------------------------------------------- our side


def run_our_adp(knn, density, z: float):
    """Our ADP (peaks, saddles and merge at ``z``); returns the (N,) labels."""
    from compute.peaks import adp

    return adp(knn, density, z=z).labels


def our_worker(path: str, maxk: int, method: str, graph_out: str | None) -> dict:
    """Run our steps in this process; returns times (s), peak RSS and diagnostics."""
    from compute.graph.density import kstar_selection, pak_density
    from compute.graph.intrinsic_dim import id_scale_analysis, two_nn_dimension
    from compute.graph.knn import knn_graph, knn_recall

    if os.environ.get(SERIAL_KERNELS):
        from compute._parallel import stay_serial_in_this_process

        stay_serial_in_this_process()
    warm = make_clusters(3000, seed=1)  # big enough for every code path of the scale analysis
    _, warmup = timed(lambda: _pipeline(warm, 50, method))
    x = np.load(path)
    times: dict[str, float] = {}
    knn, times["knn"] = timed(lambda: knn_graph(x, maxk=maxk, method=method), "knn")
    dim, times["two_nn"] = timed(lambda: two_nn_dimension(knn).dimension, "two_nn")
    scale, times["id_scale"] = timed(lambda: id_scale_analysis(x, knn=knn), "id_scale")
    kstar, times["kstar"] = timed(lambda: kstar_selection(knn, intrinsic_dim=dim), "kstar")
    density, times["pak"] = timed(
        lambda: pak_density(knn, intrinsic_dim=dim, kstar=kstar), "pak")
    labels, adp_time = timed(lambda: run_our_adp(knn, density, Z), "adp")
    if labels is not None:
        times["adp"] = adp_time
    if labels is None:
        CPU.pop("adp")
    result = {"times": times, "cpu": dict(CPU), "warmup": warmup, "intrinsic_dim": dim,
              "scale_dims": np.round(scale.dimension_mean, 2).tolist(),
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if method != "exact":
        result["recall"], result["recall_time"] = timed(lambda: knn_recall(x, knn))
    if graph_out:
        np.savez(graph_out, distances=knn.distances, indices=knn.indices)
    return result


def _pipeline(x, maxk, method):
    from compute.graph.density import kstar_selection, pak_density
    from compute.graph.intrinsic_dim import id_scale_analysis, two_nn_dimension
    from compute.graph.knn import knn_graph

    knn = knn_graph(x, maxk=maxk, method=method)
    dim = two_nn_dimension(knn).dimension
    id_scale_analysis(x, knn=knn)
    density = pak_density(knn, intrinsic_dim=dim, kstar=kstar_selection(knn, intrinsic_dim=dim))
    run_our_adp(knn, density, Z)  # loads the numba cache of the ADP kernels


SINGLE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                         "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}
ENV: dict[str, str] = {}  # extra environment for both sides' processes (--single-thread)
SERIAL_KERNELS = "BENCH_SERIAL_KERNELS"  # our worker stays serial (--serial-kernels)


def run_process(command: list[str]) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT,
                          env={**os.environ, **ENV})
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ours(path: Path, maxk: int, method: str, graph_out: Path | None) -> dict:
    command = [sys.executable, __file__, "--worker", str(path), "--maxk", str(maxk),
               "--method", method]
    if graph_out:
        command += ["--graph-out", str(graph_out)]
    return run_process(command)


def dadapy(path: Path, maxk: int, scale: bool) -> dict:
    if not DADAPY_PYTHON.exists():
        raise FileNotFoundError("venvs/dadapy missing: run benchmarks/oracle/setup_dadapy_venv.sh")
    command = [str(DADAPY_PYTHON), "benchmarks/oracle/dadapy_worker.py", str(path),
               "--maxk", str(maxk)] + (["--scale"] if scale else [])
    return run_process(command)


def adp_agreement(exact: Path, approx: Path, maxk: int) -> dict:
    """ARI of DADApy's ADP labels on the two graphs; {"error": ...} if DADApy fails (its
    compiled ADP can crash on large inputs, DADApy issue 165)."""
    try:
        return run_process([str(DADAPY_PYTHON), "benchmarks/oracle/dadapy_worker.py", "-",
                            "--maxk", str(maxk), "--adp-graphs", str(exact), str(approx)])
    except RuntimeError as exc:
        return {"error": str(exc).strip().splitlines()[-1]}


# --------------------------------------------------------------------------- report


def pipeline_total(times: dict[str, float]) -> float:
    return sum(times.get(step, 0.0) for step in STEPS)


def table(n: int, runs: dict[str, dict], reference: dict | None, key: str = "times") -> str:
    rows = ["| step | " + " | ".join(f"ours ({m})" for m in runs)
            + (" | DADApy | " + " | ".join(f"ratio ({m})" for m in runs) if reference else "")
            + " |"]
    rows.append("|---" * (1 + len(runs) * (2 if reference else 1) + (1 if reference else 0))
                + "|")
    ref_times = reference[key] if reference else {}
    for step in (*STEPS, "id_scale", "pipeline"):
        cells = []
        for run in runs.values():
            value = pipeline_total(run[key]) if step == "pipeline" else run[key].get(step)
            cells.append("n/a" if value is None else f"{value:.2f}")
        if reference:
            ref = pipeline_total(ref_times) if step == "pipeline" else ref_times.get(step)
            cells.append("n/a" if ref is None else f"{ref:.2f}")
            for run in runs.values():
                mine = pipeline_total(run[key]) if step == "pipeline" else run[key].get(step)
                cells.append("n/a" if (mine is None or ref is None)
                             else f"{ref / max(mine, 1e-9):.1f}x")
        rows.append(f"| {step} | " + " | ".join(cells) + " |")
    memory = [f"{run['peak_rss_mb']:.0f}" for run in runs.values()]
    if reference:
        memory += [f"{reference['peak_rss_mb']:.0f}"] + [""] * len(runs)
    rows.append("| peak RSS (MiB) | " + " | ".join(memory) + " |")
    what = "wall-clock seconds" if key == "times" else "process CPU seconds (all threads)"
    head = f"N = {n}, D = 64, intrinsic dimension 8, 10 clusters, maxk = 100: {what}"
    return head + "\n\n" + "\n".join(rows)


def notes(runs: dict[str, dict], reference: dict | None, agreement: dict) -> list[str]:
    lines = ["pipeline = knn + two_nn + kstar + pak (+ adp when both sides have it); "
             "id_scale is timed apart."]
    for method, run in runs.items():
        line = (f"ours ({method}): 2-NN d = {run['intrinsic_dim']:.3f}, numba warm-up "
                f"{run['warmup']:.2f} s (not in the table)")
        if "recall" in run:
            line += f", recall@100 = {run['recall']:.4f}"
        if method in agreement and "error" in agreement[method]:
            line += f", ADP agreement not measured: DADApy failed ({agreement[method]['error']})"
        elif method in agreement:
            a = agreement[method]
            line += (f", ADP labels (DADApy ADP, Z = {Z}) vs exact graph: ARI = {a['ari']:.4f}"
                     f" ({a['n_clusters'][1]} vs {a['n_clusters'][0]} clusters)")
        lines.append(line)
        lines.append(f"ours ({method}) scale analysis d per level: {run['scale_dims']}")
    if reference:
        lines.append(f"DADApy: 2-NN d = {reference['intrinsic_dim']:.3f}, "
                     f"{reference['n_clusters']} clusters at Z = {Z}")
    if reference and "adp" not in next(iter(runs.values()))["times"]:
        lines.append("ADP: ours not merged yet (hook run_our_adp); the pipeline ratio "
                     "compares ours without ADP to DADApy with ADP.")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50000])
    parser.add_argument("--maxk", type=int, default=100)
    parser.add_argument("--method", nargs="+", default=["exact", "ivf"],
                        choices=["exact", "ivf", "hnsw"])
    parser.add_argument("--no-dadapy", action="store_true", help="skip the DADApy side")
    parser.add_argument("--dadapy-scale", action="store_true",
                        help="also time DADApy's ID scale analysis (slow: ~1 min at 50k)")
    parser.add_argument("--single-thread", action="store_true",
                        help="run both sides on one thread (OMP/BLAS/numba): CPU times then "
                        "compare cleanly on a busy machine")
    parser.add_argument("--serial-kernels", action="store_true",
                        help="our side runs its numba kernels serially, as the dashboard's "
                        "server does (compute._parallel); implies --no-dadapy")
    parser.add_argument("--out", default=str(OUT / "density_peaks.md"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--graph-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single_thread:
        ENV.update(SINGLE_THREAD)
    if args.serial_kernels:
        ENV[SERIAL_KERNELS] = "1"
        args.no_dadapy = True
    if args.worker:
        print(json.dumps(our_worker(args.worker, args.maxk, args.method[0], args.graph_out)))
        return 0
    sections = [f"Command: `python -m benchmarks.bench_density_peaks {' '.join(sys.argv[1:])}`",
                f"Machine: {platform.machine()} {platform.processor() or ''}, "
                f"{_cores()} cores; date {datetime.date.today().isoformat()}"]
    for n in args.n:
        path = data_file(n)
        runs, graphs = {}, {}
        for method in args.method:
            graphs[method] = OUT / f"graph_n{n}_{method}.npz"
            runs[method] = ours(path, args.maxk, method, graphs[method])
            print(f"N={n} ours {method}: {runs[method]}", file=sys.stderr)
        reference = None if args.no_dadapy else dadapy(path, args.maxk, args.dadapy_scale)
        if reference:
            print(f"N={n} dadapy: {reference}", file=sys.stderr)
        agreement = {}
        if "exact" in graphs and DADAPY_PYTHON.exists():
            for method in args.method:
                if method != "exact":
                    agreement[method] = adp_agreement(graphs["exact"], graphs[method],
                                                      args.maxk)
        sections.append(table(n, runs, reference))
        sections.append(table(n, runs, reference, key="cpu"))
        sections.extend(f"- {line}" for line in notes(runs, reference, agreement))
    text = "\n\n".join(sections) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    return 0


def _cores() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main())
