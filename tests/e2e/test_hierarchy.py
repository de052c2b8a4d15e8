"""The hierarchy panel in a real browser: re-merge with the Z slider, name a cluster, and
find the name in the downloaded labelled-hierarchy CSV."""

import re
import zipfile

import pandas as pd
import pytest

from compute.params import Z_MAX, Z_MIN

pytestmark = pytest.mark.e2e

SUMMARY = "#hier-z-summary"
DENDROGRAM = "#hier-dendrogram"


def cluster_count(page) -> int:
    match = re.match(r"(\d+) clusters at Z = ([\d.]+)", page.inner_text(SUMMARY))
    assert match, page.inner_text(SUMMARY)
    return int(match.group(1))


def summary_z(page) -> float:
    match = re.match(r"(\d+) clusters at Z = ([\d.]+)", page.inner_text(SUMMARY))
    assert match, page.inner_text(SUMMARY)
    return float(match.group(2))


def wait_for_summary(page, *, not_text: str | None = None) -> str:
    page.wait_for_function(
        """([sel, old]) => { const s = document.querySelector(sel);
                            return s && s.innerText.includes('clusters at Z') &&
                                   (old === null || s.innerText !== old); }""",
        arg=[SUMMARY, not_text], timeout=240_000)
    return page.inner_text(SUMMARY)


def drag_slider_to(page, fraction: float) -> None:
    """Drag the Z slider's thumb to ``fraction`` of its track, as a user does (scrolled
    into view first: the mouse only reaches what is on the screen)."""
    page.locator("#hier-z").scroll_into_view_if_needed()
    thumb = page.locator("#hier-z [role=slider]").bounding_box()
    track = page.locator("#hier-z .dash-slider-track").bounding_box()
    page.mouse.move(thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + fraction * track["width"], thumb["y"] + thumb["height"] / 2,
                    steps=8)
    page.mouse.up()


def leaf_position(page, leaf: int) -> dict:
    """Page coordinates of a dendrogram node (the last trace holds the node markers)."""
    return page.evaluate(
        """([sel, leaf]) => {
            const gd = document.querySelector(sel + ' .js-plotly-plot');
            const fl = gd._fullLayout, d = gd._fullData[gd._fullData.length - 1];
            const box = gd.getBoundingClientRect();
            return {x: box.left + fl._size.l + fl.xaxis.d2p(d.x[leaf]),
                    y: box.top + fl._size.t + fl.yaxis.d2p(d.y[leaf])};
        }""", [DENDROGRAM, leaf])


def test_z_slider_remerges_and_a_name_reaches_the_csv(page, app_url, tmp_path):
    page.goto(app_url)
    before = wait_for_summary(page)
    assert "the suggested cut" in before  # the page opens at the suggested Z
    n_before, z_before = cluster_count(page), summary_z(page)
    lower = z_before > (Z_MIN + Z_MAX) / 2  # move to the far end of the range
    drag_slider_to(page, 0.02 if lower else 0.98)
    wait_for_summary(page, not_text=before)
    n_after = cluster_count(page)
    assert n_after > n_before if lower else n_after < n_before

    page.locator(DENDROGRAM).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    pos = leaf_position(page, 0)
    page.mouse.click(pos["x"], pos["y"])
    page.locator("#hier-card .hier-card-title").wait_for(timeout=60_000)
    assert page.inner_text("#hier-card .hier-card-title") == "cluster 0"
    page.wait_for_function(
        "() => { const i = document.querySelector('#hier-card .densest img');"
        " return i && i.complete && i.naturalWidth > 0; }", timeout=30_000)

    page.fill("#hier-user", "e2e tester")
    page.fill("#hier-name", "=footwear <b>x</b>")
    page.click("#hier-save")
    page.wait_for_function(
        "() => document.querySelector('#hier-name-status').innerText.startsWith('Saved')",
        timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('#hier-card .hier-card-title').innerText"
        ".startsWith('=footwear <b>x</b>')", timeout=30_000)
    assert page.locator("#hier-card b").count() == 0  # shown as text, never as HTML

    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.click("#hier-export")
    for _ in range(120):
        if downloads:
            break
        page.wait_for_timeout(500)
    assert len(downloads) == 1  # one zip: the per-image CSV, the tree CSV and the sidecar
    zip_name = downloads[0].suggested_filename
    downloads[0].save_as(tmp_path / zip_name)
    stem = zip_name[:-len(".zip")]
    with zipfile.ZipFile(tmp_path / zip_name) as archive:
        assert sorted(archive.namelist()) == sorted(f"{stem}{s}" for s in
                                                    (".csv", ".json", ".tree.csv"))
        frame = pd.read_csv(archive.open(f"{stem}.csv"), dtype=str, keep_default_na=False)
    named = frame[frame["cluster"] == "0"]
    assert len(named) > 0 and set(named["cluster_name"]) == {"'=footwear <b>x</b>"}
    assert set(frame.loc[frame["cluster"] != "0", "cluster_name"]) <= {""}
    assert frame["cluster"].nunique() == n_after
