"""The page names its representation and shows near-duplicate groups (issue 15)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
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


def test_every_view_of_a_collapsed_analysis_reads_the_rows_it_clustered(tmp_path) -> None:
    """The diagnostics (2-NN scale analysis, decision graph) and the projections read the
    collapsed rows the topography was computed on, not the raw embedding (the scale
    analysis failed with an IndexError on a collapsed folder)."""
    from PIL import Image

    from explorer.hierarchy.views import dimension_view
    from explorer.views import COLLAPSE, PROJECTION_NAMES, projection_job, request_projection
    from tests.compute.ingest.test_near_duplicates import micrograph, shifted_copy

    folder = tmp_path / "frames"  # 24 micrographs (the scale analysis needs 20) + 3 copies
    folder.mkdir()
    for seed in range(24):
        Image.fromarray(micrograph(seed)).save(folder / f"frame{seed:02d}.png")
    for k, (top, left) in enumerate([(5, 40), (40, 10), (20, 60)]):
        Image.fromarray(shifted_copy(micrograph(0), top, left)).save(folder / f"copy{k}.png")
    copies_config = AppConfig(images=folder, labels=None, cache_dir=tmp_path / "cache",
                              names_db=tmp_path / "names.sqlite", scales=False,
                              backbone="pixels")
    key, _ = analysis_job(lambda _p: None, copies_config, copies=[COLLAPSE])
    analysis = state.load_analysis(copies_config, key)
    group = analysis.near_duplicates.group
    members = np.flatnonzero(group == 0)
    assert len(members) == 4
    assert (analysis.vectors[members] == analysis.vectors[members[0]]).all()
    assert not (analysis.embeddings.vectors[members] == analysis.embeddings.vectors[
        members[0]]).all()
    recut = analysis.at(dataclasses.replace(analysis.params, z=analysis.params.z + 0.5))
    assert recut.vectors is analysis.vectors  # a new Z reuses the collapsed rows (N x D)
    figures = dimension_view(copies_config, key)
    assert all(f.data for f in figures)
    assert "pca" in PROJECTION_NAMES
    _, request, _ = request_projection(copies_config, key, method="pca", dims=2, seed=0,
                                       perplexity=30, n_neighbors=15, min_dist=0.1)
    pkey = projection_job(lambda _p: None, copies_config, request)
    coords = state.load_coords(copies_config, pkey)
    assert np.allclose(coords[members], coords[members[0]])  # the copies are one row
