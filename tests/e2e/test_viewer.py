"""The image viewer in real headless Chromium against ``python app.py --images <synthetic
SEM folder>``: open an image from the Point panel, zoom, the scale bar from the measured
pixel size, the data bar, two images side by side, Escape; thumbnails keep their aspect."""

import pytest

from tests.e2e.test_dashboard import GD, wait_for_points
from tests.e2e.test_scale_groups import sem_url  # noqa: F401 (the app on the SEM folder)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MAIN = "document.querySelector('#viewer-main .js-plotly-plot')"
COMPARE = "document.querySelector('#viewer-compare .js-plotly-plot')"


@pytest.fixture(scope="module")
def sem_analysis(sem_folder, sem_cache, sem_url):  # noqa: F811
    from compute.pipeline import analyse_folder
    from tests.compute._image_fixtures import pixel_config

    folder, _ = sem_folder
    return analyse_folder(pixel_config(images=str(folder)), cache_dir=sem_cache)


def click_row(page, row: int) -> None:
    pos = page.evaluate(f"""row => {{
        const gd = {GD}, fl = gd._fullLayout, d = gd._fullData[0];
        const box = gd.getBoundingClientRect();
        return {{x: box.left + fl._size.l + fl.xaxis.d2p(d.x[row]),
                 y: box.top + fl._size.t + fl.yaxis.d2p(d.y[row])}}; }}""", row)
    page.mouse.move(pos["x"], pos["y"])
    page.mouse.click(pos["x"], pos["y"])


def shown_source(page, graph: str = MAIN) -> str:
    return page.evaluate(f"() => {{ const g = {graph}; return g && g.layout.images ?"
                         " g.layout.images[0].source : null; }")


def test_open_zoom_scale_bar_data_bar_compare_and_escape(page, sem_url, sem_analysis):  # noqa: F811
    measured = [i for i, r in enumerate(sem_analysis.scales) if r.ok]
    row = measured[0]
    record, reading = sem_analysis.dataset.usable[row], sem_analysis.scales[row]
    page.goto(sem_url)
    wait_for_points(page, n=len(sem_analysis.dataset.usable))
    click_row(page, row)
    page.locator("#instance-panel .neighbours .tile").first.wait_for(timeout=30_000)

    # thumbnails of these 4:3 frames are letterboxed, not stretched into squares
    thumb = page.locator("#instance-panel .neighbours img.thumb").first
    page.wait_for_function("() => { const i = document.querySelector("
                           "'#instance-panel .neighbours img.thumb'); return i && i.complete"
                           " && i.naturalWidth > 0; }", timeout=20_000)
    fit = thumb.evaluate("i => [getComputedStyle(i).objectFit, i.naturalWidth, i.naturalHeight]")
    assert fit[0] == "contain" and fit[1] != fit[2]

    page.locator("#instance-panel img.preview").click()
    page.locator("#viewer.open").wait_for(timeout=10_000)
    page.wait_for_function(f"url => {{ const g = {MAIN}; return g && g.layout.images &&"
                           " g.layout.images[0].source === url; }",
                           arg=f"/images/{record.id}.png", timeout=30_000)
    # the full-resolution image itself is served (not the thumbnail)
    size = page.evaluate("url => new Promise(ok => { const i = new Image(); i.onload = () =>"
                         " ok([i.naturalWidth, i.naturalHeight]); i.src = url; })",
                         f"/images/{record.id}.png")
    left, top, right, bottom = record.crop_box
    assert size == [right - left, bottom - top]

    # the scale bar: a round length at the measured nm/px
    bar = page.evaluate(f"() => {{ const g = {MAIN}; const s = g.layout.shapes[0];"
                        " return [s.x1 - s.x0, g.layout.annotations[0].text]; }")
    expected_nm = {"500 nm": 500, "1 µm": 1000, "2 µm": 2000, "5 µm": 5000,
                   "200 nm": 200, "100 nm": 100, "10 µm": 1e4}[bar[1]]
    assert bar[0] == pytest.approx(expected_nm / reading.nm_per_pixel, rel=1e-6)
    assert expected_nm <= 0.2 * reading.nm_per_pixel * (right - left)

    # zoom with the wheel: the x range shrinks
    span = f"() => {{ const r = {MAIN}._fullLayout.xaxis.range; return r[1] - r[0]; }}"
    before = page.evaluate(span)
    box = page.locator("#viewer-main").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(20):  # a wheel event during a redraw (2 busy cores) may be lost
        page.mouse.wheel(0, -200)
        page.wait_for_timeout(300)
        if page.evaluate(span) < 0.8 * before:
            break
    assert page.evaluate(span) < 0.8 * before

    # the data bar shown: the whole frame
    page.get_by_label("data bar").check()
    page.wait_for_function(f"url => {MAIN}.layout.images[0].source === url",
                           arg=f"/images/{record.id}-bar.png", timeout=20_000)
    assert page.evaluate(f"() => {MAIN}.layout.images[0].sizey") == record.height
    page.get_by_label("data bar").uncheck()

    # keep it, close with Escape, open a neighbour: both side by side
    page.get_by_role("button", name="Keep for comparison").click()
    page.get_by_role("button", name="Kept for comparison").wait_for(timeout=10_000)
    page.keyboard.press("Escape")
    page.locator("#viewer.open").wait_for(state="detached", timeout=10_000)
    assert not page.locator("#viewer").is_visible()
    neighbour = page.locator("#instance-panel .neighbours img.thumb").first
    other = neighbour.evaluate("i => i.getAttribute('src').split('/').pop().split('.')[0]")
    neighbour.dblclick()
    page.locator("#viewer.open").wait_for(timeout=10_000)
    page.wait_for_function(f"url => {{ const g = {MAIN}; return g && g.layout.images &&"
                           " g.layout.images[0].source === url; }",
                           arg=f"/images/{other}.png", timeout=30_000)
    page.locator("#viewer-compare-pane").wait_for(state="visible", timeout=20_000)
    assert shown_source(page, COMPARE) == f"/images/{record.id}.png"

    # linked zoom: a drag (pan) on one image shows the same part of the other
    box = page.locator("#viewer-compare .nsewdrag").bounding_box()
    page.wait_for_function(f"() => {COMPARE}._topographLinked", timeout=10_000)
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4, steps=6)
    page.mouse.up()
    fractions = """g => { const e = g.data.find(t => t.name === 'extent');
        return [g.layout.xaxis.range[0] / e.x[1], g.layout.yaxis.range[1] / e.y[1]]; }"""
    page.wait_for_function(
        f"""() => {{ const f = {fractions}, a = f({COMPARE}), b = f({MAIN});
                    return a[0] > 0.05 && Math.abs(a[0] - b[0]) < 1e-3
                           && Math.abs(a[1] - b[1]) < 1e-3; }}""", timeout=10_000)
    page.get_by_label("linked zoom").uncheck()
    page.wait_for_timeout(500)  # the figures are redrawn for the new options
    before = page.evaluate(f"() => ({fractions})({MAIN})")
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7, steps=6)
    page.mouse.up()
    page.wait_for_timeout(500)
    assert page.evaluate(f"() => ({fractions})({MAIN})") == before  # not linked: stays
    page.get_by_label("linked zoom").check()
    page.locator("#viewer-close").click()
    page.locator("#viewer.open").wait_for(state="detached", timeout=10_000)

    # a tile's corner button (drawn by the style sheet) opens the viewer with one click;
    # a click elsewhere on the tile does not (it focuses the tile's image)
    tile = page.locator("#instance-panel .neighbours .tile").nth(1)
    other = tile.evaluate("t => t.querySelector('img').getAttribute('src')"
                          ".split('/').pop().split('.')[0]")
    tile.hover()
    assert tile.evaluate("t => getComputedStyle(t, '::before').visibility") == "visible"
    box = tile.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 9, box["y"] + 9)
    page.locator("#viewer.open").wait_for(timeout=10_000)
    page.wait_for_function(f"url => {{ const g = {MAIN}; return g && g.layout.images &&"
                           " g.layout.images[0].source === url; }",
                           arg=f"/images/{other}.png", timeout=30_000)
    page.keyboard.press("Escape")
    page.locator("#viewer.open").wait_for(state="detached", timeout=10_000)
    tile = page.locator("#instance-panel .neighbours .tile").nth(2)
    box = tile.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    page.wait_for_timeout(500)
    assert not page.locator("#viewer").is_visible()
