"""The page names its representation and shows near-duplicate groups (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compute.embed import AUTO_BACKBONE, DEFAULT_BACKBONE
from explorer import ids, state
from explorer.app import create_app
from explorer.config import AppConfig
from explorer.views import analysis_job, colour_options
from tests.compute.ingest.test_near_duplicates import folder_with_copies


def _component(layout, component_id):
    if getattr(layout, "id", None) == component_id:
        return layout
    children = getattr(layout, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            found = _component(child, component_id)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize("backbone", [DEFAULT_BACKBONE, "pixels"])
def test_the_backbone_menu_starts_at_the_servers_representation(tmp_path, backbone) -> None:
    app = create_app(AppConfig(cache_dir=tmp_path / "cache", names_db=tmp_path / "n.sqlite",
                               backbone=backbone))
    menu = _component(app.layout, ids.SETTINGS_BACKBONE)
    assert menu.value == backbone
    labels = {o["value"]: o["label"] for o in menu.options}
    assert "EfficientNet-Lite0" in labels[AUTO_BACKBONE] and "ImageNet" not in labels["pixels"]


@pytest.fixture
def copies_config(tmp_path: Path) -> AppConfig:
    """Nine distinct micrographs and three shifted, re-saved crops of the first."""
    folder = folder_with_copies(tmp_path / "frames")
    yield AppConfig(images=folder, labels=None, cache_dir=tmp_path / "cache",
                    names_db=tmp_path / "names.sqlite", scales=False, backbone="pixels")
    state.forget()


def test_near_duplicate_groups_are_told_and_can_colour_the_map(copies_config) -> None:
    key, summary = analysis_job(lambda _p: None, copies_config)
    assert "representation: pixels (784-d" in summary
    assert "4 images fall in 1 near-duplicate groups" in summary
    assert "clusters may follow the source micrograph" in summary
    column = state.load_data(copies_config, key).columns[state.NEAR_DUPLICATE_COLUMN]
    assert sorted(column) == ["group 0"] * 4 + ["none"] * 8
    options, _ = colour_options(copies_config, key, None)
    assert state.NEAR_DUPLICATE_COLUMN in [o["value"] for o in options]


def test_collapsed_copies_share_one_cluster_and_the_run_says_so(copies_config) -> None:
    """The Compute section's "collapse near-duplicate copies": the four copies of one
    micrograph count once (eleven images become eight distinct rows) and share a cluster;
    the summary and the recorded parameters say so, and the choice is its own analysis."""
    from explorer.views import COLLAPSE

    plain_key, _ = analysis_job(lambda _p: None, copies_config)
    key, summary = analysis_job(lambda _p: None, copies_config, copies=[COLLAPSE])
    assert key != plain_key
    assert "collapsed, each group counts once" in summary
    run = state.load_run(copies_config, key, state.View())
    topo = state.load_analysis(copies_config, key).topography
    assert topo.params.collapse_copies and "copies collapsed" in topo.params.describe()
    assert topo.knn.deduplication is not None and topo.n_distinct == 12 - 3
    group = state.load_data(copies_config, key).columns[state.NEAR_DUPLICATE_COLUMN]
    in_group = [i for i, g in enumerate(group) if g == "group 0"]
    assert len(in_group) == 4
    assert len({int(run.clustering.labels[i]) for i in in_group}) == 1
    plain = state.load_analysis(copies_config, plain_key).topography
    assert not plain.params.collapse_copies and plain.n_distinct == 12
