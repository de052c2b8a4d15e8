"""The page: dataset and computation on the left, the latent space in the centre (with
the hierarchy slot below it), the selected image and the selection on the right."""

from __future__ import annotations

from dash import dcc, html

from compute.embed import AUTO_BACKBONE, BACKBONES
from compute.params import DEFAULT_K
from compute.pipeline import PipelineConfig
from compute.projection import ProjectionParams
from explorer import ids
from explorer.config import AppConfig, folder_tag
from explorer.facets import facets_section
from explorer.figures import empty_figure
from explorer.habits import habits_store
from explorer.hierarchy import hierarchy_panel
from explorer.panels import SELECTION_HINT
from explorer.peak_images import peak_images_toggle
from explorer.training import quality_panel, training_section
from explorer.viewer import viewer_modal
from explorer.views import ALL_IMAGES, COLLAPSE
from explorer.widgets import field, job_controls, number

DEFAULTS = PipelineConfig(images="")
# The page's choices survive a reload (the browser's local storage): the Compute section,
# the projection and the hierarchy's Z. Only values, never paths or arrays.
KEEP = {"persistence": True, "persistence_type": "local"}
AUTO_BACKBONE_LABEL = "auto: pretrained CNN (ResNet-50 if cached, else EfficientNet-Lite0)"
PROJECTION_LABELS = {"manifold": "cluster space (the analysis' UMAP)", "pca": "PCA",
                     "tsne": "t-SNE", "umap": "UMAP (first run ~20 s)"}


def knn_options() -> list[dict]:
    """The Neighbours choices: every method of :data:`compute.params.KNN_METHODS`."""
    from compute.graph.knn import AUTO_EXACT_BELOW
    from compute.params import KNN_METHODS

    labels = {"auto": f"auto (exact below {AUTO_EXACT_BELOW:,} images, IVF above)",
              "exact": "exact (slow above 50,000)", "ivf": "IVF (approximate, fast)",
              "hnsw": "HNSW (approximate)"}
    return [{"label": labels.get(method, method), "value": method} for method in KNN_METHODS]


def _dataset_section(config: AppConfig) -> html.Section:
    # Weights are "auto": ImageNet where available offline, else EfficientNet-Lite0's
    # (the embedder logs which at WARNING level); the CLI's --weights picks others.
    backbones = [{"label": AUTO_BACKBONE_LABEL, "value": AUTO_BACKBONE},
                 *({"label": f"{name} ({spec.feature_dim}-d)", "value": name}
                   for name, spec in sorted(BACKBONES.items()))]
    return html.Section(className="group", children=[
        html.H3("Dataset"),
        html.Div(str(config.images), className="folder", title="image folder (--images)"),
        html.Div(id=ids.DATASET_SUMMARY, className="summary"),
        field("Images", dcc.Dropdown(
            id=ids.RUN_SCALE_GROUP, clearable=False, value=config.scale_group or ALL_IMAGES,
            options=[{"label": "all images", "value": ALL_IMAGES}]
            + ([{"label": f"only {config.scale_group}", "value": config.scale_group}]
               if config.scale_group else []))),
        field("Backbone", dcc.Dropdown(id=ids.SETTINGS_BACKBONE, options=backbones,
                                        value=config.backbone, clearable=False,
                                        optionHeight=50, **KEEP)),
        field("Weights", dcc.Dropdown(id=ids.SETTINGS_WEIGHTS, value=DEFAULTS.weights,
                                      clearable=False, optionHeight=50,
                                      options=[{"label": "built-in", "value": DEFAULTS.weights}])),
        field("Density", dcc.Dropdown(id=ids.SETTINGS_DENSITY, clearable=False,
                                       value=DEFAULTS.analysis.density, **KEEP,
                                       options=[{"label": "PAk (adaptive k)", "value": "pak"},
                                                {"label": "kNN (fixed k)", "value": "knn"}])),
        field("Distance", dcc.Dropdown(
            id=ids.SETTINGS_METRIC, clearable=False, value=DEFAULTS.analysis.metric, **KEEP,
            options=[{"label": "auto (cosine for CNN features, Euclidean for pixels)",
                      "value": "auto"},
                     {"label": "Euclidean", "value": "euclidean"},
                     {"label": "cosine (direction only)", "value": "cosine"}])),
        html.Div(className="row", children=[
            field("k", number(ids.SETTINGS_K, None, **KEEP,  # empty: the default k
                              placeholder=f"{DEFAULT_K} (fewer for small folders)")),
            field("max k", number(ids.SETTINGS_MAXK, DEFAULTS.analysis.maxk, **KEEP)),
        ]),
        html.Div(id=ids.SETTINGS_INVALID, className="invalid-input", role="alert"),
        field("Neighbours", dcc.Dropdown(id=ids.SETTINGS_KNN, clearable=False, **KEEP,
                                         value=DEFAULTS.analysis.knn_method,
                                         options=knn_options())),
        field("Cluster space", dcc.Dropdown(
            id=ids.SETTINGS_SPACE, clearable=False, value=DEFAULTS.analysis.space, **KEEP,
            options=[{"label": "UMAP manifold of the embedding", "value": "umap"},
                     {"label": "full embedding", "value": "full"}])),
        dcc.Checklist(id=ids.SETTINGS_COPIES, **KEEP,
                      options=[{"label": " collapse near-duplicate copies",
                                "value": COLLAPSE}],
                      value=[COLLAPSE] if DEFAULTS.analysis.collapse_copies else []),
        html.Div("Z and the halo are set below the map, for the whole page.",
                 className="hint"),
        job_controls(html.Button("Compute", id=ids.RUN_BUTTON, n_clicks=0, className="primary"),
                      ids.CANCEL_BUTTON, ids.PROGRESS, ids.STATUS, ids.JOB_ERROR),
    ])


def _projection_section() -> html.Section:
    defaults = ProjectionParams()
    return html.Section(className="group", children=[
        html.H3("Projection"),
        dcc.Dropdown(id=ids.SETTINGS_PROJECTION, clearable=False, value=None, **KEEP,
                     placeholder="most readable: the cluster space, else UMAP or PCA",
                     options=[{"label": v, "value": k} for k, v in PROJECTION_LABELS.items()]),
        dcc.RadioItems(id=ids.SETTINGS_DIMS, inline=True, value=defaults.n_components, **KEEP,
                       options=[{"label": " 2-D", "value": 2}, {"label": " 3-D", "value": 3}]),
        html.Div(className="row", children=[
            field("seed", number(ids.SETTINGS_SEED, defaults.random_state)),
            field("perplexity", number(ids.SETTINGS_PERPLEXITY, defaults.perplexity),
                  class_name="tsne-only"),
        ]),
        html.Div(className="row", children=[
            field("UMAP neighbours", number(ids.SETTINGS_NEIGHBORS, defaults.n_neighbors)),
            field("min dist", number(ids.SETTINGS_MIN_DIST, defaults.min_dist)),
        ]),
        html.Div("Projections are cached: switching back is instant.", className="hint"),
        job_controls(None, ids.PROJECTION_CANCEL, ids.PROJECTION_PROGRESS,
                      ids.PROJECTION_STATUS, ids.PROJECTION_ERROR),
    ])


def _settings(config: AppConfig) -> html.Div:
    return html.Div(className="panel settings", children=[
        html.H2("Topograph"), _dataset_section(config), _projection_section(),
        training_section()])


def _view_controls() -> html.Div:
    return html.Div(className="toolbar", children=[
        field("Colour by", dcc.Dropdown(id=ids.COLOUR_BY, options=[], value=None,
                                         clearable=False), class_name="colour"),
        field("Scale groups", dcc.Dropdown(id=ids.SCALE_FILTER, options=[], value=[],
                                            multi=True, placeholder="all groups"),
               class_name="colour scale-filter"),
        field("Marker size", dcc.Slider(id=ids.MARKER_SIZE, min=1, max=12, step=1, value=4,
                                         marks=None, tooltip={"placement": "bottom"}),
               class_name="slider"),
        field("Opacity", dcc.Slider(id=ids.MARKER_OPACITY, min=0.1, max=1, step=0.05,
                                     value=0.8, marks=None, tooltip={"placement": "bottom"}),
               class_name="slider"),
        peak_images_toggle(),
    ])


def hierarchy_slot() -> html.Details:
    """Where issue 7's density-peak hierarchy panel goes (below the scatter).

    The hierarchy branch fills this Div's children (or replaces this function's body);
    its callbacks are registered by ``register_hierarchy_callbacks`` in explorer/app.py.
    """
    return html.Details(className="panel hierarchy", open=True, children=[
        html.Summary("Cluster hierarchy"),
        html.Div(id=ids.HIERARCHY_SLOT, children=hierarchy_panel()),
    ])


def _centre() -> html.Div:
    return html.Div(className="centre", children=[
        html.Div(className="panel", children=[
            _view_controls(),
            dcc.Graph(id=ids.SCATTER, figure=empty_figure("computing the embedding..."),
                      clear_on_unhover=True, className="scatter",
                      config={"displaylogo": False, "scrollZoom": True}),
            dcc.Tooltip(id=ids.HOVER_TOOLTIP),
        ]),
        facets_section(),
        hierarchy_slot(),
        quality_panel(),
    ])


def _search_box() -> html.Div:
    """Find images by a cluster's name (or number), a file name or an id: they become the
    selection (:mod:`explorer.search`)."""
    return html.Div(className="search", children=[
        dcc.Input(id=ids.SEARCH_INPUT, type="search", debounce=True, className="search-input",
                  placeholder="find: cluster name or number, file name, id (Enter)"),
        html.Div(id=ids.SEARCH_STATUS, className="hint", role="status"),
    ])


def _right() -> html.Div:
    return html.Div(className="right", children=[
        html.Div(className="panel", children=[
            html.Div(className="panel-head", children=[
                html.H3("Point"),
                field("neighbours", dcc.Dropdown(id=ids.NEIGHBOUR_COUNT, clearable=False,
                                                  value=12, options=[6, 12, 24])),
            ]),
            html.Div(id=ids.INSTANCE_PANEL,
                     children=html.P("Click a point to see its image and its nearest "
                                     "neighbours.", className="hint")),
        ]),
        html.Div(className="panel", children=[
            html.Div(className="panel-head", children=[
                html.H3("Selection"),
                html.Div(className="buttons", children=[
                    html.Button("<", id=ids.PAGE_PREV, n_clicks=0, title="previous page"),
                    html.Button(">", id=ids.PAGE_NEXT, n_clicks=0, title="next page"),
                    html.Button("Export CSV", id=ids.EXPORT_BUTTON, n_clicks=0),
                ]),
            ]),
            _search_box(),
            # the hint is Markdown so that the page loads Dash's Markdown renderer, which
            # draws every thumbnail grid (explorer.panels), as it opens: not at the first
            # selection, when the grid would appear after its count
            html.Div(id=ids.SELECTION_PANEL,
                     children=dcc.Markdown(SELECTION_HINT, className="hint")),
            dcc.Download(id=ids.EXPORT_DOWNLOAD),
        ]),
    ])


def build_layout(config: AppConfig | None = None) -> html.Div:
    return html.Div(className="page", children=[
        dcc.Store(id=ids.RUN_KEY), dcc.Store(id=ids.PROJECTION_KEY), dcc.Store(id=ids.VIEW),
        dcc.Store(id=ids.PROJECTION_REQUEST), dcc.Store(id=ids.LEGEND_STATE),
        dcc.Store(id=ids.FOCUS_ROW),
        dcc.Store(id=ids.SELECTED_POINTS, data=[], storage_type="session"),
        dcc.Store(id=ids.SELECTION_FOLDER, storage_type="session"),
        dcc.Store(id=ids.FOLDER_TAG, data=folder_tag(config or AppConfig())),
        dcc.Store(id=ids.SELECTION_PAGE, data=0),
        dcc.Store(id=ids.DENSITY_WINDOW),  # explorer.density_view
        html.Div(id=ids.APP_ERROR, className="app-error", role="alert", n_clicks=0,
                 title="click to dismiss"),
        html.Div(id=ids.SIGNED_IN, className="signed-in"),
        _settings(config or AppConfig()), _centre(), _right(), viewer_modal(),
        habits_store(),
    ])
