"""Bounded load test: concurrent sessions recolouring and fetching thumbnails, on loopback.

    python -m benchmarks.load_test [--sessions 8] [--seconds 30] [--thumbnails 12]
    python -m benchmarks.load_test --serve --workers 4 --sessions 16   # production server

Computes the demo analysis and its default projection first (cached in --cache-dir, so a
re-run skips it), starts the real app (``python app.py``, its own process, werkzeug
threaded; with ``--serve`` the production server, gunicorn with ``--workers`` processes) on a
free loopback port, then runs ``--sessions`` threads for ``--seconds``
(or ``--requests`` per session). Each session opens the scatter once (the full figure),
then repeats: recolour by the next column (the real Dash callback POST, answered with a
Patch) and fetch ``--thumbnails`` thumbnails of random images (what a neighbours panel
loads). Each session keeps one HTTP/1.1 connection, as a browser tab does. Prints p50 /
p95 / max latency per request kind, throughput and error counts, as a Markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench_explorer import Client  # noqa: E402
from compute.projection import ProjectionParams  # noqa: E402
from explorer import ids  # noqa: E402
from explorer.app import create_app  # noqa: E402
from explorer.config import DEFAULT_CACHE, AppConfig  # noqa: E402
from explorer.state import load_data, projection_key  # noqa: E402
from explorer.views import analysis_job, projection_job  # noqa: E402
from tests.appserver import running_app  # noqa: E402


@dataclass
class Tally:
    """Latencies (s) of successful requests and error descriptions, by request kind."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, elapsed: float, error: str | None) -> None:
        with self.lock:
            (self.errors[kind].append(error) if error else self.seconds[kind].append(elapsed))


class Session:
    """One browser tab: a keep-alive connection, its legend state, its own random ids."""

    def __init__(self, port: int, tally: Tally, seed: int) -> None:
        self.port, self.tally, self.rng = port, tally, random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, kind: str, method: str, path: str, body: dict | None = None):
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        start = time.perf_counter()
        try:
            self.conn.request(method, path, payload, headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()  # reconnect on the next request
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.tally.add(kind, 0.0, f"{type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - start
        error = None if resp.status in (200, 204) else f"HTTP {resp.status}"  # 204: no update
        self.tally.add(kind, elapsed, error)
        return json.loads(data) if resp.status == 200 and body is not None else None


def prepare(cache_dir: Path) -> tuple[AppConfig, str, str]:
    """(config, analysis key, projection key) of the demo set, computed and cached."""
    config = AppConfig(cache_dir=cache_dir, names_db=cache_dir / "names.sqlite")
    t0 = time.perf_counter()
    akey, summary = analysis_job(lambda _p: None, config)
    pkey = projection_key(akey, ProjectionParams())
    projection_job(lambda _p: None, config, pkey)
    print(f"demo analysis + projection ready in {time.perf_counter() - t0:.1f} s: {summary}")
    return config, akey, pkey


def run_session(session: Session, client: Client, state: dict, columns: list[str],
                image_ids: list[str], *, deadline: float, requests: int | None,
                thumbnails: int) -> None:
    opened = session.request("open scatter (full figure)", "POST", "/_dash-update-component",
                             client.body(f"{ids.SCATTER}.figure...", state,
                                         f"{ids.PROJECTION_KEY}.data"))
    legend = opened["response"][ids.LEGEND_STATE]["data"] if opened else None
    step = session.rng.randrange(len(columns))
    sent = 1
    while time.perf_counter() < deadline and (requests is None or sent < requests):
        step += 1
        column = columns[step % len(columns)]
        body = client.body(f"{ids.SCATTER}.figure@", {
            **state, f"{ids.COLOUR_BY}.value": column, f"{ids.LEGEND_STATE}.data": legend},
            f"{ids.COLOUR_BY}.value")
        answer = session.request("recolour (callback POST -> Patch)", "POST",
                                 "/_dash-update-component", body)
        if answer:
            legend = answer["response"].get(ids.LEGEND_STATE, {}).get("data", legend)
        for image_id in session.rng.sample(image_ids, thumbnails):
            session.request("thumbnail GET", "GET", f"/thumbnails/{image_id}.png")
        sent += 1 + thumbnails


def warm_up(port: int, client_map: Client, state: dict, columns: list[str], *,
            rounds: int) -> None:
    """Each column's colouring computed once per server process: ``rounds`` sessions at
    once, so that with several worker processes every one of them is likely warmed."""
    def one_round(seed: int) -> None:
        warm = Session(port, Tally(), seed=seed)
        for column in columns:
            warm.request("warm-up", "POST", "/_dash-update-component", client_map.body(
                f"{ids.SCATTER}.figure...", {**state, f"{ids.COLOUR_BY}.value": column},
                f"{ids.PROJECTION_KEY}.data"))
            warm.conn.close()  # a new connection each time: another worker may answer
            warm.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    threads = [threading.Thread(target=one_round, args=(-1 - i,)) for i in range(rounds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def report(tally: Tally, wall: float, args: argparse.Namespace) -> None:
    server = (f"python app.py --serve (gunicorn, {args.workers} workers)" if args.serve
              else "python app.py (Werkzeug, threaded)")
    print(f"\n{server}: {args.sessions} sessions, {wall:.1f} s of load, {os.cpu_count()} CPUs, "
          f"load average before/after {args.load_before} / "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}")
    print("\n| request | count | errors | p50 | p95 | max | per second |")
    print("|---|---|---|---|---|---|---|")
    total = errors = 0
    for kind in sorted(set(tally.seconds) | set(tally.errors)):
        times, errs = tally.seconds.get(kind, []), tally.errors.get(kind, [])
        total, errors = total + len(times) + len(errs), errors + len(errs)
        cells = ([f"{percentile(times, q) * 1000:.0f} ms" for q in (50, 95)]
                 + [f"{max(times) * 1000:.0f} ms"]) if times else ["-"] * 3
        print(f"| {kind} | {len(times) + len(errs)} | {len(errs)} | {' | '.join(cells)} | "
              f"{(len(times) + len(errs)) / wall:.1f} |")
    print(f"| all | {total} | {errors} | | | | {total / wall:.1f} |")
    for kind, errs in tally.errors.items():
        print(f"errors of {kind}: " + "; ".join(sorted(set(errs))[:5]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="length of the load phase (default 30)")
    parser.add_argument("--requests", type=int, default=None,
                        help="stop each session after this many requests instead")
    parser.add_argument("--thumbnails", type=int, default=12,
                        help="thumbnails fetched after each recolour (default 12)")
    parser.add_argument("--serve", action="store_true",
                        help="through the production server (python app.py --serve)")
    parser.add_argument("--workers", type=int, default=4,
                        help="with --serve: gunicorn worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=None,
                        help="with --serve: request threads per worker (default: app.py's)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE / "load-test",
                        help="where the demo analysis is cached (kept between runs)")
    args = parser.parse_args(argv)

    config, akey, pkey = prepare(args.cache_dir.resolve())
    data = load_data(config, akey)
    columns = list(data.columns.columns)
    image_ids = list(data.ids)
    client_map = Client(create_app(config), port=0)  # Dash's request format, from its map
    state = {f"{ids.PROJECTION_KEY}.data": pkey, f"{ids.COLOUR_BY}.value": "cluster",
             f"{ids.MARKER_SIZE}.value": 4, f"{ids.MARKER_OPACITY}.value": 0.8}
    app_args = ["--cache-dir", str(config.cache_dir), "--names", str(config.names_db)]
    if args.serve:
        app_args += ["--serve", "--workers", str(args.workers)]
        app_args += ["--threads", str(args.threads)] if args.threads else []
    with running_app(app_args, log=config.cache_dir / "load-test-app.log",
                     timeout=600) as (url, _proc):
        port = int(url.rsplit(":", 1)[1])
        warm_up(port, client_map, state, columns, rounds=2 * args.workers if args.serve else 1)
        tally = Tally()
        args.load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
        start = time.perf_counter()
        threads = [threading.Thread(target=run_session, args=(
            Session(port, tally, seed=i), client_map, state, columns, image_ids),
            kwargs={"deadline": start + args.seconds, "requests": args.requests,
                    "thumbnails": args.thumbnails}) for i in range(args.sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
    print(f"columns recoloured in turn: {', '.join(columns)}; {len(image_ids)} images")
    report(tally, wall, args)
    return 1 if any(tally.errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
