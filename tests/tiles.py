"""The thumbnail tiles of a Dash component tree, read as the browser reads them: a grid's
tiles are HTML inside one ``dcc.Markdown`` (:func:`explorer.panels.thumbnail_grid`).

Importable from every test folder as ``tests.tiles``.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _Tiles(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tiles: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "tile" in (attrs.get("class") or "").split():
            self.tiles.append(attrs)
        elif tag == "img" and self.tiles and "src" not in self.tiles[-1]:
            self.tiles[-1].update({"src": attrs.get("src"), "alt": attrs.get("alt")})


def tiles_of(component) -> list[dict[str, str]]:
    """Every tile in ``component``'s tree, in order: its attributes (``class``,
    ``data-row``, ``data-caption``, ``title``) and its image's ``src`` and ``alt``, with
    character references decoded."""
    if getattr(component, "dangerously_allow_html", False):
        parser = _Tiles()
        parser.feed(component.children)
        return parser.tiles
    found = []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += tiles_of(child)
    return found


def tile_rows(component) -> list[int]:
    """The rows of every tile in ``component``'s tree, in order."""
    return [int(t["data-row"]) for t in tiles_of(component)]
