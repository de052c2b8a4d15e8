"""What a user does: open the page, look at an image and its neighbours, lasso a region,
recolour, switch to 3-D. Real headless Chromium against ``python app.py``."""

import pytest

pytestmark = pytest.mark.e2e

SCATTER = "#latent-scatter"
GD = f"document.querySelector('{SCATTER} .js-plotly-plot')"


def wait_for_points(page, trace_type: str = "scattergl", n: int = 2000) -> None:
    page.wait_for_function(
        f"""([type, n]) => {{ const gd = {GD};
            if (!gd || !gd._fullData || gd._fullData.length < 4) return false;
            const t = gd._fullData[0];
            return t.type === type && t.x && t.x.length >= n; }}""",
        arg=[trace_type, n], timeout=120_000)


def isolated_point(page, *, every: int = 7, margin: float | None = None) -> dict:
    """Page position and row (index in the main trace) of the point farthest (in pixels)
    from any other point, among every ``every``-th one, and how many points the trace
    shows; with ``margin`` only points at least that many pixels inside the plot area (the
    map scrolled into view first: the mouse only reaches what is on the screen)."""
    page.locator(SCATTER).scroll_into_view_if_needed()
    return page.evaluate(f"""([every, margin]) => {{
        const gd = {GD}, fl = gd._fullLayout, d = gd._fullData[0];
        const box = gd.getBoundingClientRect();
        const px = Array.from(d.x, v => fl.xaxis.d2p(v));
        const py = Array.from(d.y, v => fl.yaxis.d2p(v));
        const inside = i => margin === null || (px[i] >= margin && py[i] >= margin
            && px[i] <= fl._size.w - margin && py[i] <= fl._size.h - margin);
        let best = -1, bestGap = -1;
        for (let i = 0; i < px.length; i += every) {{
            if (!inside(i)) continue;
            let gap = Infinity;
            for (let j = 0; j < px.length; j++) if (j !== i)
                gap = Math.min(gap, Math.hypot(px[i] - px[j], py[i] - py[j]));
            if (gap > bestGap) {{ bestGap = gap; best = i; }}
        }}
        return {{x: box.left + fl._size.l + px[best], y: box.top + fl._size.t + py[best],
                 row: best, shown: px.length}};
    }}""", [every, margin])


def rows_in_box(page, x0: float, y0: float, x1: float, y1: float) -> dict[str, list[int]]:
    """Rows whose markers lie inside a page-pixel rectangle: "strict" at least 2 px inside
    its edges (a lasso along it must select them), "loose" up to 2 px outside (it may)."""
    return page.evaluate(f"""([x0, y0, x1, y1]) => {{
        const gd = {GD}, fl = gd._fullLayout, d = gd._fullData[0];
        const box = gd.getBoundingClientRect(), strict = [], loose = [], m = 2;
        for (let i = 0; i < d.x.length; i++) {{
            const x = box.left + fl._size.l + fl.xaxis.d2p(d.x[i]);
            const y = box.top + fl._size.t + fl.yaxis.d2p(d.y[i]);
            if (x > x0 - m && x < x1 + m && y > y0 - m && y < y1 + m) loose.push(i);
            if (x > x0 + m && x < x1 - m && y > y0 + m && y < y1 - m) strict.push(i);
        }}
        return {{strict, loose}}; }}""", [x0, y0, x1, y1])


def populated_box(page, *, size: float = 0.18, least: int = 6) -> tuple[int, int, int, int]:
    """A page-pixel square, ``size`` of the plot area on a side, with at least ``least``
    markers strictly inside: the first found scanning the plot from its top left (a map's
    empty regions depend on the projection; the page opens on the cluster space)."""
    box = page.locator(f"{SCATTER} .nsewdrag").bounding_box()
    side_x, side_y = round(box["width"] * size), round(box["height"] * size)
    steps = [0.05 + 0.05 * i for i in range(int((0.95 - size) / 0.05))]
    for fy in steps:
        for fx in steps:
            x0, y0 = round(box["x"] + box["width"] * fx), round(box["y"] + box["height"] * fy)
            if len(rows_in_box(page, x0, y0, x0 + side_x, y0 + side_y)["strict"]) >= least:
                return x0, y0, x0 + side_x, y0 + side_y
    raise AssertionError(f"no {size:.0%} square of the map holds {least} images")


def tile_rows(page, selector: str) -> list[int]:
    return [int(r) for r in page.locator(f"{selector} .tile").evaluate_all(
        "els => els.map(e => e.dataset.row)")]


def wait_idle(page, quiet_ms: int = 500) -> None:
    """Until no Dash callback has been in flight for ``quiet_ms`` (Dash marks the outputs
    of a pending callback ``data-dash-is-loading``): a lasso drawn while a late callback
    redraws the map is lost with the redraw, as it would be for a user."""
    page.wait_for_function(
        """quiet => { const busy = document.querySelector('[data-dash-is-loading="true"]');
            const now = performance.now();
            if (busy || window.__lastBusy === undefined) { window.__lastBusy = now; }
            return !busy && now - window.__lastBusy >= quiet; }""",
        arg=quiet_ms, timeout=60_000, polling=100)


@pytest.fixture
def dashboard(page, app_url):
    page.goto(app_url)
    wait_for_points(page)
    wait_idle(page)
    return page


def test_click_shows_the_image_and_its_embedding_neighbours(dashboard):
    page = dashboard
    legend = page.locator(f"{SCATTER} .legendtext").all_text_contents()
    assert len(legend) >= 2 and "0" in legend  # coloured by ADP cluster
    pos = isolated_point(page)
    page.mouse.move(pos["x"], pos["y"])
    page.locator("#hover-tooltip img").wait_for(state="visible", timeout=20_000)
    page.mouse.click(pos["x"], pos["y"])
    page.locator("#instance-panel .neighbours .tile").nth(11).wait_for(timeout=20_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('#instance-panel img.preview');"
        " return i && i.complete && i.naturalWidth > 0; }", timeout=20_000)
    assert page.locator("#instance-panel table.meta td").first.inner_text() == str(pos["row"])
    neighbours = tile_rows(page, "#instance-panel .neighbours")
    assert len(set(neighbours)) == 12 and pos["row"] not in neighbours
    badges = page.locator("#instance-panel .neighbours .tile").evaluate_all(
        "els => els.map(e => e.classList.contains('same') || e.classList.contains('other'))")
    assert all(badges)
    # the neighbours are ringed on the scatter (trace 2) at their own coordinates
    ringed = page.evaluate(f"() => Array.from({GD}._fullData[2].x)")
    coords = page.evaluate(f"rows => rows.map(r => {GD}._fullData[0].x[r])", neighbours)
    assert ringed == pytest.approx(coords)
    # clicking a neighbour tile focuses that image
    page.locator("#instance-panel .neighbours .tile").first.click()
    page.wait_for_function(
        "row => document.querySelector('#instance-panel table.meta td').innerText == row",
        arg=str(neighbours[0]), timeout=20_000)


def test_lasso_selects_exactly_the_enclosed_images(dashboard):
    page = dashboard
    x0, y0, x1, y1 = populated_box(page)
    expected = rows_in_box(page, x0, y0, x1, y1)
    assert len(expected["strict"]) > 5
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0)):  # a lasso along the rectangle
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    page.locator("#selection-grid .tile").first.wait_for(timeout=20_000)
    with page.expect_download() as download:
        page.click("#export-button")
    with open(download.value.path(), encoding="utf-8") as fh:
        got = sorted(int(line.split(",")[0]) for line in fh.read().splitlines()[1:])
    assert set(expected["strict"]) <= set(got) <= set(expected["loose"])
    assert page.locator("#selection-count").inner_text().startswith(f"{len(got)} selected")
    assert tile_rows(page, "#selection-grid") == got[:24]
    outside = tile_rows(page, "#outside-grid")
    assert outside and not set(outside) & set(got)
    # a search after the lasso replaces it everywhere: the panel and the map's selected
    # points (Plotly re-applied the drawn lasso over them, showing the lasso's points)
    page.fill("#search-input", "fmnist-001")
    page.press("#search-input", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#search-status').innerText.includes('match')",
        timeout=60_000)
    found = int(page.inner_text("#search-status").split()[0])
    assert found > 5 and found != len(got)
    page.wait_for_function(
        "n => document.querySelector('#selection-count').innerText.startsWith(n + ' selected')",
        arg=found, timeout=30_000)
    page.wait_for_function(
        f"n => {{ const s = {GD}._fullData[0].selectedpoints; return s && s.length === n; }}",
        arg=found, timeout=30_000)
    assert page.evaluate(f"() => ({GD}.layout.selections || []).length") == 0


def test_recolour_sends_no_coordinates_and_legend_toggles_a_class(dashboard):
    page = dashboard
    page.click("#colour-by")
    with page.expect_response(lambda r: "_dash-update-component" in r.url
                              and "latent-scatter" in (r.request.post_data or "")
                              and "colour-by" in (r.request.post_data or "")) as resp:
        page.get_by_role("option", name="superclass").click()
    ops = resp.value.json()["response"]["latent-scatter"]["figure"]["operations"]
    assert all(op["location"][-1] not in ("x", "y") for op in ops if op["location"])
    legend = [t for op in ops if op["operation"] == "Extend" for t in op["params"]["value"]]
    assert legend and all(t["x"] == [None] for t in legend)  # legend entries hold no points
    page.locator(f"{SCATTER} .legendtext", has_text="footwear").wait_for(timeout=20_000)
    assert page.evaluate(f"() => {GD}._fullData[0].x.length") == 2000
    # one legend click hides a class: its points get the transparent colour code
    page.locator(f"{SCATTER} .legend .traces", has_text="footwear").locator(
        ".legendtoggle").click()
    page.wait_for_function(
        f"""() => {{ const d = {GD}._fullData[0];
            const n = d.marker.colorscale.length / 2;  // steps, the last one transparent
            return Array.from(d.marker.color).filter(c => c === n - 1).length >= 600; }}""",
        timeout=20_000)
    assert page.evaluate(f"() => {GD}._fullData[0].visible") is True


def test_switch_to_3d_click_a_point_and_back(dashboard):
    page = dashboard
    page.locator("#settings-dims label", has_text="3-D").click()
    wait_for_points(page, "scatter3d")
    page.evaluate(f"() => {{ window._hovered = null;"
                  f" {GD}.on('plotly_hover', e => window._hovered = e.points[0].pointNumber); }}")
    box = page.locator(f"{SCATTER} .js-plotly-plot").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tiles = page.locator("#instance-panel .neighbours .tile")
    for dx in range(0, 90, 3):  # gl3d picks the point under the cursor on hover...
        page.evaluate("() => { window._hovered = null; }")
        page.mouse.move(cx + dx, cy)
        page.wait_for_timeout(200)
        if page.evaluate("() => window._hovered") is None:
            continue
        page.mouse.down()  # ...and a press and release there emits plotly_click
        page.wait_for_timeout(80)
        page.mouse.up()
        try:
            tiles.nth(11).wait_for(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - the click fell between markers: try further on
            continue
    assert tiles.count() == 12
    row = page.locator("#instance-panel table.meta td").first.inner_text()
    assert row == str(page.evaluate("() => window._hovered"))
    page.locator("#settings-dims label", has_text="2-D").click()
    wait_for_points(page, "scattergl")
