"""The explorer in real headless Chromium at scale: from the user's action to the painted
result, for a recolour, a click, a lasso and a Z change.

    python -m benchmarks.bench_browser_scale --n 150000
    python -m benchmarks.bench_browser_scale --n 1000000 --repeat 2

Builds the synthetic analysis of ``benchmarks.bench_explorer`` (blobs in 2-D, 10 labels,
40 clusters, a log-density, a 30-NN graph), publishes it in the server-side state,
serves the real Dash app on a loopback port (werkzeug, threaded, in this process) and
drives Debian's Chromium through Playwright (``executable_path=/usr/bin/chromium``, the
flags of ``tests/e2e/conftest.py``: headless, software WebGL).

What is timed, in the page (``performance.now()``), from the action to the frame after
the result is drawn (two ``requestAnimationFrame`` after Plotly's ``plotly_afterplot``,
or after the panel's DOM changed):

- open: the analysis key set in the page -> every point drawn (the full figure);
- recolour: the "Colour by" value set (``dash_clientside.set_props``, what the dropdown
  does) -> the recoloured points drawn (a ``Patch``: colour codes, no coordinates);
- Z change: the hierarchy slider's value set -> the points drawn with the cut's colours
  (synthetic rows carry fixed clusters, so the server's re-merge is not in this figure:
  it is milliseconds, see ``bench_adp``);
- click: the mouse button released on a point -> the instance panel filled and the
  highlight drawn;
- lasso: the mouse button released after a lasso -> the selection panel filled.

Above ``--density-image-above`` points (the app's default,
:attr:`explorer.config.AppConfig.density_image_above`) the map is a density map
(:mod:`explorer.density_view`): "open" ends when the density image is drawn, a click is
made after a zoom (measured: the relayout -> the window's points drawn) to a window around
the clicked row, and the lasso is drawn on the overview image (after a zoom back out,
measured too). Pass a larger ``--density-image-above`` for the single WebGL trace.

Each action runs ``--repeat`` times; the table gives the median and the worst. The load
average is printed before and after: wall times on a shared machine are inflated, often
many times over. So each action's CPU time is also given: this process (the Dash server's
threads) plus every Chromium process (renderer: Dash and Plotly; GPU process: the
software WebGL), from ``psutil``, read before the action and after its result. The steps
of an action run one after the other (request, server, response, JavaScript, drawing), so
on an idle 2-core machine its wall time is about its CPU time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHROMIUM = os.environ.get("TOPOGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
GD = "document.querySelector('#latent-scatter .js-plotly-plot')"
QUIET_S = 0.6  # an action is over when nothing was drawn for this long after its result

HOOKS = """() => {
    const gd = GRAPH;
    window.__paints = []; window.__panels = {}; window.__t0 = null;
    const frame = (push) => requestAnimationFrame(() => requestAnimationFrame(push));
    gd.on('plotly_afterplot', () => frame(() => window.__paints.push(performance.now())));
    for (const id of ['instance-panel', 'selection-panel']) {
        window.__panels[id] = [];
        new MutationObserver(() => frame(() => window.__panels[id].push(performance.now())))
            .observe(document.getElementById(id), {childList: true, subtree: true,
                                                   characterData: true});
    }
    document.addEventListener('mouseup', () => { window.__t0 = performance.now(); }, true);
    return true;
}""".replace("GRAPH", GD)


def publish_synthetic(n: int, density_image_above: int | None = None):
    """(config, analysis key, projection key, coords) of ``n`` synthetic rows, published;
    ``density_image_above``: the app's threshold (None: its default)."""
    from benchmarks.bench_explorer import synthetic
    from compute.projection import ProjectionParams
    from explorer.config import AppConfig
    from explorer.state import analysis_key, pipeline_config, projection_key, publish

    data, coords = synthetic(n)
    tmp = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    (tmp / "images").mkdir()
    above = {} if density_image_above is None else {"density_image_above": density_image_above}
    config = AppConfig(images=tmp / "images", labels=None, cache_dir=tmp / "cache",
                       names_db=tmp / "names.sqlite", **above)
    akey = analysis_key(pipeline_config(config))
    pkey = projection_key(akey, ProjectionParams())
    publish(config, akey, data, coords={pkey: coords})
    return config, akey, pkey, coords


def since(page, key: str) -> list[float]:
    """Times (ms after the action) of the paints or of one panel's changes."""
    source = "window.__paints" if key == "paint" else f"window.__panels['{key}']"
    return page.evaluate(f"() => {source}.filter(t => t >= window.__t0)"
                         ".map(t => t - window.__t0)")


def settle(page, key: str, timeout_s: float) -> float:
    """ms from the action to the last paint of ``key`` ("paint" or a panel id), once
    nothing new was drawn for QUIET_S."""
    deadline = time.monotonic() + timeout_s
    while not since(page, key):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing drawn ({key}) within {timeout_s} s")
        time.sleep(0.1)  # the times are taken in the page: polling only costs CPU
    seen = since(page, key)
    while True:
        time.sleep(QUIET_S)
        now = since(page, key)
        if len(now) == len(seen) or time.monotonic() > deadline:
            if os.environ.get("BENCH_DEBUG"):
                print(key, [round(t) for t in now], file=sys.stderr)
            return max(now)
        seen = now


PARTS = ("server", "renderer", "gpu", "other")  # where an action's CPU time goes


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) of this process ("server": the Dash app's threads, and
    this script) and its descendants: Chromium's renderer (Dash, Plotly), its GPU process
    (software WebGL) and the rest (browser process, Playwright's driver)."""
    import psutil

    me = psutil.Process()
    parts = dict.fromkeys(PARTS, 0.0)
    for proc in [me, *me.children(recursive=True)]:
        try:
            times, args = proc.cpu_times(), " ".join(proc.cmdline())
        except psutil.NoSuchProcess:
            continue
        part = ("server" if proc.pid == me.pid else "renderer" if "--type=renderer" in args
                else "gpu" if "--type=gpu-process" in args else "other")
        parts[part] += times.user + times.system
    return parts


def measured(results: dict, name: str, action, page, key: str, timeout_s: float,
             also: str | None = None) -> None:
    """Run ``action()``, then record (wall ms to the last paint of ``key``, and of
    ``also`` if given; CPU ms of server + browser) under ``name``."""
    before = cpu_seconds()
    action()
    wall = settle(page, key, timeout_s)
    if also:
        wall = max(wall, settle(page, also, timeout_s))
    after = cpu_seconds()
    used = {part: (after[part] - before[part]) * 1000 for part in PARTS}
    results.setdefault(name, []).append((wall, sum(used.values()), used))


def set_prop(page, component: str, prop: dict) -> None:
    """What a control does when the user changes it, with the action's start time."""
    page.evaluate("([id, prop]) => { window.__t0 = performance.now();"
                  " dash_clientside.set_props(id, prop); }", [component, prop])


def plot_box(page) -> dict:
    return page.locator("#latent-scatter .nsewdrag").bounding_box()


def point_position(page, row: int) -> tuple[float, float]:
    """Page position of ``row``'s marker (on a density map: the shown point whose
    ``customdata`` is ``row``)."""
    return tuple(page.evaluate(f"""row => {{
        const gd = {GD}, fl = gd._fullLayout, d = gd._fullData[0];
        const i = d.customdata ? Array.from(d.customdata).indexOf(row) : row;
        if (i < 0) throw new Error('row ' + row + ' is not drawn');
        const box = gd.getBoundingClientRect();
        return [box.left + fl._size.l + fl.xaxis.d2p(d.x[i]),
                box.top + fl._size.t + fl.yaxis.d2p(d.y[i])]; }}""", row))


def zoom(page, window) -> None:
    """Zoom the map to ``window`` (x0, x1, y0, y1) as the modebar's tools do (a relayout),
    with the action's start time."""
    page.evaluate(f"""w => {{ window.__t0 = performance.now();
        Plotly.relayout({GD}, {{'xaxis.range': [w[0], w[1]], 'yaxis.range': [w[2], w[3]]}});
        }}""", list(window))


def window_around(coords: np.ndarray, row: int, most: int) -> tuple[float, ...]:
    """A square window (in the projection's units) centred on ``row`` holding at most
    ``most`` points: 10 % of the map's extent, halved until it does."""
    from explorer.density_image import in_window

    span = float(np.max(coords.max(axis=0) - coords.min(axis=0)))
    half, (x, y) = span * 0.05, coords[row]
    while True:
        window = (x - half, x + half, y - half, y + half)
        if in_window(coords, window).sum() <= most:
            return tuple(float(v) for v in window)
        half /= 2


def lasso(page, place: int) -> None:
    """A lasso along a square of 1/25 of the plot, at one of three places that do not
    overlap (a press inside the last selection would move it instead)."""
    box = plot_box(page)
    fraction = (0.05, 0.4, 0.7)[place]
    x0, y0 = box["x"] + box["width"] * fraction, box["y"] + box["height"] * fraction
    x1, y1 = x0 + box["width"] * 0.2, y0 + box["height"] * 0.2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        page.mouse.move(x, y, steps=5)
    page.mouse.up()


def run(n: int, repeat: int, timeout_s: float, density_image_above: int | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    from benchmarks.bench_explorer import serve
    from explorer import ids
    from explorer.app import create_app
    from explorer.hierarchy import ids as hier_ids

    t = time.perf_counter()
    config, akey, pkey, coords = publish_synthetic(n, density_image_above)
    from explorer.density_image import POINTS_ON_ZOOM, window_of
    from explorer.density_view import is_dense

    dense = is_dense(config, n, 2)
    print(f"density map: {dense} (above {config.density_image_above} points)", flush=True)
    print(f"synthetic data: {n} points in {time.perf_counter() - t:.1f} s", flush=True)
    port = serve(create_app(config))
    results: dict[str, list[tuple[float, float, dict]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function(f"() => window.dash_clientside && {GD} && {GD}.on",
                               timeout=timeout_s * 1000)
        page.evaluate(HOOKS)
        def open_figure():
            set_prop(page, ids.RUN_KEY, {"data": akey})
            drawn = ("() => { const gd = GRAPH; return gd._fullLayout && gd._fullLayout.images"
                     " && gd._fullLayout.images.length === 1; }" if dense else
                     "n => { const d = GRAPH._fullData;"
                     " return d && d[0] && d[0].x && d[0].x.length >= n; }")
            page.wait_for_function(drawn.replace("GRAPH", GD), arg=n,
                                   timeout=timeout_s * 1000, polling=100)
        measured(results, "open (full figure drawn)", open_figure, page, "paint", timeout_s)
        columns = ["label", "superclass", "folder", "log-density", "cluster"]
        for i in range(repeat):
            measured(results, "recolour", lambda i=i: set_prop(
                page, ids.COLOUR_BY, {"value": columns[i % len(columns)]}), page, "paint",
                timeout_s)
        if columns[(repeat - 1) % len(columns)] != "cluster":  # else nothing is redrawn
            set_prop(page, ids.COLOUR_BY, {"value": "cluster"})
            settle(page, "paint", timeout_s)
        for i in range(repeat):
            measured(results, "Z change (colour by cluster)", lambda i=i: set_prop(
                page, hier_ids.Z_SLIDER, {"value": 2.0 if i % 2 == 0 else 1.65}), page,
                "paint", timeout_s)
        rng = np.random.default_rng(0)
        for row in rng.choice(n, repeat, replace=False):
            if dense:
                measured(results, "zoom in (the window's points drawn)",
                         lambda row=row: zoom(page, window_around(coords, int(row),
                                                                  POINTS_ON_ZOOM // 2)),
                         page, "paint", timeout_s)
            x, y = point_position(page, int(row))
            page.mouse.move(x, y)
            time.sleep(QUIET_S)  # the hover's own tooltip is not part of the click
            measured(results, "click (instance panel + highlight)",
                     lambda x=x, y=y: page.mouse.click(x, y), page, ids.INSTANCE_PANEL,
                     timeout_s, also="paint")
        if dense:
            measured(results, "zoom out (the overview image drawn)",
                     lambda: zoom(page, window_of(coords)), page, "paint", timeout_s)
        for i in range(repeat):
            measured(results, "lasso (selection panel)", lambda i=i: lasso(page, i % 3),
                     page, ids.SELECTION_PANEL, timeout_s)
        selected = page.evaluate(f"() => {{ const c = document.getElementById("
                                 f"'{ids.SELECTION_COUNT}'); return c ? c.innerText : ''; }}")
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
        browser.close()
    return {"times": results, "selected": selected, "heap_mib": heap / 2**20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per action")
    parser.add_argument("--density-image-above", type=int, default=None, metavar="N",
                        help="the app's threshold of the density map (default: the app's)")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    result = run(args.n, args.repeat, args.timeout, args.density_image_above)
    print(f"\nN = {args.n}, headless Chromium (software WebGL), 1400 x 900 viewport\n")
    print(f"| action | wall, median of {args.repeat} | wall, worst | CPU ms, median | "
          "CPU ms: " + " / ".join(PARTS) + " (median each) |")
    print("|---|---|---|---|---|")
    for name, runs in result["times"].items():
        walls, cpus = [w for w, _, _ in runs], [c for _, c, _ in runs]
        split = " / ".join(f"{statistics.median(u[p] for _, _, u in runs):.0f}"
                           for p in PARTS)
        print(f"| {name} | {statistics.median(walls):.0f} ms | {max(walls):.0f} ms | "
              f"{statistics.median(cpus):.0f} ms | {split} |")
    print(f"\nlast lasso: {result['selected']!r}; JS heap in use "
          f"{result['heap_mib']:.0f} MiB")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
