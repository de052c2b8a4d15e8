"""The right-hand panels' thumbnail grids: one component, every text only text."""

from types import SimpleNamespace

import numpy as np

from explorer.panels import thumbnail_grid, tile_html
from tests.tiles import tiles_of

HOSTILE = 'a"><script>alert(1)</script>\n\n![x](http://example.invalid/x.png)\t{x}&amp;.png'


def _data(paths):
    return SimpleNamespace(paths=np.array(paths, dtype=object),
                           ids=np.array([f"{i:032x}" for i in range(len(paths))], dtype=object))


def test_a_grid_is_one_component_whose_tiles_carry_rows_captions_and_badges():
    data = _data(["a.png", "b.png", "c.png"])
    grid = thumbnail_grid(data, [2, 0], ["0.5", "bag"], class_name="grid x", grid_id="g",
                          badges=["same", "other"])
    assert grid.id == "g" and grid.className == "grid x" and isinstance(grid.children, str)
    tiles = tiles_of(grid)
    assert [(t["data-row"], t["data-caption"], t["class"], t["title"]) for t in tiles] == [
        ("2", "0.5", "tile same", "c.png"), ("0", "bag", "tile other", "a.png")]
    assert tiles[0]["src"] == f"/thumbnails/{2:032x}.png"
    empty = thumbnail_grid(data, [], [], class_name="grid x", grid_id="g", empty="none")
    assert empty.id == "g" and "none" in str(empty) and tiles_of(empty) == []


def test_a_hostile_file_name_or_label_stays_text_in_a_tile():
    data = _data([HOSTILE])
    markup = tile_html(data, 0, caption=HOSTILE)
    # no tag or line break of its own: one HTML block of one tile, nothing for Markdown
    assert "<script" not in markup and "\n" not in markup and "\t" not in markup
    assert markup.count("<div") == 1 and markup.count("<img") == 1
    [tile] = tiles_of(thumbnail_grid(data, [0], [HOSTILE], class_name="grid"))
    assert tile["title"] == tile["alt"] == tile["data-caption"] == HOSTILE
