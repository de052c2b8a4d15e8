"""The first thing a user does: open the page, see the latent space, look at an image."""

import pytest

pytestmark = pytest.mark.e2e

SCATTER = "#latent-scatter"


def point_position(page, trace: int = 0, point: int = 0) -> dict:
    """Page coordinates of one plotted point, from Plotly's own axis mapping."""
    return page.evaluate(
        """([sel, trace, point]) => {
            const gd = document.querySelector(sel + ' .js-plotly-plot');
            const fl = gd._fullLayout, d = gd._fullData[trace];
            const box = gd.getBoundingClientRect();
            return {x: box.left + fl._size.l + fl.xaxis.d2p(d.x[point]),
                    y: box.top + fl._size.t + fl.yaxis.d2p(d.y[point]),
                    row: d.customdata[point]};
        }""", [SCATTER, trace, point])


def wait_for_points(page) -> None:
    page.wait_for_function(
        """sel => { const gd = document.querySelector(sel + ' .js-plotly-plot');
                    if (!gd || !gd._fullData || gd._fullData.length < 10) return false;
                    const n = gd._fullData.reduce((s, t) => s + (t.x ? t.x.length : 0), 0);
                    return n >= 2000; }""",
        arg=SCATTER, timeout=120_000)


def test_scatter_appears_and_a_point_shows_its_thumbnail(page, app_url):
    page.goto(app_url)
    wait_for_points(page)
    legend = page.locator(f"{SCATTER} .legendtext").all_text_contents()
    assert "Trouser" in legend and "Bag" in legend

    pos = point_position(page)
    page.mouse.move(pos["x"], pos["y"])
    tooltip_img = page.locator("#hover-tooltip img")
    tooltip_img.wait_for(state="visible", timeout=20_000)
    assert tooltip_img.get_attribute("src").startswith("/thumbnails/")

    page.mouse.click(pos["x"], pos["y"])
    panel_img = page.locator("#instance-panel img")
    panel_img.wait_for(state="visible", timeout=20_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('#instance-panel img');"
        " return i && i.complete && i.naturalWidth > 0; }", timeout=20_000)
    assert page.locator("#instance-panel .label").inner_text() in legend
