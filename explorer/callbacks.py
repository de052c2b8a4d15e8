"""Callbacks: parse inputs, call a function of this module or of :mod:`explorer.views`,
return. The functions named ``*_job`` and ``*_view`` are what the callbacks call, and
what tests and benchmarks call directly."""

from __future__ import annotations

from dash import MATCH, Dash, Input, Output, State, ctx, no_update

from explorer import ids
from explorer.config import AppConfig, kept_selection
from explorer.density_view import SELECTED_ROWS_JS, opening_store, register_density_callbacks
from explorer.jobs import run_timed_job
from explorer.jobs.feedback import job_progress_outputs, register_job_feedback
from explorer.table_view import TABLE_BODY, TABLE_OPENER
from explorer.views import (
    analysis_input_problem,
    analysis_job,
    colour_options,
    export_view,
    filter_view,
    focus_from_click,
    hover_view,
    instance_view,
    legend_outdated,
    legend_view,
    marker_view,
    projection_job,
    projection_options,
    request_projection,
    run_group_options,
    scale_filter_options,
    scatter_view,
    search_view,
    selection_rows,
    selection_table_view,
    selection_view,
)

_RUNNING_ANALYSIS = [(Output(ids.RUN_BUTTON, "disabled"), True, False),
                     (Output(ids.CANCEL_BUTTON, "disabled"), False, True)]
_RUNNING_PROJECTION = [(Output(ids.PROJECTION_CANCEL, "disabled"), False, True)]
_PROJECTION_INPUTS = [Input(ids.RUN_KEY, "data"), Input(ids.SETTINGS_PROJECTION, "value"),
                      Input(ids.SETTINGS_DIMS, "value"), Input(ids.SETTINGS_SEED, "value"),
                      Input(ids.SETTINGS_PERPLEXITY, "value"),
                      Input(ids.SETTINGS_NEIGHBORS, "value"),
                      Input(ids.SETTINGS_MIN_DIST, "value")]


def _register_jobs(app: Dash, config: AppConfig) -> None:
    @app.callback(
        Output(ids.RUN_KEY, "data"), Output(ids.DATASET_SUMMARY, "children"),
        Output(ids.STATUS, "children", allow_duplicate=True),
        Output(ids.JOB_ERROR, "children", allow_duplicate=True), Input(ids.RUN_BUTTON, "n_clicks"),
        State(ids.SETTINGS_BACKBONE, "value"), State(ids.SETTINGS_DENSITY, "value"),
        State(ids.SETTINGS_K, "value"), State(ids.SETTINGS_MAXK, "value"),
        State(ids.SETTINGS_METRIC, "value"), State(ids.SETTINGS_WEIGHTS, "value"),
        State(ids.RUN_SCALE_GROUP, "value"), State(ids.SETTINGS_KNN, "value"),
        State(ids.SETTINGS_SPACE, "value"), State(ids.SETTINGS_COPIES, "value"),
        background=True, running=_RUNNING_ANALYSIS, prevent_initial_call="initial_duplicate",
        progress=job_progress_outputs(ids.PROGRESS, ids.STATUS),
        cancel=[Input(ids.CANCEL_BUTTON, "n_clicks")],
    )
    def _analyse(set_progress, _clicks, backbone, density, k, maxk, metric, weights, group,
                 knn, space, copies):
        return run_timed_job(lambda: analysis_job(set_progress, config, backbone=backbone,
                                                  density=density, k=k, maxk=maxk,
                                                  metric=metric, weights=weights,
                                                  scale_group=group, knn_method=knn,
                                                  space=space, copies=copies),
                             task="The analysis", n_outputs=2)

    register_job_feedback(app, start=Input(ids.RUN_BUTTON, "n_clicks"), on_load=True,
                          cancel_id=ids.CANCEL_BUTTON, progress_id=ids.PROGRESS,
                          status_id=ids.STATUS, error_id=ids.JOB_ERROR)

    @app.callback(Output(ids.SETTINGS_INVALID, "children"),
                  Input(ids.SETTINGS_DENSITY, "value"), Input(ids.SETTINGS_K, "value"),
                  Input(ids.SETTINGS_MAXK, "value"), Input(ids.SETTINGS_METRIC, "value"),
                  Input(ids.SETTINGS_KNN, "value"))
    def _check_analysis_inputs(density, k, maxk, metric, knn):
        return analysis_input_problem(density=density, k=k, maxk=maxk, metric=metric,
                                      knn_method=knn)

    @app.callback(Output(ids.PROJECTION_KEY, "data"), Output(ids.PROJECTION_REQUEST, "data"),
                  Output(ids.PROJECTION_STATUS, "children"), *_PROJECTION_INPUTS)
    def _request(key, method, dims, seed, perplexity, n_neighbors, min_dist):
        return request_projection(config, key, method=method, dims=dims, seed=seed,
                                  perplexity=perplexity, n_neighbors=n_neighbors,
                                  min_dist=min_dist)

    @app.callback(
        Output(ids.PROJECTION_KEY, "data", allow_duplicate=True),
        Output(ids.PROJECTION_STATUS, "children", allow_duplicate=True),
        Output(ids.PROJECTION_ERROR, "children", allow_duplicate=True),
        Input(ids.PROJECTION_REQUEST, "data"),
        background=True, running=_RUNNING_PROJECTION, prevent_initial_call=True,
        progress=job_progress_outputs(ids.PROJECTION_PROGRESS, ids.PROJECTION_STATUS),
        cancel=[Input(ids.PROJECTION_CANCEL, "n_clicks")],
    )
    def _project(set_progress, pkey):
        return run_timed_job(lambda: (projection_job(set_progress, config, pkey),),
                             task="The projection", n_outputs=1)

    register_job_feedback(app, start=Input(ids.PROJECTION_REQUEST, "data"),
                          cancel_id=ids.PROJECTION_CANCEL, progress_id=ids.PROJECTION_PROGRESS,
                          status_id=ids.PROJECTION_STATUS, error_id=ids.PROJECTION_ERROR)


def _register_scatter(app: Dash, config: AppConfig) -> None:
    @app.callback(Output(ids.COLOUR_BY, "options"), Output(ids.COLOUR_BY, "value"),
                  Input(ids.RUN_KEY, "data"), State(ids.COLOUR_BY, "value"))
    def _colour_options(key, current):
        return colour_options(config, key, current)

    @app.callback(Output(ids.SETTINGS_PROJECTION, "options"), Input(ids.RUN_KEY, "data"))
    def _projection_options(key):
        return projection_options(config, key)

    @app.callback(Output(ids.RUN_SCALE_GROUP, "options"), Input(ids.RUN_KEY, "data"))
    def _run_group_options(key):
        return run_group_options(config, key)

    @app.callback(Output(ids.SCALE_FILTER, "options"), Output(ids.SCALE_FILTER, "value"),
                  Input(ids.RUN_KEY, "data"), State(ids.SCALE_FILTER, "value"))
    def _scale_filter_options(key, current):
        options = scale_filter_options(config, key)
        names = {o["value"] for o in options}
        return options, [g for g in current or [] if g in names]

    @app.callback(Output(ids.SCATTER, "figure"), Output(ids.LEGEND_STATE, "data"),
                  Output(ids.DENSITY_WINDOW, "data", allow_duplicate=True),
                  Input(ids.PROJECTION_KEY, "data"),
                  State(ids.COLOUR_BY, "value"), State(ids.MARKER_SIZE, "value"),
                  State(ids.MARKER_OPACITY, "value"), State(ids.ROW_FILTER, "data"),
                  State(ids.VIEW, "data"), State(ids.SELECTED_POINTS, "data"),
                  State(ids.SELECTION_FOLDER, "data"), prevent_initial_call="initial_duplicate")
    def _scatter(pkey, column, size, opacity, groups, view, points, folder):
        selected = kept_selection(config, points, folder)
        fig, legend = scatter_view(config, pkey, column, marker_size=size, opacity=opacity,
                                   groups=groups, view=view, selected=selected)
        return fig, legend, opening_store(config, pkey, selected)  # the zoom starts afresh

    @app.callback(Output(ids.SCATTER, "figure", allow_duplicate=True),
                  Output(ids.LEGEND_STATE, "data", allow_duplicate=True),
                  Input(ids.COLOUR_BY, "value"), Input(ids.SCATTER, "restyleData"),
                  Input(ids.VIEW, "data"), Input(ids.LEGEND_STATE, "data"),
                  State(ids.PROJECTION_KEY, "data"),
                  State(ids.ROW_FILTER, "data"), State(ids.MARKER_OPACITY, "value"),
                  State(ids.DENSITY_WINDOW, "data"), prevent_initial_call=True)
    def _recolour(column, restyle, view, legend, pkey, groups, opacity, window):
        # a new figure's legend state comes in too: its colours may be of an older cut
        # than the page's (built while the slider settled), then they follow the page
        triggers = set(ctx.triggered_prop_ids.values())
        outdated = legend_outdated(legend, view)
        if triggers == {ids.LEGEND_STATE} and not outdated:
            return no_update, no_update
        restyle = restyle if ids.SCATTER in triggers else None
        return legend_view(config, pkey, column, legend, restyle, groups, view,
                           cut_changed=ids.VIEW in triggers or outdated,
                           opacity=opacity, window=window)

    @app.callback(Output(ids.SCATTER, "figure", allow_duplicate=True),
                  Input(ids.ROW_FILTER, "data"), State(ids.LEGEND_STATE, "data"),
                  State(ids.PROJECTION_KEY, "data"), State(ids.VIEW, "data"),
                  State(ids.DENSITY_WINDOW, "data"), prevent_initial_call=True)
    def _filter(groups, legend, pkey, view, window):
        return filter_view(config, pkey, legend, groups, view, window)

    @app.callback(Output(ids.SCATTER, "figure", allow_duplicate=True),
                  Input(ids.MARKER_SIZE, "value"), Input(ids.MARKER_OPACITY, "value"),
                  State(ids.PROJECTION_KEY, "data"), State(ids.VIEW, "data"),
                  State(ids.DENSITY_WINDOW, "data"), prevent_initial_call=True)
    def _marker(size, opacity, pkey, view, window):
        return marker_view(pkey, marker_size=size, opacity=opacity, config=config, view=view,
                           window=window)

    @app.callback(Output(ids.HOVER_TOOLTIP, "show"), Output(ids.HOVER_TOOLTIP, "bbox"),
                  Output(ids.HOVER_TOOLTIP, "children"),
                  Input(ids.SCATTER, "hoverData"), State(ids.PROJECTION_KEY, "data"),
                  State(ids.LEGEND_STATE, "data"), State(ids.ROW_FILTER, "data"),
                  State(ids.VIEW, "data"))
    def _hover(event, pkey, legend, groups, view):
        return hover_view(config, pkey, legend, event, groups, view)


def _register_panels(app: Dash, config: AppConfig) -> None:
    # (a click on a thumbnail tile focuses its row in the browser: assets/tiles.js)
    @app.callback(Output(ids.FOCUS_ROW, "data"),
                  Input(ids.SCATTER, "clickData"),
                  State(ids.PROJECTION_KEY, "data"), State(ids.LEGEND_STATE, "data"),
                  State(ids.ROW_FILTER, "data"), State(ids.VIEW, "data"),
                  prevent_initial_call=True)
    def _focus(event, pkey, legend, groups, view):
        return focus_from_click(config, pkey, legend, event, groups, view)

    # A new analysis (other weights...) or a new cut redraws the Point panel too: its
    # neighbours, distances and cluster are never those of an earlier analysis.
    @app.callback(Output(ids.INSTANCE_PANEL, "children"),
                  Output(ids.SCATTER, "figure", allow_duplicate=True),
                  Input(ids.FOCUS_ROW, "data"), Input(ids.NEIGHBOUR_COUNT, "value"),
                  Input(ids.PROJECTION_KEY, "data"), Input(ids.VIEW, "data"),
                  State(ids.ROW_FILTER, "data"), prevent_initial_call=True)
    def _instance(row, k, pkey, view, groups):
        return instance_view(config, pkey, row, k, groups, view)

    # The browser turns Plotly's selection event (x, y, indices: ~110 bytes a point) into
    # a list of rows (~6 bytes a point) before anything goes to the server.
    # The rows are kept in the tab's session storage with the folder they belong to: a
    # reload shows the same selection, a server now exploring another folder ignores it.
    # On a density map the selection is the lasso's shape instead (its points are not all
    # in the browser), resolved by each consumer: explorer.density_view.shape_rows.
    app.clientside_callback(SELECTED_ROWS_JS, Output(ids.SELECTED_POINTS, "data"),
                            Output(ids.SELECTION_FOLDER, "data"),
                            Input(ids.SCATTER, "selectedData"), State(ids.FOLDER_TAG, "data"),
                            State(ids.SCATTER, "figure"), State(ids.PROJECTION_KEY, "data"),
                            prevent_initial_call=True)

    # The selection is the selected rows minus the classes hidden through the legend and
    # the rows outside the scale-group filter, recomputed server-side on each use, so the
    # rows are never sent back to the browser.
    @app.callback(Output(ids.SELECTION_PANEL, "children"), Output(ids.SELECTION_PAGE, "data"),
                  Input(ids.SELECTED_POINTS, "data"), Input(ids.PAGE_PREV, "n_clicks"),
                  Input(ids.PAGE_NEXT, "n_clicks"), Input(ids.ROW_FILTER, "data"),
                  Input(ids.VIEW, "data"), Input(ids.PROJECTION_KEY, "data"),
                  State(ids.SELECTION_PAGE, "data"), State(ids.LEGEND_STATE, "data"),
                  State(ids.SELECTION_FOLDER, "data"), prevent_initial_call=True)
    def _select(points, _prev, _next, groups, view, pkey, page, legend, folder):
        step = {ids.PAGE_PREV: (page or 0) - 1, ids.PAGE_NEXT: (page or 0) + 1,
                ids.VIEW: page or 0}  # a new cut keeps the page; a new selection starts over
        points = kept_selection(config, points, folder)
        rows = selection_rows(config, pkey, legend, points, groups, view)
        return selection_view(config, pkey, rows, step.get(ctx.triggered_id, 0), groups, view)

    @app.callback(Output(TABLE_BODY | {"index": MATCH}, "children"),
                  Input(TABLE_OPENER | {"index": MATCH}, "n_clicks"),
                  State(TABLE_BODY | {"index": MATCH}, "children"),
                  State(ids.SELECTED_POINTS, "data"), State(ids.SELECTION_FOLDER, "data"),
                  State(ids.PROJECTION_KEY, "data"), State(ids.LEGEND_STATE, "data"),
                  State(ids.ROW_FILTER, "data"), State(ids.VIEW, "data"),
                  prevent_initial_call=True)
    def _table(clicks, body, points, folder, pkey, legend, groups, view):
        """The selection's table, sent when first opened: the rows the panel shows."""
        if not clicks or body:
            return no_update
        points = kept_selection(config, points, folder)
        return selection_table_view(config, pkey, legend, points, groups, view)

    @app.callback(Output(ids.SELECTED_POINTS, "data", allow_duplicate=True),
                  Output(ids.SELECTION_FOLDER, "data", allow_duplicate=True),
                  Output(ids.SEARCH_STATUS, "children"),
                  Output(ids.SCATTER, "figure", allow_duplicate=True),
                  Input(ids.SEARCH_INPUT, "value"), State(ids.RUN_KEY, "data"),
                  State(ids.PROJECTION_KEY, "data"), State(ids.VIEW, "data"),
                  prevent_initial_call=True)
    def _search(query, key, pkey, view):
        return search_view(config, key, pkey, query, view)

    @app.callback(Output(ids.EXPORT_DOWNLOAD, "data"), Input(ids.EXPORT_BUTTON, "n_clicks"),
                  State(ids.SELECTED_POINTS, "data"), State(ids.PROJECTION_KEY, "data"),
                  State(ids.LEGEND_STATE, "data"), State(ids.ROW_FILTER, "data"),
                  State(ids.VIEW, "data"), State(ids.SELECTION_FOLDER, "data"),
                  prevent_initial_call=True)
    def _export(_clicks, points, pkey, legend, groups, view, folder):
        points = kept_selection(config, points, folder)  # as the panel shows it
        return export_view(config, pkey, selection_rows(config, pkey, legend, points, groups,
                                                        view), view)


def register_callbacks(app: Dash, config: AppConfig) -> None:
    """Every callback of the explorer (the hierarchy panel registers its own)."""
    app.clientside_callback("() => ''", Output(ids.APP_ERROR, "children", allow_duplicate=True),
                            Input(ids.APP_ERROR, "n_clicks"), prevent_initial_call=True)
    _register_jobs(app, config)
    _register_scatter(app, config)
    _register_panels(app, config)
    register_density_callbacks(app, config)
