"""The hierarchy panel is in the page and its callbacks are wired to the right controls."""

from explorer import ids as main_ids
from explorer.app import create_app
from explorer.config import AppConfig
from explorer.hierarchy import ids


def inputs_of(app, output: str) -> set[str]:
    entry = next(v for k, v in app.callback_map.items() if output in k.split(".."))
    return {f"{i['id']}.{i['property']}" for i in entry["inputs"]}


def test_panel_is_in_the_layout_and_wired(tmp_path):
    app = create_app(AppConfig(cache_dir=tmp_path / "cache",
                               names_db=tmp_path / "names.sqlite"))
    page = str(app.layout)
    for component in (ids.Z_SLIDER, ids.DENDROGRAM, ids.MDS, ids.HEATMAP, ids.SAVE_BUTTON):
        assert f"'{component}'" in page
    assert inputs_of(app, f"{main_ids.VIEW}.data") == {
        f"{ids.Z_SLIDER}.value", f"{ids.HALO}.value", f"{ids.NAMES_VERSION}.data"}
    view = f"{main_ids.VIEW}.data"  # the page's one cut reaches every panel that shows clusters
    for output in (f"{ids.DENDROGRAM}.figure", f"{ids.SCORES}.children", f"{ids.CARD}.children",
                   f"{main_ids.INSTANCE_PANEL}.children", f"{main_ids.SELECTION_PANEL}.children"):
        assert view in inputs_of(app, output), output
    clicks = inputs_of(app, f"{ids.HIGHLIGHT}.data")
    assert {f"{g}.clickData" for g in (ids.DENDROGRAM, ids.MDS, ids.HEATMAP)} <= clicks
    assert {f"{g}.hoverData" for g in (ids.DENDROGRAM, ids.MDS, ids.HEATMAP)} <= clicks
