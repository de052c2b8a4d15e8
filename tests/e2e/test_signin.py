"""Sign-in in a real browser: HTTP Basic against the user file (``--users``). Without a
password, or with a wrong one, the server answers 401 and the browser shows nothing of the
page; signed in, the page says who, the naming form's user is that name and cannot be
typed over, and a saved name's history records the user."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from compute.naming import NameStore
from explorer.users import add_user
from tests.appserver import running_app
from tests.e2e.test_naming_sessions import LEAF, open_leaf, save

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory):
    """(URL, names database) of ``python app.py --users FILE`` on the demo, user ana."""
    root = tmp_path_factory.mktemp("signin")
    add_user(root / "users.txt", "ana", PASSWORD)
    names = root / "names.sqlite"
    with running_app(["--cache-dir", str(root / "cache"), "--names", str(names),
                      "--users", str(root / "users.txt")], log=root / "app.log") as (url, _):
        yield url, names


def test_a_signed_in_expert_names_a_cluster_under_their_own_name(browser, signed_app):
    url, names = signed_app
    from playwright.sync_api import Error

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 401 and "Basic" in refused.value.headers["WWW-Authenticate"]
    for credentials in (None, {"username": "ana", "password": "wrong"}):
        context = browser.new_context(http_credentials=credentials)
        try:  # headless Chromium either shows the 401 or gives up on the credentials
            refused = context.new_page().goto(url).status == 401
        except Error as exc:
            refused = "ERR_INVALID_AUTH_CREDENTIALS" in str(exc)
        context.close()
        assert refused, credentials
    context = browser.new_context(viewport={"width": 1400, "height": 900},
                                  http_credentials={"username": "ana", "password": PASSWORD})
    page = context.new_page()
    try:
        open_leaf(page, url, LEAF)
        assert page.inner_text("#signed-in") == "Signed in as ana"
        assert page.input_value("#hier-user") == "ana" and page.is_disabled("#hier-user")
        assert save(page, "signed-in name").startswith("Saved")
        assert [entry.user for entry in NameStore(names).history()] == ["ana"]
    finally:
        context.close()
