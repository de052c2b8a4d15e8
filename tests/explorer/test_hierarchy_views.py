"""The hierarchy panel's view functions against a real (tiny) analysis of an image folder."""

import io

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from compute.naming.export import read_images_csv
from compute.params import AnalysisParams, default_k
from explorer import state
from explorer.config import AppConfig
from explorer.hierarchy.views import (
    card_view,
    export_view,
    highlight_from_event,
    hover_view,
    pictures_view,
    save_view,
    scatter_patch,
    scores_view,
)
from explorer.state import View, analysis_key, pipeline_config
from tests.exports import split_export
from tests.hostile_text import (
    HOSTILE_LABEL,
    HYPERLINK,
    csv_cells,
    formula_cells,
    write_hostile_folder,
)
from tests.imagefiles import write_blob_images

Z = View(z=1.65).store()  # the page's cut, as the browser holds it


@pytest.fixture
def app(tmp_path):
    yield blob_folder(tmp_path / "app", per_class=15)
    state.forget()


def blob_folder(root, *, per_class: int, labelled: bool = True):
    """(config, analysis key) of a folder of ``2 * per_class`` blob images under ``root``
    (pixels, maxk 10)."""
    labels = write_blob_images(root / "images", per_class=per_class)
    config = AppConfig(images=root / "images", labels=labels if labelled else None,
                       cache_dir=root / "cache", names_db=root / "names.sqlite",
                       backbone="pixels")
    return config, analysis_key(pipeline_config(config, analysis=AnalysisParams(maxk=10)))


def test_pictures_show_the_clusters_of_the_run(app):
    config, key = app
    dendro, mds, heat, summary, curve, lost = pictures_view(config, key, Z, None)
    run = state.load_run(config, key, Z)
    K = run.clustering.n_clusters
    assert summary[0].startswith(f"{K} clusters at Z = 1.65")
    # the summary says where the peaks were found (30 images: the full space, and why)
    assert "full" in summary[0] and "fewer than" in summary[0]
    assert run.topography.suggested.z in {shape.x0 for shape in curve.layout.shapes}
    assert len(dendro.data[-1].customdata) == 2 * K - 1
    assert len(mds.data[-1].customdata) == K
    assert len(curve.data[0].x) == len(state.z_grid()) and lost.children in (None, [])


def test_events_become_highlights():
    assert highlight_from_event({"points": [{"customdata": 4}]}) == \
        {"node": 4}
    assert highlight_from_event({"points": [{"customdata": [1, 2]}]}) == \
        {"pair": [1, 2]}
    assert highlight_from_event({"points": [{"customdata": [2, 2]}]}) == \
        {"node": 2}
    assert highlight_from_event({"points": [{"x": 1}]}) is None


def test_names_are_saved_shown_survive_a_restart_and_conflict(app):
    config, key = app
    card, name, note, editing = card_view(config, key, Z, {"node": 0})
    assert (name, note, editing["name_id"]) == ("", "", None)
    message, saved = save_view(config, key, Z, editing, name="<i>corner</i>", note="n",
                               user="ana")
    assert saved and message.startswith("Saved '<i>corner</i>' (version 1)")
    state.forget()  # as a new app process: no memoised runs, a new store object
    card, name, note, fresh = card_view(config, key, Z, {"node": 0})
    assert (name, note, fresh["version"]) == ("<i>corner</i>", "n", 1)
    dendro = pictures_view(config, key, Z, None)[0]
    assert "&lt;i&gt;corner&lt;/i&gt;" in dendro.data[-1].text[0]
    # a second user saves on top; the first user's stale form is refused, not lost
    assert save_view(config, key, Z, fresh, name="corner squares", note="", user="bo")[1]
    message, saved = save_view(config, key, Z, fresh, name="late edit", note="", user="ana")
    assert not saved and "changed by bo" in message
    assert not save_view(config, key, Z, fresh, name="", note="", user="ana")[1]


def test_export_read_back_equals_what_the_app_shows(app):
    config, key = app
    _, _, _, editing = card_view(config, key, Z, {"node": 0})
    save_view(config, key, Z, editing, name="=corner", note="", user="ana")
    images_dl, tree_dl, run_dl = split_export(export_view(config, key, Z))
    path = config.cache_dir / "export.csv"
    path.write_text(images_dl["content"])
    shown = read_images_csv(path)
    run = state.load_run(config, key, Z)
    names = state.load_match(config, key, Z).names()
    assert shown["cluster"].tolist() == run.clustering.labels.tolist()
    assert shown["cluster_name"].tolist() == [names.get(c, "") for c in run.clustering.labels]
    assert "=corner" in set(shown["cluster_name"])
    assert "'=corner" in images_dl["content"]
    tree = pd.read_csv(io.StringIO(tree_dl["content"]))
    assert len(tree) == run.clustering.tree.n_nodes and '"run"' in run_dl["content"]


def test_highlight_selects_the_cluster_in_the_projection(app):
    config, key = app
    patch = scatter_patch(config, key, Z, {"node": 0}).to_plotly_json()
    run = state.load_run(config, key, Z)
    op = patch["operations"][0]
    assert op["location"] == ["data", 0, "selectedpoints"]
    assert op["params"]["value"] == np.flatnonzero(run.clustering.labels == 0).tolist()
    # the lasso drawn before goes (Plotly would re-apply it over these points)
    assert patch["operations"][1]["location"] == ["layout", "selections"]
    assert patch["operations"][1]["params"]["value"] == []
    # no highlight: the user's own selection shows again (or nothing is selected)
    back = scatter_patch(config, key, Z, None, selected=[3, 5, 999]).to_plotly_json()
    assert back["operations"][0]["params"]["value"] == [3, 5]
    cleared = scatter_patch(config, key, Z, None).to_plotly_json()
    assert cleared["operations"][0]["params"]["value"] is None


def test_scores_against_known_labels(app):
    config, key = app
    text, fig = scores_view(config, key, Z)
    assert text.startswith("NMI ") and "labelled images" in text
    assert len(fig.data[0].x) == 2  # two known classes


def test_the_page_cut_and_the_analysis_are_recorded_with_names(app):
    """The hierarchy shows the analysis of the Compute section (no second density choice)
    at the page's Z; a name's history records the whole parameter object."""
    config, key = app
    view = View(z=2.0, halo=False).store()
    summary = pictures_view(config, key, view, None)[3]
    # recorded as computed: maxk clamped, the default k of 30 images, a handful of images
    # clustered in the full space
    expected = AnalysisParams(maxk=10, k=default_k(30, 10), metric="euclidean", space="full",
                              z=2.0, halo=False)
    assert summary[0].startswith(f"{run_clusters(config, key, view)} clusters at Z = 2 ")
    assert expected.describe() in summary[0]
    _, _, _, editing = card_view(config, key, view, {"node": 0})
    assert save_view(config, key, view, editing, name="corner", note="", user="ana")[1]
    [record] = state.names_store(config.names_db).live()
    d = AnalysisParams()
    assert (record.run.density, record.run.k, record.run.z, record.run.halo) == \
        (d.density, expected.k if d.density == "knn" else None, 2.0, False)
    assert (record.run.space, record.run.halo_rule, record.run.cut_rule) == \
        ("full", d.halo_rule, d.cut_rule)
    assert (record.run.metric, record.run.maxk, record.run.knn_method) == \
        ("euclidean", 10, "auto")


def test_hovering_a_node_shows_its_densest_images(app):
    config, key = app
    event = {"points": [{"customdata": 0, "bbox": {"x0": 1, "x1": 2, "y0": 3, "y1": 4}}]}
    show, bbox, card = hover_view(config, key, Z, event)
    run = state.load_run(config, key, Z)
    assert show and bbox == {"x0": 1, "x1": 2, "y0": 3, "y1": 4}
    images = card.children[2].children
    assert 0 < len(images) <= 4 and all(i.src.startswith("/thumbnails/") for i in images)
    ids_shown = {i.src.split("/")[-1][:-4] for i in images}
    assert ids_shown <= {run.clustering.ids[r] for r in np.flatnonzero(run.clustering.labels == 0)}
    assert hover_view(config, key, Z, {"points": [{"x": 1}]})[0] is False


def test_dashboard_download_neutralises_names_notes_and_file_names(tmp_path):
    images = tmp_path / "images"
    labels = write_hostile_folder(images)
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                       names_db=tmp_path / "names.sqlite", backbone="pixels")
    key = analysis_key(pipeline_config(config, analysis=AnalysisParams(maxk=10)))
    try:
        _, _, _, editing = card_view(config, key, Z, {"node": 0})
        assert save_view(config, key, Z, editing, name=HYPERLINK, note="-1 @x",
                         user="+ana")[1]
        images_dl, tree_dl, _ = split_export(export_view(config, key, Z))
    finally:
        state.forget()
    assert formula_cells(images_dl["content"]) == []
    assert formula_cells(tree_dl["content"]) == []
    assert {f"'{HYPERLINK}", "'+cmd.png", f"'{HOSTILE_LABEL}"} <= set(
        csv_cells(images_dl["content"]))
    assert {f"'{HYPERLINK}", "'-1 @x", "'+ana"} <= set(csv_cells(tree_dl["content"]))


@pytest.mark.parametrize(("name", "reason"), [
    ("n" * 4000, "4000 characters long; shorten it to at most 80"),
    ("tab\there", "control characters"),
    ("esc\x1b[2J", "control characters"),
    ("  ", "name is empty"),
])
def test_bad_names_are_refused_with_the_reason(app, name, reason):
    config, key = app
    _, _, _, editing = card_view(config, key, Z, {"node": 0})
    message, saved = save_view(config, key, Z, editing, name=name, note="", user="ana")
    assert not saved and message.startswith("Not saved") and reason in message
    assert state.names_store(config.names_db).live() == []


def test_conflicts_say_reload_and_the_card_lists_earlier_versions(app):
    config, key = app
    _, _, _, first = card_view(config, key, Z, {"node": 0})
    assert save_view(config, key, Z, first, name="squares", note="", user="ana")[1]
    message, saved = save_view(config, key, Z, first, name="blocks", note="", user="bo")
    assert not saved and "already named 'squares' by ana" in message and "Reload" in message
    card, name, _, read = card_view(config, key, Z, {"node": 0})  # what Reload gives
    assert name == "squares" and "Earlier versions" not in str(card)
    assert save_view(config, key, Z, read, name="blocks", note="", user="bo")[1]
    card = card_view(config, key, Z, {"node": 0})[0]
    assert "Earlier versions" in str(card) and "v1 create: squares (ana" in str(card)
    assert save_view(config, key, Z, dict(read, version=2), name="", note="", user="bo",
                     delete=True)[1]
    message, saved = save_view(config, key, Z, dict(read, version=2), name="again", note="",
                               user="ana")
    assert not saved and "deleted this name meanwhile" in message and "Reload" in message


def test_names_given_on_one_folder_never_appear_on_another(tmp_path):
    """Two folders, one names database: folder B shows none of folder A's names, not even
    as lost names, in the panel or the export; folder A still shows its own."""
    folders = {}
    for name, seed in (("a", 0), ("b", 1)):
        images = tmp_path / name
        labels = write_blob_images(images, per_class=15, seed=seed)
        config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                           names_db=tmp_path / "names.sqlite", backbone="pixels")
        folders[name] = (config, analysis_key(pipeline_config(
            config, analysis=AnalysisParams(maxk=10))))
    try:
        config, key = folders["a"]
        _, _, _, editing = card_view(config, key, Z, {"node": 0})
        assert save_view(config, key, Z, editing, name="A's corner", note="", user="ana")[1]
        config, key = folders["b"]
        assert state.load_match(config, key, Z).by_node == {}
        assert state.load_match(config, key, Z).lost == ()
        lost = pictures_view(config, key, Z, None)[5]
        assert lost.children in (None, [])
        images_dl, tree_dl, run_dl = split_export(export_view(config, key, Z))
        assert "A's corner" not in images_dl["content"] + tree_dl["content"] + run_dl["content"]
        config, key = folders["a"]
        assert list(state.load_match(config, key, Z).names().values()) == ["A's corner"]
    finally:
        state.forget()


def test_diagnostics_include_the_decision_graph_with_the_peaks(app):
    from explorer.hierarchy.views import dimension_view

    config, key = app
    two_nn, scale, pca, decision = dimension_view(config, key)
    peaks = state.load_analysis(config, key).topography.clustering.centers
    assert len(decision.data[0].x) == 30 and len(decision.data[1].x) == len(peaks)
    assert decision.layout.title.text == "Decision graph"


def test_a_small_folders_diagnostics_show_and_say_what_needs_more_images(tmp_path):
    """12 images: the ID-against-scale plot needs 20 and says so; the 2-NN fit, the PCA
    spectrum and the decision graph still show (the panel's callback failed whole, found
    on the 14 real data-bar frames)."""
    from explorer.hierarchy.views import dimension_view

    config, key = blob_folder(tmp_path, per_class=6, labelled=False)
    try:
        two_nn, scale, pca, decision = dimension_view(config, key)
        assert "needs at least 20 distinct points, got 12" in scale.layout.annotations[0].text, \
            scale.layout.annotations[0].text
        assert two_nn.data and pca.data and decision.data
    finally:
        state.forget()


def test_halo_fraction_comes_with_one_sentence_on_its_meaning(app):
    from dash import html

    from explorer.hierarchy.views import HALO_MEANING, cut_summary

    config, key = app
    run = state.load_run(config, key, Z)
    parts = cut_summary(run.topography, n_clusters=run.clustering.n_clusters)
    spans = [p.children for p in parts if isinstance(p, html.Span)]
    n_halo = int(run.clustering.is_halo.sum())
    assert spans[0].startswith(f"Halo: {n_halo} images")
    assert spans[1] == HALO_MEANING[run.topography.params.halo_rule]
    off = run.topography.remerge(z=Z["z"], halo=False)
    assert not [p for p in cut_summary(off, n_clusters=1) if isinstance(p, html.Span)]


def test_a_new_analysis_starts_at_its_suggested_cut_and_a_chosen_z_stays(app):
    from explorer.hierarchy.views import suggested_cut_view

    config, key = app
    suggested = state.load_analysis(config, key).topography.suggested.z
    value, marks = suggested_cut_view(config, key, 3.0, key_changed=True)
    assert value == suggested and "suggested" in marks[suggested]["label"]
    value, marks = suggested_cut_view(config, key, None, key_changed=False)
    assert value == suggested  # a slider never moved
    value, _ = suggested_cut_view(config, key, 3.0, key_changed=False)  # a reload
    assert value is no_update
    assert suggested_cut_view(config, None, 3.0, key_changed=True)[0] is no_update


def run_clusters(config, key, view) -> int:
    return state.load_run(config, key, view).clustering.n_clusters


def test_the_cluster_space_is_offered_only_when_the_analysis_built_one(app, tmp_path):
    """30 images (under 100): no manifold, the menu's cluster-space entry is disabled and
    says why; 110 images: offered. Before an analysis, every entry is offered."""
    from explorer.views import projection_options

    def manifold_entry(options):
        return next(o for o in options if o["value"] == "manifold")

    config, key = app
    none = manifold_entry(projection_options(config, key))
    assert none["disabled"] is True and "full embedding" in none["label"]
    assert "disabled" not in manifold_entry(projection_options(config, None))
    many, many_key = blob_folder(tmp_path / "many", per_class=55, labelled=False)
    try:
        assert state.load_analysis(many, many_key).topography.manifold is not None
        assert "disabled" not in manifold_entry(projection_options(many, many_key))
    finally:
        state.forget()
