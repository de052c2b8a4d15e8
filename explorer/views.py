"""What each callback does, as plain functions of (server config, keys, event).

The browser sends keys (analysis / projection), a column name, rows; these functions load
the arrays server-side (:mod:`explorer.state`) and return components, figures or
:class:`dash.Patch` objects. Tests and benchmarks call them directly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePath

import numpy as np
from dash import dcc, html, no_update

from compute.pipeline import analyse_folder, project_analysis
from compute.progress import staged
from compute.projection import ProjectionParams, validate_params
from compute.scale.groups import group_choices, group_sort_key, in_any_group
from compute.scale.table import GROUP_COLUMN
from compute.spreadsheet import neutralised_frame
from explorer.config import AppConfig
from explorer.density_view import (
    dense_figure,
    dense_map,
    layout_images,
    main_rows,
    opening_store,
)
from explorer.figures import (
    LEGEND_LIMIT,
    LEGEND_START,
    MAIN,
    drop_drawn_selection,
    empty_figure,
    hidden_patch,
    highlight_patch,
    marker_patch,
    opacity_patch,
    point_opacity,
    recolour_patch,
    scatter_figure,
    select_rows,
)
from explorer.jobs.progress import JobProgress
from explorer.legibility import colour_menu
from explorer.panels import PAGE_SIZE, instance_panel, selection_panel, thumbnail_url
from explorer.selection import (
    neighbours_of,
    page_of,
    rows_from_event,
    same_group,
    selection_table,
)
from explorer.state import (
    BUILT_IN_WEIGHTS,
    CUT_COLUMNS,
    HALO_COLUMN,
    ExplorerData,
    View,
    analysis_key,
    colouring_for,
    config_for,
    load_analysis,
    load_coords,
    load_data,
    load_page,
    parse_projection_key,
    pipeline_config,
    projection_key,
    projection_ready,
)

PREFERRED_COLOURS = ("cluster", "label")
ALL_IMAGES = "all"  # the Compute section's "Images" value for no scale-group restriction
COLLAPSE = "collapse"  # the value of the Compute section's "collapse near-duplicate copies" box
PROJECTION_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP",
                    "manifold": "cluster space (UMAP)"}
POINT_HINT = "Click a point to see its image and its nearest neighbours."


def analysis_choices(*, backbone=None, weights=None, metric=None, density=None, k=None,
                     maxk=None, scale_group=None, knn_method=None, space=None,
                     copies=None) -> dict:
    """The Compute section's values as :func:`explorer.state.pipeline_config` choices (the
    graph fields of :class:`compute.params.AnalysisParams`; empty controls keep their
    defaults; ``copies`` is the checklist's value, collapsing when it holds
    :data:`explorer.layout.COLLAPSE`). ValueError with the control's name for a value the
    analysis refuses."""
    from compute.params import AnalysisParams

    collapse = None if copies is None else COLLAPSE in copies
    graph = {name: value for name, value in (("metric", metric), ("density", density),
                                             ("k", k), ("maxk", maxk),
                                             ("knn_method", knn_method), ("space", space),
                                             ("collapse_copies", collapse))
             if value is not None}
    try:
        params = AnalysisParams(**graph)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Compute: {exc}") from None
    choices = {"backbone": backbone, "weights": weights}
    return {**{k: v for k, v in choices.items() if v is not None}, "analysis": params,
            **run_group_choice(scale_group)}


def run_group_choice(value: str | None) -> dict:
    """The Compute section's "Images" choice as a pipeline choice: ``ALL_IMAGES`` -> every
    image (``scale_group=None``), a group name -> only that group's images, None (control
    not on the page) -> the server's ``--scale-group``. ValueError for an unknown group."""
    if value is None:
        return {}
    if value == ALL_IMAGES:
        return {"scale_group": None}
    from compute.scale import canonical_group

    try:
        return {"scale_group": canonical_group(value)}
    except ValueError as exc:
        raise ValueError(f"Compute: {exc}") from None


def run_group_options(config: AppConfig, key: str | None) -> list[dict]:
    """The Compute section's "Images" choices: every image, or one scale group of the
    folder, with its number of images. The groups come from the analysis on the page: all
    its images' groups, or, when it kept one group, that group and those it left out."""
    options = [{"label": "all images", "value": ALL_IMAGES}]
    if not key:
        return options + _server_group_option(config)
    analysis = load_analysis(config, key)
    selection = analysis.scale_selection
    if selection is not None:
        counts = {selection.group: selection.kept, **selection.other_groups}
        groups = sorted(counts.items(), key=lambda item: group_sort_key(item[0]))
    elif analysis.scales is not None:
        groups = group_choices([r.group_or_reason for r in analysis.scales
                                if r.no_scale_reason is None])
    else:
        return options
    return options + [{"label": f"only {name} ({n} images)", "value": name}
                      for name, n in groups]


def _server_group_option(config: AppConfig) -> list[dict]:
    group = config.scale_group
    return [{"label": f"only {group}", "value": group}] if group else []


def shown_mask(config: AppConfig, key: str | None, groups: list[str] | None) -> np.ndarray | None:
    """Bool (N,) over an analysis' rows: inside the page's scale-group filter (None: no
    filter, every row shown). The hierarchy panel honours it as the scatter does."""
    if not key or not groups:
        return None
    columns = load_data(config, key).columns
    if GROUP_COLUMN not in columns:
        return None
    return in_any_group(columns[GROUP_COLUMN].tolist(), tuple(groups))


def analysis_input_problem(**controls) -> str:
    """Why the Compute section's values would be refused (the message of
    :class:`compute.params.AnalysisParams`, the one validation), or "" when they are fine."""
    try:
        analysis_choices(**controls)
    except ValueError as exc:
        return str(exc)
    return ""


def analysis_job(set_progress, config: AppConfig, **controls) -> tuple[str, str]:
    """Background job: scan, embed, kNN graph, densities, peaks; return (analysis key,
    summary). The cut (Z, halo) is the page's, not the job's: nothing here depends on it.

    Bad input (e.g. no image in the server's ``--scale-group``, damaged weights, k above
    max k) raises a ValueError that says what to do; the callback's
    :func:`explorer.jobs.run_job` shows it in the job's alert and leaves the page as it was."""
    cfg = pipeline_config(config, **analysis_choices(**controls))
    _check_weights_fit(config, cfg)
    with JobProgress(set_progress) as progress:
        analysis = analyse_folder(cfg, cache_dir=config.cache_dir, progress=progress)
    from compute.peaks.topography import describe_search

    return analysis_key(cfg), f"{analysis.summary()}; {describe_search(analysis.knn)}"


def _check_weights_fit(config: AppConfig, cfg) -> None:
    """Trained weights embed only with the network they were trained for."""
    if cfg.weights == BUILT_IN_WEIGHTS:
        return
    from compute.train.library import trained_weights

    weights = trained_weights(config.weights_dir, PurePath(cfg.weights).name)
    if weights.metadata.backbone != cfg.backbone:
        raise ValueError(f"the weights {weights.name} were trained for {weights.metadata.backbone}"
                         f", not {cfg.backbone}: choose Backbone {weights.metadata.backbone}, "
                         "or the built-in Weights")


def projection_params(*, method, dims, seed, perplexity, n_neighbors,
                      min_dist) -> ProjectionParams:
    """The Projection section's values; an empty box keeps its default. ValueError for a
    seed or a neighbour count that is not a whole number >= 0 (the ranges that depend on
    the data are checked by :func:`compute.projection.validate_params`)."""
    defaults = ProjectionParams()
    return ProjectionParams(
        method=method or defaults.method, n_components=int(dims or 2),
        random_state=_whole_number("seed", _given(seed, defaults.random_state)),
        perplexity=float(_given(perplexity, defaults.perplexity)),
        n_neighbors=_whole_number("UMAP neighbours", _given(n_neighbors, defaults.n_neighbors)),
        min_dist=float(_given(min_dist, defaults.min_dist)))


def _given(value, default):
    return default if value is None else value


def _whole_number(name: str, value) -> int:
    if isinstance(value, bool) or float(value) != int(value) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0; got {value!r}")
    return int(value)


def request_projection(config: AppConfig, key: str | None, **choices):
    """(projection key, job request, status): a cached projection is shown at once; a new
    one becomes a request for the background job."""
    if not key:
        return no_update, no_update, ""
    try:
        params = projection_params(**choices)
        if not choices.get("method"):
            params = readable_projection(config, key, params)
        validate_params(params, load_data(config, key).n_rows)
    except ValueError as exc:
        return no_update, no_update, f"error: {exc}"
    pkey = projection_key(key, params)
    if projection_ready(config, pkey):
        return pkey, no_update, ""
    return no_update, pkey, ""


# Most readable first: the cluster space itself (the 2-D UMAP manifold the analysis found
# its peaks on, free), a UMAP or t-SNE already computed, else PCA (linear, overlapping).
READABLE_METHODS = ("manifold", "umap", "tsne", "pca")


def readable_projection(config: AppConfig, key: str, params: ProjectionParams
                        ) -> ProjectionParams:
    """``params`` with the most readable method already computed for the analysis ``key``
    (:data:`READABLE_METHODS`), else PCA (fast): what the page opens on when no projection
    was chosen."""
    from dataclasses import replace

    for method in READABLE_METHODS:
        candidate = replace(params, method=method)
        if projection_ready(config, projection_key(key, candidate)):
            return candidate
    return replace(params, method="pca")


def projection_job(set_progress, config: AppConfig, pkey: str) -> str:
    """Background job: compute (and cache) one projection; return its key."""
    akey, params = parse_projection_key(pkey)
    analysis = load_analysis(config, akey)
    stage = (f"{PROJECTION_NAMES.get(params.method, params.method)} of "
             f"{len(analysis.embeddings.ids)} images")
    with JobProgress(set_progress, first_stage=stage) as progress:
        project_analysis(analysis, params, cache_dir=config.cache_dir,
                         progress=staged(progress, stage, None))
    return pkey


def data_for(config: AppConfig, pkey: str, view: dict | None = None) -> ExplorerData:
    """The rows of a projection's analysis at the page's cut (``view``: the browser's
    ``ids.VIEW`` store)."""
    return load_page(config, parse_projection_key(pkey)[0], View.of(view))


def colour_options(config: AppConfig, key: str | None, current: str | None):
    """The columns a point can be coloured by, in groups (:func:`explorer.legibility.
    colour_menu`), and which one to show."""
    if not key:
        return no_update, no_update
    names = [*load_data(config, key).columns.columns, *CUT_COLUMNS]
    return colour_menu(names), colour_column(names, current)


def colour_column(names: list[str], current: str | None) -> str:
    """The user's column if it exists, else the ADP clusters, else the known labels.

    The dropdown starts empty, so the first figure and the dropdown pick the same column
    whichever of their callbacks runs first."""
    if current in names:
        return current
    return next((c for c in PREFERRED_COLOURS if c in names), names[0])


def projection_options(config: AppConfig, key: str | None) -> list[dict]:
    """The Projection menu for the analysis ``key``: the cluster space is offered only when
    the analysis built one (a folder under 100 images, or one that asked for the full
    space, has none); the reason is in the entry."""
    from explorer.layout import PROJECTION_LABELS

    manifold = not key or load_analysis(config, key).topography.manifold is not None
    return [{"label": label, "value": value} if value != "manifold" or manifold else
            {"label": "cluster space (none: the peaks were found in the full embedding)",
             "value": value, "disabled": True}
            for value, label in PROJECTION_LABELS.items()]


def scale_filter_options(config: AppConfig, key: str | None) -> list[dict]:
    """The scale groups of an analysis' images, with counts, for the group filter (none
    when scales were not read)."""
    if not key:
        return []
    columns = load_data(config, key).columns
    if GROUP_COLUMN not in columns:
        return []
    return [{"label": f"{name} ({n})", "value": name}
            for name, n in group_choices(columns[GROUP_COLUMN].tolist())]


def removed_rows(data: ExplorerData, groups: list[str] | dict | None) -> np.ndarray | None:
    """Bool (N,): rows the page's row filter hides (None: no filter). ``groups``: the row
    filter (:func:`explorer.facets.row_filter`: the scale groups shown and the facets'
    chosen categories), or just a list of scale groups."""
    from explorer.facets import SCALE_KEY, chosen_mask

    choices = {}
    if isinstance(groups, dict):
        choices = {c: v for c, v in groups.items() if c != SCALE_KEY and v}
        groups = groups.get(SCALE_KEY)
    removed = None
    if groups and GROUP_COLUMN in data.columns:
        removed = _outside_groups(data, tuple(groups))
    if choices:
        hidden = ~chosen_mask(data, choices)
        removed = hidden if removed is None else removed | hidden
    return removed


@lru_cache(maxsize=32)
def _outside_groups(data: ExplorerData, groups: tuple[str, ...]) -> np.ndarray:
    return ~in_any_group(data.columns[GROUP_COLUMN].tolist(), groups)


def filter_view(config: AppConfig, pkey: str | None, legend: dict | None,
                groups: list[str] | None, view: dict | None = None,
                window: dict | None = None):
    """Patch for a new scale-group filter: rows outside it become transparent (``window``:
    a density map's zoom, :mod:`explorer.density_view`)."""
    if not pkey or not legend:
        return no_update
    data, dense = data_for(config, pkey, view), dense_map(config, pkey, window)
    colour, removed = colouring_for(data, legend["column"]), removed_rows(data, groups)
    patch = hidden_patch(*main_rows(dense, colour), legend["hidden"],
                         *main_rows(dense, removed))
    return _with_image(patch, dense, colour, legend["hidden"], removed, halo_rows(data))


def _with_image(patch, dense, colour, hidden, removed, halo):
    """``patch`` with a density map's new image (unchanged for other maps)."""
    if dense is not None:
        patch["layout"]["images"] = layout_images(dense, colour, hidden, removed, halo)
    return patch


def _legend_state(colour, view: dict | None, hidden=()) -> dict:
    """What the scatter's colours show: the column, the legend's size, the hidden
    categories, and the cut (``view``) they were computed at."""
    shown = colour.kind == "categorical" and len(colour.categories) <= LEGEND_LIMIT
    return {"column": colour.column, "legend": len(colour.categories) if shown else 0,
            "hidden": [c for c in colour.categories if c in set(hidden)],
            "cut": View.of(view).store()}


def legend_outdated(legend: dict | None, view: dict | None) -> bool:
    """Whether the scatter's colours were computed at another cut than the page's (the
    figure was built while the slider was still settling, e.g. on a reload)."""
    return bool(legend) and legend.get("cut") != View.of(view).store()


def scatter_view(config: AppConfig, pkey: str | None, column: str | None, *,
                 marker_size: float = 4, opacity: float = 0.8,
                 groups: list[str] | None = None, view: dict | None = None,
                 selected: list[int] | None = None):
    """(full figure, legend state) for a new projection: the one time coordinates go out.
    Rows outside the scale ``groups`` (when given) are transparent; clusters at ``view``;
    ``selected`` rows (a selection kept over a reload) are shown selected (on a density
    map: drawn over its image; the map's ``ids.DENSITY_WINDOW`` is then
    :func:`explorer.density_view.opening_store`)."""
    if not pkey:
        return empty_figure("computing the embedding..."), no_update
    data, (akey, params) = data_for(config, pkey, view), parse_projection_key(pkey)
    colour = colouring_for(data, colour_column(list(data.columns.columns), column))
    title = f"{_network_name(config, akey)} / {params.method} {params.n_components}-D"
    removed, halo = removed_rows(data, groups), halo_rows(data)
    # a density map opens on its overview, a selection kept over a reload drawn over it
    dense = dense_map(config, pkey, opening_store(config, pkey, selected))
    main_colour, main_removed, main_halo = main_rows(dense, colour, removed, halo)
    coords = load_coords(config, pkey) if dense is None else dense.coords[dense.rows]
    fig = scatter_figure(coords, main_colour, title=title, removed=main_removed,
                         marker_size=marker_size or 4, opacity=opacity or 0.8,
                         axis_name=PROJECTION_NAMES.get(params.method, params.method),
                         is_halo=main_halo)
    if dense is not None:
        return (dense_figure(fig, dense, pkey, layout_images(dense, colour, (), removed, halo)),
                _legend_state(colour, view))
    rows = [int(r) for r in selected or () if 0 <= int(r) < data.n_rows]
    if rows:
        fig.data[0].selectedpoints = rows
    return fig, _legend_state(colour, view)


def _network_name(config: AppConfig, key: str) -> str:
    """The network an analysis embeds with, "auto" resolved for its folder as the embedding
    step resolves it (e.g. "efficientnet_lite0"; :func:`compute.embed.auto_backbone_for`)."""
    from compute.embed import AUTO_BACKBONE, auto_backbone_for, resolve_backbone

    chosen = config_for(config, key)
    if chosen.backbone != AUTO_BACKBONE:
        return resolve_backbone(chosen.backbone, chosen.weights)
    return auto_backbone_for(chosen.images, chosen.weights, keep_data_bar=chosen.keep_data_bar)


def legend_hidden(restyle, categories: tuple[str, ...], hidden) -> list[str]:
    """Hidden categories after a legend click (Plotly's ``restyleData`` of the graph)."""
    hidden = set(hidden)
    changes, indices = restyle
    values = changes.get("visible")
    values = values if isinstance(values, list) else [values]
    for n, index in enumerate(indices):
        j = index - LEGEND_START
        if 0 <= j < len(categories):
            value = values[n % len(values)]
            (hidden.add if value == "legendonly" else hidden.discard)(categories[j])
    return [c for c in categories if c in hidden]


def legend_view(config: AppConfig, pkey: str | None, column: str, legend: dict | None,
                restyle: list | None, groups: list[str] | None = None,
                view: dict | None = None, *, cut_changed: bool = False,
                opacity: float | None = None, window: dict | None = None):
    """(Patch, legend state) for a new colour column, a legend toggle, or (``cut_changed``)
    a new Z / halo / name while colouring by cluster or halo (rows outside the scale
    ``groups`` stay transparent; ``window``: a density map's zoom)."""
    if not pkey or not legend:
        return no_update, no_update
    data, dims = data_for(config, pkey, view), parse_projection_key(pkey)[1].n_components
    removed, halo, dense = removed_rows(data, groups), halo_rows(data), dense_map(
        config, pkey, window)
    main_removed, main_halo = main_rows(dense, removed, halo)
    if restyle is not None:
        if "visible" not in (restyle[0] or {}):
            return no_update, no_update
        colour = colouring_for(data, legend["column"])
        hidden = legend_hidden(restyle, colour.categories, legend["hidden"])
        patch = hidden_patch(*main_rows(dense, colour), hidden, main_removed)
        return (_with_image(patch, dense, colour, hidden, removed, halo),
                {**legend, "hidden": hidden})
    if cut_changed:
        column = column or legend["column"]
        if column == legend["column"] and column not in CUT_COLUMNS:
            # the colours do not depend on the cut, the halo does
            fade = opacity_patch(opacity or 0.8, main_halo, dims)
            colour = colouring_for(data, column)
            return (_with_image(fade, dense, colour, legend["hidden"], removed, halo),
                    {**legend, "cut": View.of(view).store()})
    elif column is None or column == legend["column"]:
        return no_update, no_update  # the figure already shows this column
    colour = colouring_for(data, column)
    patch = recolour_patch(*main_rows(dense, colour), dims=dims, removed=main_removed,
                           old_legend_size=legend.get("legend", 0))
    if cut_changed:
        patch["data"][MAIN]["marker"]["opacity"] = point_opacity(opacity or 0.8,
                                                                 main_halo, dims)
    return _with_image(patch, dense, colour, (), removed, halo), _legend_state(colour, view)


def halo_rows(data: ExplorerData) -> np.ndarray | None:
    """(N,) bool: the rows the page's cut marks halo (drawn fainter); None without a cut."""
    if HALO_COLUMN not in data.columns.columns:
        return None
    return np.asarray(data.columns[HALO_COLUMN] == "halo")


def marker_view(pkey: str | None, *, marker_size: float, opacity: float,
                config: AppConfig | None = None, view: dict | None = None,
                window: dict | None = None):
    if not pkey:
        return no_update
    dims = parse_projection_key(pkey)[1].n_components
    if config is not None:
        halo = halo_rows(data_for(config, pkey, view))
        return marker_patch(marker_size=marker_size, opacity=opacity, dims=dims,
                            is_halo=main_rows(dense_map(config, pkey, window), halo)[0])
    return marker_patch(marker_size=marker_size, opacity=opacity, dims=dims)


def _visible_rows(data: ExplorerData, legend: dict | None, rows: np.ndarray,
                  groups: list[str] | None = None) -> np.ndarray:
    """Drop rows of categories hidden through the legend and rows outside the scale
    ``groups`` filter (both are drawn transparent)."""
    removed = removed_rows(data, groups)
    if removed is not None and len(rows):
        rows = rows[~removed[rows]]
    if not legend or not legend.get("hidden") or len(rows) == 0:
        return rows
    hidden = colouring_for(data, legend["column"]).rows_in(legend["hidden"])
    return rows[~hidden[rows]]


def focus_from_click(config: AppConfig, pkey: str | None, legend: dict | None, event,
                     groups: list[str] | None = None, view: dict | None = None):
    if not pkey:
        return no_update
    rows = _visible_rows(data_for(config, pkey, view), legend, rows_from_event(event), groups)
    return int(rows[0]) if len(rows) else no_update


def hover_view(config: AppConfig, pkey: str | None, legend: dict | None, event,
               groups: list[str] | None = None, view: dict | None = None):
    """(show, bbox, children) of the hover tooltip: a small thumbnail, the known label and
    the cluster at the page's cut."""
    if not pkey:
        return False, no_update, no_update
    data = data_for(config, pkey, view)
    rows = _visible_rows(data, legend, rows_from_event(event), groups)
    if len(rows) == 0:
        return False, no_update, no_update
    row = int(rows[0])
    label = data.columns["label"].iloc[row]
    lines = [html.Div(label or "(unlabelled)", className="label")]
    if data.clusters is not None:
        lines.append(html.Div(f"cluster {data.columns['cluster'].iloc[row]}"
                              + (" (halo)" if data.columns["halo"].iloc[row] == "halo" else ""),
                              className="hint hover-cluster"))
    card = html.Div(className="hover-card", children=[
        html.Img(src=thumbnail_url(data.ids[row]), width=96, height=96, className="thumb"),
        *lines])
    return True, event["points"][0].get("bbox"), card


def instance_view(config: AppConfig, pkey: str | None, row: int | None, k: int,
                  groups: list[str] | None = None, view: dict | None = None):
    """(instance panel, highlight Patch) for the focused row; its neighbours are taken
    among the rows inside the scale ``groups`` filter; its cluster is the page's cut's.
    A row the analysis does not have (after a new analysis) clears the panel."""
    if not pkey or row is None:
        return no_update, no_update
    data = data_for(config, pkey, view)
    if not 0 <= int(row) < data.n_rows:
        return POINT_HINT, no_update
    removed = removed_rows(data, groups)
    near, _ = neighbours_of(data, int(row), int(k or 12), removed)
    patch = highlight_patch(load_coords(config, pkey), int(row), near,
                            same_group(data, int(row), near))
    return instance_panel(data, int(row), int(k or 12), removed), patch


def selection_rows(config: AppConfig, pkey: str | None, legend: dict | None,
                   points: list[int] | None, groups: list[str] | None = None,
                   view: dict | None = None) -> list[int]:
    """The rows of a lasso/box selection, sorted (hidden categories and rows outside the
    scale ``groups`` excluded).

    ``points`` are the selected ``pointNumber``s of the main trace (the browser extracts
    them from Plotly's event, see ``SELECTED_ROWS_JS``)."""
    if not pkey or not points:
        return []
    data = data_for(config, pkey, view)
    rows = np.unique(np.asarray(points, dtype=np.int64))
    rows = rows[(rows >= 0) & (rows < data.n_rows)]
    return _visible_rows(data, legend, rows, groups).tolist()


def selection_view(config: AppConfig, pkey: str | None, rows: list[int] | None, page: int,
                   groups: list[str] | None = None, view: dict | None = None):
    """(selection panel, page shown); nothing outside the scale ``groups`` filter shows."""
    if not pkey:
        return no_update, no_update
    rows = np.asarray(rows or [], dtype=np.int64)
    page = page_of(rows, page, PAGE_SIZE)[1]
    data = data_for(config, pkey, view)
    return selection_panel(data, rows, page, removed_rows(data, groups)), page


def selection_table_view(config: AppConfig, pkey: str | None, legend: dict | None,
                         points: list[int] | None, groups: list[str] | None = None,
                         view: dict | None = None):
    """The selection's table (:func:`explorer.table_view.table_body`): the rows the
    selection panel shows (:func:`selection_rows`)."""
    from explorer.table_view import table_body

    if not pkey:
        return no_update
    rows = selection_rows(config, pkey, legend, points, groups, view)
    return table_body(data_for(config, pkey, view), np.asarray(rows, dtype=np.int64))


def search_view(config: AppConfig, key: str | None, pkey: str | None, query: str | None,
                view: dict | None = None):
    """(selected rows, folder tag, status, scatter Patch) for a search: the matches become
    the selection, as a lasso would make it.

    The search needs only the analysis (``key``), so it works while the map is still being
    computed; the map drawn later shows the selection (its figure reads the selected rows).
    """
    from dash import Patch

    from explorer.config import folder_tag
    from explorer.search import search_rows

    if not key or not (query or "").strip():
        return no_update, no_update, "", no_update
    found = search_rows(load_page(config, key, View.of(view)), query)
    rows = found.rows.tolist()
    if not pkey:
        return rows, folder_tag(config), found.what, no_update
    if dense_map(config, pkey, None) is not None:
        # a density map's main trace holds other rows: explorer.density_view draws the
        # selection (it follows the selected rows)
        return rows, folder_tag(config), found.what, drop_drawn_selection(Patch())
    return rows, folder_tag(config), found.what, select_rows(Patch(), rows or None)


def export_view(config: AppConfig, pkey: str | None, rows: list[int] | None,
                view: dict | None = None):
    """The current selection as a CSV download (every column, the cluster and its name at
    the page's cut, projection coordinates), named after the folder and the Z."""
    if not pkey or not rows:
        return no_update
    table = selection_table(data_for(config, pkey, view), rows, load_coords(config, pkey))
    return dcc.send_data_frame(neutralised_frame(table).to_csv,
                               f"{download_stem(config, view)}-selection.csv", index=False)


def download_stem(config: AppConfig, view: dict | None) -> str:
    """``topograph-FOLDER-zZ``: what every download of this page is called."""
    import re

    folder = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePath(config.images).name).strip("._") or "images"
    z = View.of(view).z
    return f"topograph-{folder}-z{'suggested' if z is None else f'{z:g}'}"
