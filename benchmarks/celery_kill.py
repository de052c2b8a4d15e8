"""A Celery worker killed again and again mid-job: every job ends with a message, none
hangs, no name is lost.

    python -m benchmarks.celery_kill [--kills 100] [--whole-every 10]

Starts a real ``redis-server``, the app with ``--redis`` (``tests.e2e.faulty_app``: the
analysis with max k = 14 runs forever, beating into a file) and ``celery -A
tests.e2e.faulty_celery worker``, on 40 generated images in a temporary folder. Then,
``--kills`` times: start the endless analysis, wait until it runs, ``kill -9`` the pool
process running it (every ``--whole-every``-th time the whole worker, master and pool,
which is then started again), and poll until the job's message shows. Meanwhile a thread
saves a new version of a cluster's name every 0.2 s through the web server; at the end the
names database must hold every version the server acknowledged. Finally a normal job must
run on the (restarted) worker. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from compute.naming import NameStore
from explorer import ids
from explorer.config import AppConfig
from tests.dashclient import DashPage
from tests.deployment import CeleryWorker, NameSaver, faulty_deployment, kill_jobs
from tests.e2e.faulty_app import ENDLESS_K
from tests.explorer.test_production import analysis_body

QUICK_K = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--whole-every", type=int, default=10,
                        help="kill the whole worker every N-th time (0: never)")
    args = parser.parse_args(argv)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="celery-kill-") as tmp:
        root = Path(tmp)
        with faulty_deployment(root) as (url, _proc, worker, heartbeat):
            return run(args, url, worker, heartbeat, root, load_before)


def run(args, url: str, worker: CeleryWorker, heartbeat: Path, root: Path,
        load_before: str) -> int:
    config = AppConfig(images=root / "images", labels=root / "images-labels.csv",
                       cache_dir=root / "cache", names_db=root / "names.sqlite")
    page = DashPage(url)
    quick = analysis_body(page, maxk=QUICK_K)
    key = page.wait(quick, page.start(quick), timeout=300)[1]["response"][ids.RUN_KEY]["data"]
    saver = NameSaver(page, config, key)
    start = time.perf_counter()
    saver.start()
    try:
        tally = kill_jobs(page, worker, heartbeat, kills=args.kills,
                          whole_every=args.whole_every, body=analysis_body(page, maxk=ENDLESS_K),
                          report=_progress)
    finally:
        saver.stop()
    wall = time.perf_counter() - start
    after = page.wait(quick, page.start(analysis_body(page, maxk=QUICK_K + 1)), timeout=300)
    final_ok = f'"maxk": {QUICK_K + 1}' in after[1]["response"][ids.RUN_KEY]["data"]
    stored = len(NameStore(config.names_db).history())
    report(args, tally, saver, stored, final_ok, wall, load_before)
    lost = saver.acknowledged - stored
    return 0 if tally.hung == 0 and lost == 0 and final_ok else 1


def report(args, tally, saver, stored: int, final_ok: bool, wall: float,
           load_before: str) -> None:
    kinds = Counter(_kind(m) for m in tally.messages)
    print(f"\n{args.kills} kills ({tally.whole_worker_kills} of the whole worker), "
          f"{wall:.0f} s, {os.cpu_count()} CPUs, load average before/after {load_before} / "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}\n")
    print("| what | count |")
    print("|---|---|")
    for kind, count in sorted(kinds.items()):
        print(f"| job ended with: {kind} | {count} |")
    print(f"| jobs that hung (no message within 60 s) | {tally.hung} |")
    if tally.seconds:
        print(f"| kill -> message, median / max | {statistics.median(tally.seconds):.1f} s / "
              f"{max(tally.seconds):.1f} s |")
    print(f"| names acknowledged / in the database / lost | {saver.acknowledged} / {stored} / "
          f"{saver.acknowledged - stored} |")
    print(f"| name saves refused | {len(saver.errors)} |")
    print(f"| a new job after the last kill finished | {'yes' if final_ok else 'NO'} |")


def _progress(number: int, message: str | None, seconds: float) -> None:
    print(f"kill {number}: {_kind(message)} after {seconds:.1f} s", flush=True)


def _kind(message: str | None) -> str:
    if message is None:
        return "(none: hung)"
    if "killed by SIGKILL" in message:
        return "'... killed by SIGKILL ...' (pool process)"
    if "Celery worker died" in message:
        return "'... its Celery worker died ...' (whole worker)"
    return message[:80]


if __name__ == "__main__":
    sys.exit(main())
