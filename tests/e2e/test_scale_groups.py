"""Colour by scale group and filter by group, in real headless Chromium against
``python app.py --images <synthetic SEM folder>`` (two scale groups, two frames without
a data bar)."""

import pytest

from compute.pipeline import analyse_folder, project_analysis
from compute.projection import ProjectionParams
from tests.appserver import running_app
from tests.compute._image_fixtures import pixel_config
from tests.e2e.test_dashboard import GD, SCATTER, rows_in_box, wait_for_points

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
GROUPS = ("200 nm", "1 um", "2 um", "no scale (no data bar)")


@pytest.fixture(scope="module")
def sem_url(sem_folder, sem_cache):
    """The app on the SEM folder, its analysis and 2-D PCA already in the step cache, so
    the test is about the UI, not the OCR time."""
    folder, _ = sem_folder
    analysis = analyse_folder(pixel_config(images=str(folder)), cache_dir=sem_cache)
    project_analysis(analysis, ProjectionParams(), cache_dir=sem_cache)
    args = ["--cache-dir", str(sem_cache), "--names", str(sem_cache / "names.sqlite"),
            "--images", str(folder), "--backbone", "pixels"]
    with running_app(args, log=sem_cache / "app.log") as (url, _proc):
        yield url


def colour_codes(page) -> list[float]:
    return page.evaluate(f"() => Array.from({GD}._fullData[0].marker.color)")


def test_colour_by_scale_group_then_filter_to_one_group(page, sem_url, sem_folder):
    _, truth = sem_folder
    page.goto(sem_url)
    wait_for_points(page, n=len(truth))
    before = colour_codes(page)
    page.click("#colour-by")
    page.get_by_role("option", name="scale group", exact=True).click()
    for name in GROUPS:
        page.locator(f"{SCATTER} .legendtext", has_text=name).first.wait_for(timeout=30_000)
    page.wait_for_function(f"() => {GD}.layout.legend.title.text === 'scale group'",
                           timeout=20_000)
    by_group = colour_codes(page)
    assert by_group != before
    rows = sorted(truth)  # rows follow the scan's order: sorted paths
    group_of_row = [truth[p] for p in rows]
    # one colour code per group, the same for every image of that group
    code_of = {}
    for group, code in zip(group_of_row, by_group, strict=True):
        assert code_of.setdefault(group, code) == code
    assert len(set(code_of.values())) == len(GROUPS)

    # keep only the 1-2 um group: the other five points get the transparent code
    page.click("#scale-filter")
    page.get_by_role("option", name="1-2 um (6)").click()
    transparent = len(GROUPS)  # the code after the categories
    page.wait_for_function(
        f"""n => Array.from({GD}._fullData[0].marker.color)
                .filter(c => c === n).length === 5""", arg=transparent, timeout=30_000)
    filtered = colour_codes(page)
    outside = {i for i, g in enumerate(group_of_row) if g not in ("1 um", "2 um")}
    assert {i for i, c in enumerate(filtered) if c == transparent} == outside

    # a lasso around everything selects only the images still shown
    box = page.locator(f"{SCATTER} .nsewdrag").bounding_box()
    x0, y0 = box["x"] + 4, box["y"] + 4
    x1, y1 = box["x"] + box["width"] - 4, box["y"] + box["height"] - 4
    enclosed = set(rows_in_box(page, x0, y0, x1, y1)["strict"])
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    shown = enclosed - outside
    page.locator("#selection-count").wait_for(timeout=20_000)
    assert page.locator("#selection-count").inner_text().startswith(f"{len(shown)} selected")
    page.wait_for_function("n => document.querySelectorAll('#selection-grid .tile').length"
                           " === n", arg=len(shown), timeout=20_000)
    tiles = page.locator("#selection-grid .tile").evaluate_all(
        "els => els.map(e => Number(e.dataset.row))")
    assert set(tiles) == shown and len(shown) >= 5
