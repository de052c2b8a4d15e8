"""Explorer speed at 150 000 points: callbacks over real HTTP, payload sizes, thumbnails.

    python -m benchmarks.bench_explorer [--n 150000] [--repeat 5] [--select 50000]

Builds a synthetic analysis (blobs in 2-D, 10 labels, 40 clusters, a log-density, a
30-NN graph), publishes it in the server-side state under a key, starts the real Dash
app on a loopback port (werkzeug, threaded) and times what the browser would send:
the initial figure, a recolour, a legend toggle, a lasso of ``--select`` points, the
selection panel, a click (instance panel + highlight) and a cached thumbnail. Times are
request round trips on localhost (server work + loopback transfer), median of
``--repeat`` (first call reported separately where a cache warms up).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from compute.projection import ProjectionParams  # noqa: E402
from explorer import ids  # noqa: E402
from explorer.app import create_app  # noqa: E402
from explorer.config import AppConfig  # noqa: E402
from explorer.state import (  # noqa: E402
    ExplorerData,
    analysis_key,
    pipeline_config,
    projection_key,
    publish,
)


def synthetic(n: int, seed: int = 0) -> tuple[ExplorerData, np.ndarray]:
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(seed)
    blob = rng.integers(0, 40, n)
    centres = rng.normal(scale=10, size=(40, 2))
    coords = (centres[blob] + rng.normal(size=(n, 2))).astype(np.float32)
    dist, ind = NearestNeighbors(n_neighbors=31).fit(coords).kneighbors(coords)
    labels = np.array([f"class-{i}" for i in range(10)])[blob % 10]
    columns = pd.DataFrame({
        "label": labels, "superclass": np.array(["a", "b", "c", "d"])[blob % 4],
        "folder": np.array([f"batch{i}" for i in range(8)])[rng.integers(0, 8, n)],
        "cluster": blob.astype(str), "log-density": -np.linalg.norm(
            coords - centres[blob], axis=1), "halo": np.where(rng.random(n) < 0.1, "halo", "core")})
    ids_ = np.array([hashlib.md5(str(i).encode()).hexdigest() for i in range(n)], dtype=object)
    data = ExplorerData(ids=ids_, paths=np.array([f"img/{i}.png" for i in range(n)], dtype=object),
                        columns=columns, knn_indices=ind.astype(np.int32),
                        knn_distances=dist.astype(np.float32), clusters=blob.astype(np.int64),
                        summary=f"{n} synthetic points")
    return data, coords


class Client:
    """Dash's own request format, built from the app's callback map."""

    def __init__(self, app, port: int) -> None:
        self.map, self.port = app.callback_map, port

    def _key(self, first_output: str) -> str:
        return next(k for k in self.map if k.lstrip(".").startswith(first_output))

    def body(self, first_output: str, values: dict, changed: str) -> dict:
        key = self._key(first_output)
        cb = self.map[key]
        parts = key.strip(".").split("...") if key.startswith("..") else [key]
        outputs = [dict(zip(("id", "property"), p.split(".", 1), strict=True)) for p in parts]

        def filled(deps):
            return [[] if isinstance(d["id"], dict) else
                    {**d, "value": values.get(f"{d['id']}.{d['property']}")} for d in deps]

        return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
                "inputs": filled(cb["inputs"]), "state": filled(cb.get("state", [])),
                "changedPropIds": [changed]}

    def post(self, body: dict) -> tuple[float, int, dict]:
        payload = json.dumps(body).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port)
        start = time.perf_counter()
        conn.request("POST", "/_dash-update-component", payload,
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - start
        if resp.status != 200:
            raise RuntimeError(f"{body['output']}: HTTP {resp.status} {data[:300]!r}")
        return elapsed, len(data), json.loads(data)

    def get(self, path: str) -> tuple[float, int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port)
        start = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        data = resp.read()
        return time.perf_counter() - start, len(data), dict(resp.getheaders())


def timed(fn, repeat: int) -> tuple[float, float, int]:
    """(first call s, median of the next ``repeat`` s, response bytes)."""
    first, size, _ = fn()
    rest = [fn()[0] for _ in range(repeat)]
    return first, statistics.median(rest), size


def serve(app) -> int:
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_port


def page_bytes(client: Client) -> dict[str, int]:
    _, html_size, _ = client.get("/")
    conn = http.client.HTTPConnection("127.0.0.1", client.port)
    conn.request("GET", "/")
    index = conn.getresponse().read().decode()
    scripts = re.findall(r'<script src="([^"]+)"', index)
    js = sum(client.get(src)[1] for src in scripts)
    return {"index_html": html_size, "dash_js_bundles": js,
            "layout": client.get("/_dash-layout")[1],
            "dependencies": client.get("/_dash-dependencies")[1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--select", type=int, default=50_000)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    data, coords = synthetic(args.n)
    print(f"synthetic data: {args.n} points in {time.perf_counter() - t0:.1f} s")
    tmp = Path(tempfile.mkdtemp(prefix="bench-explorer-"))
    (tmp / "images").mkdir()
    config = AppConfig(images=tmp / "images", labels=None, cache_dir=tmp / "cache")
    akey = analysis_key(pipeline_config(config))  # any key: the data is published under it
    pkey = projection_key(akey, ProjectionParams())
    publish(config, akey, data, coords={pkey: coords})
    from PIL import Image

    (config.thumbnail_dir).mkdir(parents=True)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (128, 128), dtype=np.uint8)).save(
        config.thumbnail_dir / f"{data.ids[0]}.png")

    app = create_app(config)
    client = Client(app, serve(app))
    state = {f"{ids.PROJECTION_KEY}.data": pkey, f"{ids.RUN_KEY}.data": akey,
             f"{ids.MARKER_SIZE}.value": 4, f"{ids.MARKER_OPACITY}.value": 0.8,
             f"{ids.NEIGHBOUR_COUNT}.value": 12}
    results: dict[str, tuple[float, float, int]] = {}

    def scatter():
        return client.post(client.body(f"{ids.SCATTER}.figure...",
                                       {**state, f"{ids.COLOUR_BY}.value": "cluster"},
                                       f"{ids.PROJECTION_KEY}.data"))
    results["initial figure (projection key -> full figure)"] = timed(scatter, args.repeat)
    legend = scatter()[2]["response"][ids.LEGEND_STATE]["data"]

    def recolour(column):
        body = client.body(f"{ids.SCATTER}.figure@", {
            **state, f"{ids.COLOUR_BY}.value": column,
            f"{ids.LEGEND_STATE}.data": legend}, f"{ids.COLOUR_BY}.value")
        return client.post(body)

    columns = ["label", "superclass", "folder", "halo", "log-density"]
    cold = [recolour(c) for c in columns]  # each column's colouring computed on first use
    warm = [recolour(c)[0] for c in columns * args.repeat]
    results["recolour, first use of a column (-> Patch)"] = (
        max(t for t, _, _ in cold), statistics.median(t for t, _, _ in cold), cold[0][1])
    results["recolour, column seen before (-> Patch)"] = (warm[0], statistics.median(warm),
                                                          cold[0][1])

    def toggle():
        restyle = [{"visible": ["legendonly"]}, [3]]
        return client.post(client.body(f"{ids.SCATTER}.figure@", {
            **state, f"{ids.COLOUR_BY}.value": "cluster", f"{ids.SCATTER}.restyleData": restyle,
            f"{ids.LEGEND_STATE}.data": legend}, f"{ids.SCATTER}.restyleData"))
    results["legend toggle (restyleData -> Patch)"] = timed(toggle, args.repeat)

    rows = np.sort(np.random.default_rng(1).choice(args.n, args.select, replace=False))
    event = {"points": [{"curveNumber": 0, "pointNumber": int(r), "pointIndex": int(r),
                         "x": float(coords[r, 0]), "y": float(coords[r, 1])} for r in rows]}
    select_body = client.body(f"{ids.SELECTION_PANEL}.children", {
        **state, f"{ids.SELECTED_POINTS}.data": rows.tolist()}, f"{ids.SELECTED_POINTS}.data")
    results[f"lasso of {args.select} points (rows -> selection panel)"] = timed(
        lambda: client.post(select_body), args.repeat)
    request_bytes = {"rows": len(json.dumps(select_body)), "event": len(json.dumps(event))}

    def next_page():
        return client.post(client.body(f"{ids.SELECTION_PANEL}.children", {
            **state, f"{ids.SELECTED_POINTS}.data": rows.tolist(),
            f"{ids.SELECTION_PAGE}.data": 0}, f"{ids.PAGE_NEXT}.n_clicks"))
    results[f"next page of the {args.select} selected"] = timed(next_page, args.repeat)

    def click():
        return client.post(client.body(f"{ids.INSTANCE_PANEL}.children", {
            **state, f"{ids.FOCUS_ROW}.data": int(rows[0])}, f"{ids.FOCUS_ROW}.data"))
    results["click (row -> instance panel + highlight Patch)"] = timed(click, args.repeat)

    thumb = f"/thumbnails/{data.ids[0]}.png"
    thumbs = [client.get(thumb)[0] for _ in range(50)]
    headers = client.get(thumb)[2]

    print(f"\n| step | first call (max for first use) | median of {args.repeat} | response |")
    print("|---|---|---|---|")
    for name, (first, median, size) in results.items():
        print(f"| {name} | {first * 1000:.0f} ms | {median * 1000:.0f} ms | {size / 1e3:.0f} kB |")
    print(f"| cached thumbnail GET (median of 50) | | {statistics.median(thumbs) * 1000:.1f} ms"
          f" | Cache-Control: {headers.get('Cache-Control')} |")
    print(f"\nlasso request: {request_bytes['rows'] / 1e3:.0f} kB of rows for {args.select} "
          f"points (Plotly's selectedData for them: {request_bytes['event'] / 1e3:.0f} kB, "
          "kept in the browser)")
    sizes = page_bytes(client)
    figure_bytes = results["initial figure (projection key -> full figure)"][2]
    print("initial page: " + ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in sizes.items())
          + f", figure {figure_bytes / 1e3:.0f} kB; total "
          f"{(sum(sizes.values()) + figure_bytes) / 1e6:.2f} MB")
    print(f"customdata as a plain list (the per-trace design) would add "
          f"{len(json.dumps(list(range(args.n)))) / 1e3:.0f} kB; rows come from pointNumber")
    return 0


if __name__ == "__main__":
    sys.exit(main())
