"""Two experts name the same cluster at the same moment, each through another server
process of one deployment: one save wins, the other gets the conflict message, no name
is lost.

    python -m benchmarks.two_experts [--rounds 50]

Starts two ``python app.py`` processes on one cache folder and one names database (what
the workers of ``python app.py --serve`` share), computes the analysis of 40 generated
images, then ``--rounds`` times: both experts read the card of the same cluster and press
Save at once (a barrier), one through each process. Counts saves and conflict messages
and checks the database's history against the acknowledged saves. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from compute.naming import NameStore
from explorer import ids
from explorer.config import AppConfig
from tests.appserver import running_app
from tests.dashclient import DashPage
from tests.explorer.test_production import analysis_body, blob_args
from tests.naming_race import editing_of, race


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="two-experts-") as tmp:
        root = Path(tmp)
        app_args = blob_args(root)
        with running_app(app_args, log=root / "a.log") as (url_a, _a), \
                running_app(app_args, log=root / "b.log") as (url_b, _b):
            return run(args, root, url_a, url_b)


def run(args, root: Path, url_a: str, url_b: str) -> int:
    config = AppConfig(images=root / "images", labels=root / "images-labels.csv",
                       cache_dir=root / "cache", names_db=root / "names.sqlite")
    page = DashPage(url_a)
    body = analysis_body(page, maxk=10)
    key = page.wait(body, page.start(body), timeout=300)[1]["response"][ids.RUN_KEY]["data"]
    pages = (page, page.on(url_b))
    outcomes: Counter = Counter()
    for number in range(args.rounds):
        result = race(pages, key, editing_of(config, key), (f"ana {number}", f"bo {number}"),
                      ("ana", "bo"))
        outcomes[(result.saved, result.conflicts)] += 1
    history = NameStore(config.names_db).history()
    acknowledged = sum(saved * n for (saved, _c), n in outcomes.items())
    print(f"\n{args.rounds} rounds, two server processes, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}\n")
    print("| round outcome | rounds |")
    print("|---|---|")
    for (saved, conflicts), n in sorted(outcomes.items()):
        print(f"| {saved} saved, {conflicts} conflict message(s) | {n} |")
    print(f"| saves acknowledged / versions in the history / lost | {acknowledged} / "
          f"{len(history)} / {acknowledged - len(history)} |")
    good = outcomes[(1, 1)] == args.rounds and acknowledged == len(history)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
