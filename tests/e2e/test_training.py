"""What a user does to learn a representation: train on the demo folder in the browser,
compute with the new weights, read the quality report. Real headless Chromium against
``python app.py``."""

import re

import pytest

from compute.params import AnalysisParams, default_k
from tests.e2e.test_dashboard import GD, wait_for_points

pytestmark = pytest.mark.e2e


def test_train_then_compute_with_the_weights_then_read_the_quality_report(page, app_url):
    page.goto(app_url)
    wait_for_points(page)
    page.click("#train-strategy")
    page.get_by_role("option", name="fine-tune (needs labels)").click()
    page.fill("#train-epochs", "1")
    page.press("#train-epochs", "Tab")  # debounced: the value counts on blur
    page.click("#train-button")
    page.locator("#train-cancel:not([disabled])").wait_for(timeout=30_000)  # running
    result = page.locator("#train-result")
    result.get_by_text(re.compile(r"Trained finetune-resnet18-[0-9a-f]{12}\.pt")).wait_for(
        timeout=240_000)
    name = re.search(r"finetune-resnet18-[0-9a-f]{12}\.pt", result.inner_text()).group(0)
    assert "resnet18 at 32 px, 2000 images" in result.inner_text()  # size chosen for 28 px
    assert page.locator("#train-result table.train-history tbody tr").count() == 1
    # the new weights are chosen, with the network they were made for
    page.locator("#settings-weights", has_text=name).wait_for(timeout=20_000)
    page.locator("#settings-backbone", has_text="resnet18").wait_for(timeout=20_000)

    page.click("#run-button")
    page.wait_for_function(f"() => {GD}.layout.title.text.startsWith('resnet18 /')",
                           timeout=240_000)
    wait_for_points(page)

    page.click("details.quality > summary")
    page.click("#quality-button")
    summary = page.locator("#quality-summary")
    metric = AnalysisParams().resolved(cnn_features=True).metric  # "auto" for a CNN
    summary.get_by_text(f"resnet18, weights {name}, {metric} distance: 2000 images").wait_for(
        timeout=240_000)
    methods = page.locator("#quality-summary table.quality-scores tbody td:first-child")
    page_z = re.search(r"at Z = ([\d.]+)", page.inner_text("#hier-z-summary")).group(1)
    params = AnalysisParams()
    k = default_k(2000, params.maxk)  # the default k of the 2 000 images
    assert methods.all_text_contents() == [
        "kmeans-k10", "agglomerative-ward-k10", "hdbscan",
        f"adp-{params.density}-k{k}-z{page_z}-{metric}"]  # ADP at the page's Z
    nmi = [float(t) for t in page.locator(
        "#quality-summary table.quality-scores tbody td:nth-child(3)").all_text_contents()]
    assert all(0 < v <= 1 for v in nmi)
    page.locator("#quality-heatmap image").wait_for(state="attached", timeout=20_000)
    assert page.locator("#quality-error").inner_text() == ""
