"""Names in and out in a real browser: the labelled export downloads as one zip; an
earlier export uploaded back shows a preview of what it will create or rename, and
imports on request. Real headless Chromium against ``python app.py`` on a small folder."""

import io
import zipfile

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.appserver import running_app
from tests.imagefiles import write_blob_images

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
UPLOAD = "#names-import-upload input[type=file]"


@pytest.fixture(scope="module")
def small_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("names-io")
    labels = write_blob_images(root / "images", per_class=20)
    args = ["--images", str(root / "images"), "--labels", str(labels), "--cache-dir",
            str(root / "cache"), "--names", str(root / "names.sqlite")]
    with running_app(args, log=root / "app.log") as (url, _proc):
        yield url


def wait_for_hierarchy(page) -> None:
    page.wait_for_function(
        "() => { const s = document.querySelector('#hier-z-summary');"
        " return s && s.innerText.includes('clusters at Z'); }", timeout=240_000)


def download_export(page, tmp_path):
    with page.expect_download(timeout=60_000) as info:
        page.click("#hier-export")
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def renamed_zip(path, tmp_path, name: str):
    """The export at ``path`` with ``name`` given to its first cluster, zipped again."""
    with zipfile.ZipFile(path) as archive:
        texts = {n: archive.read(n).decode() for n in archive.namelist()}
    tree_name = next(n for n in texts if n.endswith(".tree.csv"))
    tree = pd.read_csv(io.StringIO(texts[tree_name]), dtype=str, keep_default_na=False)
    first = tree.index[tree["kind"] == "cluster"][0]
    tree.loc[first, "name"] = name
    texts[tree_name] = tree.to_csv(index=False)
    out = tmp_path / "earlier-export.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for n, text in texts.items():
            archive.writestr(n, text)
    return out


def test_an_earlier_export_is_previewed_then_imported(page, small_app, tmp_path):
    page.goto(small_app)
    wait_for_hierarchy(page)
    exported = download_export(page, tmp_path)
    assert exported.suffix == ".zip"
    with zipfile.ZipFile(exported) as archive:
        assert len(archive.namelist()) == 3  # per-image CSV, tree CSV, sidecar

    page.click(".names-import summary")
    page.set_input_files(UPLOAD, str(renamed_zip(exported, tmp_path, "bright corner")))
    page.locator(".import-preview").wait_for(timeout=30_000)
    preview = page.inner_text(".import-preview")
    assert "1 to create" in preview and "bright corner" in preview
    assert page.inner_text("#names-import-status") == ""  # nothing saved yet

    page.fill("#hier-user", "e2e importer")
    page.click("#names-import-apply")
    page.wait_for_function(
        "() => document.querySelector('#names-import-status').innerText.startsWith('Imported')",
        timeout=30_000)
    assert page.inner_text("#names-import-status") == \
        "Imported: 1 created, 0 updated, 0 unchanged."
    assert page.is_disabled("#names-import-apply")
    # the page shows the name: the labelled export now carries it
    with zipfile.ZipFile(download_export(page, tmp_path)) as archive:
        csv = next(n for n in archive.namelist() if n.endswith(".csv")
                   and not n.endswith(".tree.csv"))
        frame = pd.read_csv(archive.open(csv), dtype=str, keep_default_na=False)
    assert "bright corner" in set(frame["cluster_name"])


def test_search_selects_and_shows_the_matches(page, small_app):
    page.goto(small_app)
    wait_for_hierarchy(page)
    # the clusters' peak images are drawn on the map
    page.wait_for_function(
        "() => { const gd = document.querySelector('#latent-scatter .js-plotly-plot');"
        " return gd && gd.layout.images && gd.layout.images.length > 0"
        " && gd.layout.images[0].source.startsWith('/thumbnails/'); }", timeout=30_000)
    page.fill("#search-input", "bottom-right-1")  # bottom-right-1.png, -10 ... -19.png
    page.press("#search-input", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#search-status').innerText.includes('match')",
        timeout=30_000)
    assert page.inner_text("#search-status").startswith("11 images match 'bottom-right-1'")
    page.locator("#selection-grid .tile").first.wait_for(timeout=30_000)
    titles = page.locator("#selection-grid .tile").evaluate_all("els => els.map(e => e.title)")
    assert len(titles) == 11 and all(t.startswith("bottom-right-1") for t in titles)
    assert page.evaluate("() => document.querySelector('#latent-scatter .js-plotly-plot')"
                         ".data[0].selectedpoints.length") == 11
    # the same images as a sortable table
    page.click(".selection-table summary")
    page.locator("#selection-table td").first.wait_for(timeout=20_000)
    paths = page.locator("#selection-table td[data-dash-column=path]").all_inner_texts()
    assert sorted(paths) == sorted(titles)


def test_a_facet_bar_filters_the_map_and_the_other_facets_follow(page, small_app):
    page.goto(small_app)
    wait_for_hierarchy(page)
    page.fill("#search-input", "top-left")  # select the 20 top-left images
    page.press("#search-input", "Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('#selection-grid .tile').length === 20",
        timeout=30_000)
    label_facet = page.locator(".facet", has=page.locator("h4", has_text="label"))
    bar = label_facet.locator(".facet-bar", has_text="bottom-right")
    # the facets follow the selection (a callback after the grid's): none of them selected
    expect(bar).to_have_attribute("data-count", "0/20", timeout=30_000)
    colour_by_cluster = page.evaluate(
        "() => Array.from(document.querySelector('#latent-scatter .js-plotly-plot')"
        "._fullData[0].marker.color)")
    bar.click()
    page.wait_for_function(
        "() => document.querySelector('.facet-bar.chosen') !== null", timeout=30_000)
    # the top-left images are hidden: their points get the transparent colour code, and
    # the selection keeps only images still shown (none)
    page.wait_for_function(
        """before => { const c = Array.from(document.querySelector(
               '#latent-scatter .js-plotly-plot')._fullData[0].marker.color);
               return c.filter((v, i) => v !== before[i]).length === 20; }""",
        arg=colour_by_cluster, timeout=30_000)
    page.wait_for_function(
        "() => document.querySelectorAll('#selection-grid .tile').length === 0",
        timeout=30_000)
    # the cluster facet now counts only bottom-right images
    counts = page.locator(".facet", has=page.locator("h4", has_text="cluster")) \
        .locator(".facet-bar").evaluate_all("bars => bars.map(b => b.dataset.count)")
    assert sum(int(c.split("/")[-1]) for c in counts) <= 20
    page.click("#facet-clear")
    page.wait_for_function("() => document.querySelector('.facet-bar.chosen') === null",
                           timeout=30_000)
