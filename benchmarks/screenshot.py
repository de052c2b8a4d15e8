"""Screenshot of the running dashboard after a click and a box selection.

    python app.py --port 8050 &   then   python -m benchmarks.screenshot [URL] [OUT.png]
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def main(url: str = "http://127.0.0.1:8050", out: str = "assets/screenshot.png") -> int:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(url)
        page.wait_for_function(
            "() => { const g = document.querySelector('#latent-scatter .js-plotly-plot');"
            " return g && g._fullData && g._fullData.length > 3; }", timeout=180_000)
        box = page.locator("#latent-scatter .nsewdrag").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        page.evaluate(
            """() => { const g = document.querySelector('#latent-scatter .js-plotly-plot');
               Plotly.relayout(g, {dragmode: 'select'}); }""")
        x0, y0 = box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + box["width"] * 0.15, y0 + box["height"] * 0.2, steps=8)
        page.mouse.up()
        page.mouse.move(1595, 995)  # away from the map: no hover tooltip left over the page
        page.wait_for_timeout(3000)
        page.screenshot(path=out, full_page=True)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
