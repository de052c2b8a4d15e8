"""How long until ``python app.py`` (no arguments: the demo) shows its first page?

    nice -n 10 python -m benchmarks.bench_first_page [--backbone auto] [--rounds 1]

Starts ``python app.py`` with a fresh cache folder (nothing computed yet), as a new user
does, opens it in headless Chromium and times, from the process start: the server
answering, and the latent-space scatter drawn with the demo's clusters (the first page),
and the CPU seconds the server and its job workers spent until then (on a shared machine
the wall times follow the load; on 2 idle cores the wall time is at least half the CPU).
The default representation's features come from the demo's shipped file
(``data/demo/images/.topograph``); ``--backbone pixels`` times the pixel baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.appserver import running_app
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

SCATTER_DRAWN = ("() => { const g = document.querySelector('#latent-scatter .js-plotly-plot');"
                 " return g && g._fullData && g._fullData.length > 3; }")


def first_page(backbone: str) -> tuple[float, float, float]:
    """(seconds until the server answers, seconds until the scatter is drawn, CPU seconds
    the server and its job workers spent until then)."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        args = ["--cache-dir", cache, "--names", str(Path(cache) / "names.sqlite"),
                "--backbone", backbone]
        with running_app(args, log=Path(cache) / "app.log") as (url, proc):
            served = time.perf_counter() - start
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url)
                page.wait_for_function(SCATTER_DRAWN, timeout=600_000)
                drawn = time.perf_counter() - start
                cpu = _cpu_seconds(proc.pid)
                browser.close()
    return served, drawn, cpu


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, its living descendants and the children
    they have reaped (finished job workers)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="auto")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    for k in range(args.rounds):
        served, drawn, cpu = first_page(args.backbone)
        print(f"round {k + 1}, backbone {args.backbone}: server answers after {served:.1f} s, "
              f"first page (scatter drawn) after {drawn:.1f} s; server and workers used "
              f"{cpu:.1f} CPU-s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
