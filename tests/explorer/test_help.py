"""Help where the question arises: every control of the page has a sentence and a "?"
link, every link lands on a heading of the README's science section, and the app serves
that section at /help."""

import re

import pytest
from dash import html

from explorer.app import create_app
from explorer.config import REPO_ROOT, AppConfig
from explorer.help import (
    HELP,
    components,
    controls,
    heading_anchor,
    help_page,
    science_section,
    section_anchors,
    section_html,
    with_help,
)
from explorer.layout import build_layout

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_control_of_the_page_has_a_help_entry():
    missing = [c.id for c in controls(build_layout(AppConfig())) if c.id not in HELP]
    assert not missing, f"add a sentence for {missing} to explorer/help.py HELP"


def test_every_help_entry_is_a_control_of_the_page():
    present = {c.id for c in controls(build_layout(AppConfig()))}
    assert set(HELP) <= present, f"stale HELP entries: {sorted(set(HELP) - present)}"


def test_every_link_lands_on_a_heading_of_the_science_section():
    anchors = section_anchors(science_section(README))
    assert {entry.anchor for entry in HELP.values()} <= anchors
    assert all(len(entry.text) <= 160 for entry in HELP.values())  # a sentence, not a page


def test_the_science_answers_what_z_halo_saddle_and_root_merge_are():
    section = science_section(README)
    for term in ("**Z**", "**halo**", "**saddle**", "**root merge**", "**white cell**",
                 "**log-density**", "**PAk**", "**k**", "**max k**", "**grey**"):
        assert term in section, term


def _texts_in(component) -> list[str]:
    """Every tooltip and "?" link target in a component tree."""
    return [str(getattr(item, name)) for item in components(component)
            for name in ("title", "href") if getattr(item, name, None)]


def test_with_help_puts_every_sentence_and_link_on_the_page():
    page = with_help(build_layout(AppConfig()))
    texts = _texts_in(page)
    for control in controls(page):
        entry = HELP[control.id]
        assert entry.text in texts, control.id
        if control._type != "Button" and "title" not in control._prop_names:
            assert f"/help#{entry.anchor}" in texts, control.id


def test_a_field_label_gets_the_tooltip_and_the_link():
    from dash import dcc

    from explorer.widgets import field

    layout = html.Div([field("k", dcc.Input(id="settings-k"))])
    with_help(layout)
    label = layout.children[0].children[0]
    assert label.title == HELP["settings-k"].text
    assert label.children[-1].href == f"/help#{HELP['settings-k'].anchor}"


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Z (merge significance)", "z-merge-significance"),
    ("Neighbours, k and max k", "neighbours-k-and-max-k"),
    ("Halo", "halo")])
def test_anchors_are_githubs(heading, anchor):
    assert heading_anchor(heading) == anchor


def test_section_html_escapes_text_and_marks_headings():
    out = section_html("### A <b> (x)\n\nSome **bold** and `<script>`.\n\n- one\n- two")
    assert '<h3 id="a-b-x">' in out and "&lt;b&gt;" in out
    assert "<b>bold</b>" in out and "<code>&lt;script&gt;</code>" in out
    assert "<li>one</li><li>two</li>" in out and "<script>" not in out


def test_the_help_route_serves_the_section_with_its_anchors(app_config):
    client = create_app(app_config).server.test_client()
    resp = client.get("/help")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    body = resp.get_data(as_text=True)
    assert body == help_page(README)
    for entry in HELP.values():
        assert f'id="{entry.anchor}"' in body
    assert re.search(r"root merge", body)
