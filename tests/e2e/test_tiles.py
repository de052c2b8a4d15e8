"""Thumbnail tiles in the browser: a grid's tiles are HTML inside one component
(``explorer.panels.thumbnail_grid``), so file names and labels that are markup, Markdown
or JSX must arrive as text. Real headless Chromium against ``python app.py`` on a small
folder whose file names are hostile."""

import pytest

from tests.appserver import running_app
from tests.e2e.test_dashboard import wait_for_points
from tests.hostile_text import rename_images
from tests.imagefiles import write_blob_images

pytestmark = pytest.mark.e2e

NAMES = ("a\"b'c{d}e&amp;f hostile.png", "<img src=x onerror=alert(1)> <b>bold hostile.png",
         "![i](x.png) [a](javascript:alert(1)) {{x}} hostile.png")  # no "/": a file name
LABEL = "<i>label</i> {x}"
PER_CLASS = 8


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e-tiles")
    images = root / "images"
    labels = write_blob_images(images, per_class=PER_CLASS)
    rename_images(images, labels, dict(enumerate(NAMES)), dict.fromkeys(range(len(NAMES)), LABEL))
    with running_app(["--images", str(images), "--labels", str(labels),
                      "--cache-dir", str(root / "cache"), "--names", str(root / "names.sqlite")],
                     log=root / "app.log") as (url, _):
        yield url


def test_hostile_file_names_and_labels_stay_text_in_the_tiles(page, hostile_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_url)
    wait_for_points(page, n=2 * PER_CLASS)
    page.fill("#search-input", "hostile")
    page.press("#search-input", "Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('#selection-grid .tile').length === {len(NAMES)}",
        timeout=60_000)
    tiles = page.locator("#selection-grid .tile").evaluate_all(
        "els => els.map(e => [e.title, e.dataset.caption, e.querySelector('img').alt])")
    assert sorted(t[0] for t in tiles) == sorted(NAMES)
    assert all(title == alt and caption == LABEL for title, caption, alt in tiles)
    # nothing of the names became an element, a link or an image of its own
    assert page.locator("#selection-grid b, #selection-grid i, #selection-grid a,"
                        " #selection-grid img:not(.thumb)").count() == 0
    assert not dialogs
