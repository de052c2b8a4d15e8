"""Real headless Chromium (Debian's /usr/bin/chromium via Playwright) against the real app.

The app runs as a subprocess (``python app.py``) on a free loopback port with its own
cache folder, exactly as a user starts it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.appserver import running_app

CHROMIUM = os.environ.get("TOPOGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """URL of a running ``python app.py`` on the demo data (stopped after the session)."""
    cache = tmp_path_factory.mktemp("e2e-cache")
    with running_app(["--cache-dir", str(cache), "--names", str(cache / "names.sqlite")],
                     log=cache / "app.log") as (url, _proc):
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium "
                    "(or set TOPOGRAPH_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()
