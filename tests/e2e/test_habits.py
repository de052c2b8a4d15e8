"""Keyboard and browser habits on the demo in real headless Chromium: arrow keys page
through the selection and step through a grid in the viewer, Escape closes the viewer,
the back button restores the previous selection."""

import pytest

from tests.e2e.test_dashboard import (  # noqa: F401 (fixture)
    SCATTER,
    dashboard,
    populated_box,
)

pytestmark = pytest.mark.e2e
COUNT = "#selection-count"
MAIN = "document.querySelector('#viewer-main .js-plotly-plot')"


def lasso(page, fx0: float, fy0: float, fx1: float, fy1: float) -> None:
    """A lasso along a rectangle given in fractions of the plot area."""
    box = page.locator(f"{SCATTER} .nsewdrag").bounding_box()
    x0, y0 = box["x"] + box["width"] * fx0, box["y"] + box["height"] * fy0
    x1, y1 = box["x"] + box["width"] * fx1, box["y"] + box["height"] * fy1
    lasso_pixels(page, x0, y0, x1, y1)


def lasso_pixels(page, x0: float, y0: float, x1: float, y1: float) -> None:
    """A lasso along a rectangle in page pixels."""
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        page.mouse.move(x, y, steps=6)
    page.mouse.up()


def count_text(page) -> str:
    return page.locator(COUNT).inner_text()


def wait_count(page, prefix: str) -> None:
    page.wait_for_function("p => { const c = document.querySelector('#selection-count');"
                           " return c && c.innerText.startsWith(p); }", arg=prefix,
                           timeout=30_000)


def shown_id(page) -> str:
    return page.evaluate(f"() => {{ const g = {MAIN}; return g && g.layout.images ?"
                         " g.layout.images[0].source : ''; }")


def test_arrow_keys_page_and_the_back_button_restores_the_selection(dashboard):  # noqa: F811
    page = dashboard
    lasso_pixels(page, *populated_box(page, size=0.25))
    page.locator("#selection-grid .tile").first.wait_for(timeout=30_000)
    small = count_text(page).split(" selected")[0]
    # a second lasso starts outside the first (a drag inside a selection moves it)
    lasso(page, 0.02, 0.02, 0.98, 0.98)
    page.wait_for_function("n => { const t = document.querySelector('#selection-count')"
                           ".innerText; return !t.startsWith(n + ' selected') &&"
                           " / page 1 of [2-9]/.test(t); }", arg=small, timeout=60_000)
    big = count_text(page).split(" selected")[0]
    page.locator("body").press("ArrowRight")
    wait_count(page, f"{big} selected - page 2 of")
    page.locator("body").press("ArrowLeft")
    wait_count(page, f"{big} selected - page 1 of")
    page.go_back()
    wait_count(page, f"{small} selected")
    page.go_forward()
    wait_count(page, f"{big} selected")


def test_arrow_keys_step_through_a_grid_in_the_viewer_and_escape_closes(dashboard):  # noqa: F811
    page = dashboard
    lasso_pixels(page, *populated_box(page, size=0.25))
    tiles = page.locator("#selection-grid img.thumb")
    tiles.nth(2).wait_for(timeout=30_000)
    ids = tiles.evaluate_all("els => els.map(i => i.getAttribute('src').split('/').pop()"
                             ".split('.')[0])")
    tiles.nth(0).dblclick()
    page.locator("#viewer.open").wait_for(timeout=10_000)
    page.wait_for_function(f"u => ({MAIN}) && {MAIN}.layout.images &&"
                           f" {MAIN}.layout.images[0].source === u",
                           arg=f"/images/{ids[0]}.png", timeout=30_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"u => {MAIN}.layout.images[0].source === u",
                           arg=f"/images/{ids[1]}.png", timeout=30_000)
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"u => {MAIN}.layout.images[0].source === u",
                           arg=f"/images/{ids[0]}.png", timeout=30_000)
    assert count_text(page).endswith("page 1 of 1") or " page 1 of" in count_text(page)
    page.keyboard.press("Escape")
    page.locator("#viewer.open").wait_for(state="detached", timeout=10_000)
