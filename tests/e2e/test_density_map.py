"""A large collection's map: a density image at the overview, the points themselves on
zoom, and a click on a shown point opens that image. The demo's 2 000 images are made
"large" with ``--density-image-above``; real headless Chromium against ``python app.py``."""

from pathlib import Path

import pytest

from tests.appserver import running_app
from tests.e2e.test_dashboard import GD, SCATTER, isolated_point, wait_idle

pytestmark = pytest.mark.e2e

DEMO_IMAGES = Path(__file__).resolve().parents[2] / "data" / "demo" / "images"


@pytest.fixture(scope="module")
def dense_url(tmp_path_factory):
    cache = tmp_path_factory.mktemp("e2e-density")
    with running_app(["--cache-dir", str(cache), "--names", str(cache / "names.sqlite"),
                      "--density-image-above", "1000"], log=cache / "app.log") as (url, _):
        yield url


def wait_for_overview(page) -> None:
    page.wait_for_function(
        f"""() => {{ const gd = {GD};
            if (!gd || !gd._fullData || gd._fullData.length < 4) return false;
            return gd._fullData[0].type === 'scattergl' && gd._fullData[0].x.length === 0
                && gd._fullLayout.images.length === 1
                && gd._fullLayout.images[0].source.startsWith('data:image/png'); }}""",
        timeout=180_000)


def zoom_to_box(page, fx0: float, fy0: float, fx1: float, fy1: float) -> None:
    """Zoom as a user does: the modebar's Zoom tool, then a box dragged over the plot
    from (fx0, fy0) to (fx1, fy1), in shares of the plot area."""
    area = page.locator(f"{SCATTER} .nsewdrag").bounding_box()
    page.hover(f"{SCATTER} .nsewdrag")
    page.locator(f'{SCATTER} .modebar-btn[data-val="zoom"]').first.click(force=True)
    x0, y0 = area["x"] + area["width"] * fx0, area["y"] + area["height"] * fy0
    x1, y1 = area["x"] + area["width"] * fx1, area["y"] + area["height"] * fy1
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()


def densest_spot(page) -> tuple[float, float]:
    """The plot-area shares (fx, fy from the top left) of the density image's most opaque
    pixel: where the map holds most points."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    image = page.evaluate(f"""() => {{ const fl = {GD}._fullLayout, im = fl.images[0];
        return {{source: im.source, x: im.x, y: im.y, sx: im.sizex, sy: im.sizey,
                 xr: fl.xaxis.range, yr: fl.yaxis.range}}; }}""")
    rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(image["source"].split(",")[1]))))
    i, j = np.unravel_index(np.argmax(rgba[..., 3]), rgba.shape[:2])
    x = image["x"] + (j + 0.5) / rgba.shape[1] * image["sx"]
    y = image["y"] - (i + 0.5) / rgba.shape[0] * image["sy"]
    (x0, x1), (y0, y1) = image["xr"], image["yr"]
    return (x - x0) / (x1 - x0), (y1 - y) / (y1 - y0)


def shown_point(page) -> dict:
    """Page position of the shown point farthest from the others, inside the plot area."""
    return isolated_point(page, every=1, margin=5)


def test_overview_image_zoom_to_points_and_click_opens_the_row(page, dense_url):
    page.goto(dense_url)
    wait_for_overview(page)
    page.locator(SCATTER).scroll_into_view_if_needed()
    fx, fy = densest_spot(page)
    zoom_to_box(page, max(fx - 0.12, 0.01), max(fy - 0.12, 0.01), min(fx + 0.12, 0.99),
                min(fy + 0.12, 0.99))
    page.wait_for_function(
        f"""() => {{ const gd = {GD}, d = gd._fullData[0];
            return d.x.length > 0 && gd._fullLayout.images.length === 0
                && d.customdata && d.customdata.length === d.x.length; }}""",
        timeout=60_000)
    listen_to_the_map(page)
    pos = shown_point(page)
    assert 0 < pos["shown"] < 2000
    clicked = click_a_point(page, pos["x"], pos["y"])
    assert clicked["row"] != clicked["index"]  # a row number, not the place in the trace
    try:
        page.wait_for_function(
            "row => { const td = document.querySelector('#instance-panel table.meta td');"
            " return td && td.innerText == row; }", arg=str(clicked["row"]), timeout=30_000)
    except Exception as exc:
        raise AssertionError(f"the Point panel did not open row {clicked['row']}: "
                             f"{map_events(page)}") from exc
    # the highlight ring is drawn at that image's own coordinates
    page.wait_for_function(f"() => {GD}._fullData[1].x.length === 1", timeout=20_000)
    ring = page.evaluate(f"() => [{GD}._fullData[1].x[0], {GD}._fullData[1].y[0]]")
    assert ring == pytest.approx(clicked["data"])
    # the modebar's Reset axes zooms back out: the image again, with the points of the
    # clicked image's cluster over it (the click highlights its cluster, as on any map)
    page.hover(f"{SCATTER} .nsewdrag")
    page.locator(f'{SCATTER} .modebar-btn[data-val="reset"]').first.click(force=True)
    page.wait_for_function(
        f"""row => {{ const gd = {GD}, d = gd._fullData[0], im = gd._fullLayout.images;
            return im.length === 1 && im[0].source.startsWith('data:image/png')
                && d.marker.line.width === 1 && d.customdata && d.customdata.includes(row)
                && d.customdata.length === d.x.length; }}""",
        arg=clicked["row"], timeout=60_000)


def listen_to_the_map(page) -> None:
    """Record Plotly's hover and click events on the map's points (trace 0) and each redraw
    (ms since now, points shown), so a failure can say what the page did."""
    page.evaluate(f"""() => {{ const gd = {GD}, t0 = Date.now();
        const point = e => e.points.filter(p => p.curveNumber === 0).map(p =>
            ({{row: p.customdata, index: p.pointNumber, data: [p.x, p.y]}}))[0] || null;
        window._map = {{hovered: null, clicks: [], redraws: []}};
        gd.on('plotly_hover', e => {{ window._map.hovered = point(e); }});
        gd.on('plotly_unhover', () => {{ window._map.hovered = null; }});
        gd.on('plotly_click', e => {{ window._map.clicks.push(point(e)); }});
        gd.on('plotly_afterplot', () => window._map.redraws.push(
            [Date.now() - t0, gd._fullData[0].x.length])); }}""")


def map_events(page) -> dict:
    return page.evaluate("() => window._map")


def click_a_point(page, x: float, y: float, tries: int = 3) -> dict:
    """Hover the point at page pixel (x, y) until its tooltip shows, click it, and return
    the point Plotly reports clicked. Plotly clicks the point it last hovered; a redraw
    between hover and click (a late answer from the server) leaves it none, and the click
    does nothing (a user clicks again, and so does this, at most ``tries`` times)."""
    for _attempt in range(tries):
        page.mouse.move(x + 3, y + 3)  # off the point and back: a fresh hover
        page.mouse.move(x, y)
        page.wait_for_function("() => window._map.hovered !== null", timeout=20_000)
        page.locator("#hover-tooltip img").wait_for(state="visible", timeout=20_000)
        page.mouse.click(x, y)
        try:
            page.wait_for_function("() => window._map.clicks.length > 0", timeout=5_000)
        except Exception:
            continue
        clicked = map_events(page)["clicks"][0]
        assert clicked is not None, f"the click reached another trace: {map_events(page)}"
        return clicked
    raise AssertionError(f"{tries} clicks on the point, none reached Plotly: {map_events(page)}")


def test_a_search_is_drawn_over_the_image_and_its_points_open_their_rows(page, dense_url):
    """The overview is an image, yet what a search finds shows on it: its images as
    outlined points over the image, each naming its own row."""
    page.goto(dense_url)
    wait_for_overview(page)
    query = "fmnist-001"
    expected = len([p for p in DEMO_IMAGES.iterdir() if query in p.name])
    assert 10 < expected < 100
    page.fill("#search-input", query)
    page.press("#search-input", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#search-status').innerText.includes('match')",
        timeout=60_000)
    assert page.inner_text("#search-status").startswith(f"{expected} images match")
    page.wait_for_function(
        f"""n => {{ const gd = {GD}, d = gd._fullData[0];
            return d.x.length === n && d.customdata && d.customdata.length === n
                && gd._fullLayout.images.length === 1 && d.marker.line.width === 1; }}""",
        arg=expected, timeout=30_000)
    rows = page.evaluate(f"() => Array.from({GD}._fullData[0].customdata)")
    assert rows == sorted(rows) and len(set(rows)) == expected
    listen_to_the_map(page)
    page.locator(SCATTER).scroll_into_view_if_needed()
    pos = isolated_point(page, every=1, margin=5)
    clicked = click_a_point(page, pos["x"], pos["y"])
    assert clicked["row"] in rows
    page.wait_for_function(
        "row => { const td = document.querySelector('#instance-panel table.meta td');"
        " return td && td.innerText == row; }", arg=str(clicked["row"]), timeout=30_000)
    assert query in page.inner_text("#instance-panel")


def test_a_lasso_on_the_image_selects_its_images_and_draws_them_over_it(page, dense_url):
    """A lasso drawn on the overview image selects the images inside it (the page holds
    none of their points: the server resolves the lasso's shape) and draws them as
    outlined points over the image, with the selection panel's tiles among them."""
    page.goto(dense_url)
    wait_for_overview(page)
    wait_idle(page)
    fx, fy = densest_spot(page)
    area = page.locator(f"{SCATTER} .nsewdrag").bounding_box()
    corners = [(min(max(fx + dx, 0.02), 0.98), min(max(fy + dy, 0.02), 0.98))
               for dx, dy in ((-0.1, -0.1), (0.1, -0.1), (0.1, 0.1), (-0.1, 0.1), (-0.1, -0.1))]
    points = [(area["x"] + area["width"] * x, area["y"] + area["height"] * y) for x, y in corners]
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    page.locator("#selection-count").wait_for(timeout=30_000)
    selected = int(page.inner_text("#selection-count").split()[0])
    assert 0 < selected < 2000
    page.wait_for_function(
        f"""n => {{ const gd = {GD}, d = gd._fullData[0];
            return d.x.length === n && d.customdata && d.customdata.length === n
                && gd._fullLayout.images.length === 1 && d.marker.line.width === 1; }}""",
        arg=selected, timeout=30_000)
    drawn = set(page.evaluate(f"() => Array.from({GD}._fullData[0].customdata)"))
    tiles = page.locator("#selection-grid .tile").evaluate_all(
        "els => els.map(e => Number(e.dataset.row))")
    assert tiles and set(tiles) <= drawn
