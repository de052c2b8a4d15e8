"""Two experts name the same cluster in two browser sessions; hostile text stays text.

Two Playwright browser contexts are two independent users (own local storage, own Dash
stores) against the running app and its names database. Each test deletes (through the
page) the name it left, so the other browser tests find no name they did not give.
"""

import uuid

import pytest

from explorer.legibility import short
from tests.e2e.test_hierarchy import DENDROGRAM, leaf_position, wait_for_summary

pytestmark = pytest.mark.e2e

LEAF = 3
STATUS = "#hier-name-status"
TITLE = "#hier-card .hier-card-title"


@pytest.fixture
def two_pages(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    for page, user in zip(pages, ("ana", "bo"), strict=True):
        open_leaf(page, app_url, LEAF)
        page.fill("#hier-user", user)
    yield pages
    delete_name(pages[0])
    for context in contexts:
        context.close()


def delete_name(page) -> None:
    """Reload the card and delete its name, as a user would (retried if a save raced)."""
    for _ in range(5):
        page.click("#hier-reload")
        page.wait_for_timeout(1500)
        before = page.inner_text(STATUS)
        page.click("#hier-delete")
        page.wait_for_function("([sel, old]) => document.querySelector(sel).innerText !== old",
                               arg=[STATUS, before], timeout=30_000)
        if page.inner_text(STATUS).startswith(("Name deleted", "This node has no name")):
            return
    raise AssertionError(f"could not delete the test's name: {page.inner_text(STATUS)}")


def open_leaf(page, url: str, leaf: int) -> None:
    page.goto(url)
    wait_for_summary(page)
    page.locator(DENDROGRAM).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    pos = leaf_position(page, leaf)
    page.mouse.click(pos["x"], pos["y"])
    page.wait_for_function(f"() => {{ const t = document.querySelector('{TITLE}');"
                           f" return t && t.innerText.includes('cluster {leaf}'); }}",
                           timeout=60_000)


def save(page, name: str) -> str:
    """Type ``name``, press Save, and return the status message it gets."""
    page.fill("#hier-name", name)
    before = page.inner_text(STATUS)
    page.click("#hier-save")
    page.wait_for_function(
        """([sel, old]) => { const t = document.querySelector(sel).innerText;
                            return t && t !== old &&
                                   (t.startsWith('Saved') || t.startsWith('Not saved')); }""",
        arg=[STATUS, before], timeout=30_000)
    return page.inner_text(STATUS)


def wait_for_title(page, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).innerText.startsWith(text)",
        arg=[TITLE, text], timeout=30_000)


def test_second_session_gets_a_conflict_then_reloads_and_retries(two_pages):
    ana, bo = two_pages
    tag = uuid.uuid4().hex[:6]
    assert save(ana, f"ana {tag}").startswith(f"Saved 'ana {tag}'")
    # ana's card re-reads the store after her save (her form then holds version 1); only
    # once it has can bo's later save make her form the stale one
    wait_for_title(ana, f"ana {tag}")

    refused = save(bo, f"bo {tag}")  # bo's form still holds the version he read
    assert refused.startswith("Not saved") and "ana" in refused and "Reload" in refused
    assert bo.input_value("#hier-name") == f"bo {tag}"  # nothing typed is thrown away

    bo.click("#hier-reload")
    wait_for_title(bo, f"ana {tag}")  # the card shows what ana saved ...
    assert bo.input_value("#hier-name") == f"bo {tag}"  # ... and bo's text stays
    assert save(bo, f"bo {tag}").startswith(f"Saved 'bo {tag}'")
    wait_for_title(bo, f"bo {tag}")
    bo.locator("#hier-card .hier-history").wait_for(timeout=30_000)
    assert f"ana {tag}" in bo.inner_text("#hier-card .hier-history")  # replaced, not lost

    late = save(ana, f"ana again {tag}")  # ana's form is now the stale one
    assert late.startswith("Not saved") and "bo" in late
    ana.click("#hier-reload")
    wait_for_title(ana, f"bo {tag}")


HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def test_markup_in_a_name_is_shown_as_text_and_never_runs(two_pages):
    ana, bo = two_pages
    name = HOSTILE
    status = save(ana, name)
    if status.startswith("Not saved"):  # the other test named this cluster first
        ana.click("#hier-reload")
        status = save(ana, name)
    assert status.startswith("Saved"), status
    wait_for_title(ana, name)
    bo.click("#hier-reload")
    wait_for_title(bo, name)
    for page in (ana, bo):
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator("#hier-card script, #hier-card img[src='x']").count() == 0
        page.wait_for_function(  # Plotly shows the literal text (cut to a label's length) ...
            "(name) => Array.from(document.querySelectorAll('#hier-dendrogram text'))"
            ".some(t => t.textContent === name)", arg=short(name), timeout=30_000)
        assert page.locator("#hier-dendrogram svg img, #hier-dendrogram svg a").count() == 0


def test_overlong_and_control_text_is_refused_with_a_reason(two_pages):
    ana, _ = two_pages
    ana.fill("#hier-name", "x" * 4000)
    typed = ana.input_value("#hier-name")
    assert len(typed) <= 80  # the field stops at the limit ...
    # ... and a page that bypasses the field's limit is refused by the server
    status = save_bypassing_the_field(ana, "y" * 4000)
    assert status.startswith("Not saved") and "4000 characters" in status
    assert "at most 80" in status
    status = save_bypassing_the_field(ana, "bell\u0007 and escape\u001b[2J")
    assert status.startswith("Not saved") and "control characters" in status


def save_bypassing_the_field(page, text: str) -> str:
    """Put ``text`` into the name field as a script would (no maxlength), then Save."""
    page.evaluate("""(text) => {
        const input = document.querySelector('#hier-name');
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype,
                                                       'value').set;
        setter.call(input, text);
        input.dispatchEvent(new Event('input', {bubbles: true}));
    }""", text)
    assert page.input_value("#hier-name") == text
    before = page.inner_text(STATUS)
    page.click("#hier-save")
    page.wait_for_function("([sel, old]) => document.querySelector(sel).innerText !== old",
                           arg=[STATUS, before], timeout=30_000)
    return page.inner_text(STATUS)
