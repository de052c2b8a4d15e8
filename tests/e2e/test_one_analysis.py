"""One analysis on the whole page: after the hierarchy slider moves, one image shows the
same cluster number and name in the scatter (legend and hover), the Point panel, the
cluster card, the selection CSV and the labelled export; a reload keeps Z and the
choices. Real headless Chromium against ``python app.py`` on the demo data, with its
own cache and names database (the module's server)."""

import re
import zipfile

import pandas as pd
import pytest

from tests.appserver import running_app
from tests.e2e.test_dashboard import GD, SCATTER, isolated_point, wait_for_points
from tests.e2e.test_hierarchy import SUMMARY, drag_slider_to, wait_for_summary

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NAME = "one name everywhere"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    cache = tmp_path_factory.mktemp("one-analysis")
    with running_app(["--cache-dir", str(cache), "--names", str(cache / "names.sqlite")],
                     log=cache / "app.log") as (url, _proc):
        yield url


def summary_z(page) -> str:
    return re.search(r"at Z = ([\d.]+)", page.inner_text(SUMMARY)).group(1)


def set_maxk_and_compute(page, maxk: int) -> None:
    page.fill("#settings-maxk", str(maxk))
    page.press("#settings-maxk", "Tab")
    page.click("#run-button")
    page.wait_for_function(
        "k => document.querySelector('#hier-z-summary').innerText.includes(`maxk ${k},`)",
        arg=maxk, timeout=240_000)


def downloaded_csv(page, button: str, tmp_path, suffix: str = ".csv") -> pd.DataFrame:
    downloads = []

    def keep(download):
        downloads.append(download)
    page.on("download", keep)
    page.click(button)
    for _ in range(120):
        if any(d.suggested_filename.endswith(suffix) and ".tree." not in d.suggested_filename
               for d in downloads):
            break
        page.wait_for_timeout(500)
    found = next(d for d in downloads if d.suggested_filename.endswith(suffix)
                 and ".tree." not in d.suggested_filename)
    path = tmp_path / found.suggested_filename
    found.save_as(path)
    page.remove_listener("download", keep)
    if suffix == ".zip":  # the labelled export: its per-image CSV
        with zipfile.ZipFile(path) as archive:
            name = found.suggested_filename[:-len(".zip")] + ".csv"
            return name, pd.read_csv(archive.open(name), dtype=str, keep_default_na=False)
    return found.suggested_filename, pd.read_csv(path, dtype=str, keep_default_na=False)


def test_one_image_has_one_cluster_and_name_everywhere(page, own_app, tmp_path):
    page.goto(own_app)
    wait_for_points(page)
    wait_for_summary(page)
    set_maxk_and_compute(page, 20)  # a choice of the Compute section, kept on reload
    before = wait_for_summary(page)
    drag_slider_to(page, 0.55)  # Z about 2.9 (not the suggested Z): the whole page re-cuts
    wait_for_summary(page, not_text=before)
    z = summary_z(page)
    assert 2 < float(z) < 4

    # click an image: the Point panel and the card open on its cluster at this Z
    pos = isolated_point(page)
    page.mouse.click(pos["x"], pos["y"])
    page.locator("#instance-panel table.meta").wait_for(timeout=30_000)
    page.locator("#hier-card .hier-card-title").wait_for(timeout=30_000)
    title = page.inner_text("#hier-card .hier-card-title")
    cluster = int(re.fullmatch(r"cluster (\d+)", title).group(1))

    page.fill("#hier-user", "e2e")
    page.fill("#hier-name", NAME)
    page.click("#hier-save")
    page.wait_for_function(
        "() => document.querySelector('#hier-name-status').innerText.startsWith('Saved')",
        timeout=30_000)
    shown = f"{cluster} · {NAME}"

    # card, scatter legend (colour by cluster), Point panel, hover: the same cluster and name
    page.wait_for_function(
        "t => document.querySelector('#hier-card .hier-card-title').innerText === t",
        arg=f"{NAME} (cluster {cluster})", timeout=30_000)
    page.locator(f"{SCATTER} .legendtext", has_text=shown).wait_for(timeout=30_000)
    meta = dict(zip(page.locator("#instance-panel table.meta th").all_inner_texts(),
                    page.locator("#instance-panel table.meta td").all_inner_texts(),
                    strict=True))
    assert meta["cluster"] == shown and meta["row"] == str(pos["row"])
    page.evaluate("() => window.scrollTo(0, 0)")  # naming scrolled down to the form
    page.wait_for_timeout(300)
    again = isolated_point(page)
    assert again["row"] == pos["row"]
    pos = again
    page.mouse.move(5, 5)  # off the plot, then onto the image: a fresh hover
    page.wait_for_timeout(300)
    page.mouse.move(pos["x"], pos["y"], steps=4)
    page.wait_for_function(  # the moves may pass over other points first: wait for ours
        """t => { const c = document.querySelector('#hover-tooltip .hover-cluster');
                  return c && c.offsetParent !== null && c.innerText.startsWith(t); }""",
        arg=f"cluster {shown}", timeout=20_000)
    colour = page.evaluate(f"r => {GD}._fullData[0].marker.color[r]", pos["row"])
    legend_names = page.evaluate(f"() => {GD}._fullData.slice(3).map(t => t.name)")
    assert legend_names[colour] == shown  # the point's own colour is the named cluster's

    # the selection CSV: a small box around the image
    page.mouse.move(pos["x"] - 6, pos["y"] - 6)
    page.mouse.down()
    for x, y in ((6, -6), (6, 6), (-6, 6), (-6, -6)):
        page.mouse.move(pos["x"] + x, pos["y"] + y, steps=3)
    page.mouse.up()
    page.locator("#selection-grid .tile").first.wait_for(timeout=20_000)
    name, selection = downloaded_csv(page, "#export-button", tmp_path)
    assert name == f"topograph-images-z{z}-selection.csv"
    row = selection[selection["row"] == str(pos["row"])].iloc[0]
    assert (row["cluster"], row["cluster_name"]) == (str(cluster), NAME)

    # the labelled export of the hierarchy panel
    name, export = downloaded_csv(page, "#hier-export", tmp_path, suffix=".zip")
    assert name == f"topograph-images-z{z}.csv"
    image = export[export["id"] == row["id"]].iloc[0]
    assert (image["cluster"], image["cluster_name"]) == (str(cluster), NAME)

    # a reload keeps the Z, the choices and the selection, and shows the same clustering
    selected = sorted(int(r) for r in page.locator("#selection-grid .tile").evaluate_all(
        "els => els.map(e => e.dataset.row)"))
    page.reload()
    wait_for_points(page)
    wait_for_summary(page)
    assert summary_z(page) == z and "maxk 20," in page.inner_text(SUMMARY)
    assert page.input_value("#settings-maxk") == "20"
    page.locator(f"{SCATTER} .legendtext", has_text=shown).wait_for(timeout=60_000)
    page.locator("#selection-grid .tile").first.wait_for(timeout=30_000)
    assert sorted(int(r) for r in page.locator("#selection-grid .tile").evaluate_all(
        "els => els.map(e => e.dataset.row)")) == selected
    assert page.evaluate(f"() => Array.from({GD}.data[0].selectedpoints || [])") \
        == selected
