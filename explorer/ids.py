"""Every component id of the dashboard, in one place."""

# Left column: dataset and analysis job
DATASET_SUMMARY = "dataset-summary"
SETTINGS_BACKBONE = "settings-backbone"
SETTINGS_WEIGHTS = "settings-weights"        # built-in, or the name of weights trained here
SETTINGS_DENSITY = "settings-density"
SETTINGS_METRIC = "settings-metric"
SETTINGS_K = "settings-k"
SETTINGS_MAXK = "settings-maxk"
SETTINGS_KNN = "settings-knn"
SETTINGS_SPACE = "settings-space"          # where the density peaks are found
SETTINGS_COPIES = "settings-copies"        # collapse near-duplicate copies (a checklist)
SETTINGS_INVALID = "settings-invalid"    # why the analysis choices are refused (role=alert)
RUN_BUTTON = "run-button"
CANCEL_BUTTON = "cancel-button"
PROGRESS = "job-progress"
STATUS = "job-status"
JOB_ERROR = "job-error"                  # why the last analysis job failed (role=alert)

# Left column: projection and its job
SETTINGS_PROJECTION = "settings-projection"
SETTINGS_DIMS = "settings-dims"
SETTINGS_SEED = "settings-seed"
SETTINGS_PERPLEXITY = "settings-perplexity"
SETTINGS_NEIGHBORS = "settings-n-neighbors"
SETTINGS_MIN_DIST = "settings-min-dist"
PROJECTION_CANCEL = "projection-cancel"
PROJECTION_PROGRESS = "projection-progress"
PROJECTION_STATUS = "projection-status"
PROJECTION_ERROR = "projection-error"    # why the last projection job failed

# Top of the page: a callback that failed outside the jobs (role=alert, click to dismiss)
APP_ERROR = "app-error"
SIGNED_IN = "signed-in"  # who is signed in (empty without sign-in)

# Stores: keys and selections only, never arrays
RUN_KEY = "run-key"                      # analysis key (JSON of the choices that compute)
VIEW = "view"                            # the page's cut {"z", "halo", "names"}: one Z for all
PROJECTION_KEY = "projection-key"        # analysis key + projection parameters
PROJECTION_REQUEST = "projection-request"  # a projection not yet cached: run the job
LEGEND_STATE = "legend-state"            # {"column", "categories", "hidden"}
FOCUS_ROW = "focus-row"                  # the row shown in the instance panel
SELECTED_POINTS = "selected-points"      # rows of the last lasso/box, or its shape (density map)
SELECTION_FOLDER = "selection-folder"    # the folder tag those rows belong to (session)
FOLDER_TAG = "folder-tag"                # the server's folder tag (explorer.config.folder_tag)
SELECTION_PAGE = "selection-page"
DENSITY_WINDOW = "density-window"  # a density map: {"pkey", "window", "shown"} (None: overview)

# Centre: latent space and view controls
SCATTER = "latent-scatter"
HOVER_TOOLTIP = "hover-tooltip"
COLOUR_BY = "colour-by"
SCALE_FILTER = "scale-filter"            # scale groups shown (empty: all)
ROW_FILTER = "row-filter"                # scale groups + facet choices: what the map shows
FACETS = "facets"                        # the facets' bar lists
FACET_COLUMN = "facet-column"            # the metadata column of the fourth facet
FACET_CHOICES = "facet-choices"          # {column: [categories kept]}
FACET_CLEAR = "facet-clear"
RUN_SCALE_GROUP = "settings-scale-group"  # Compute: all images, or only one scale group
MARKER_SIZE = "marker-size"
MARKER_OPACITY = "marker-opacity"
HIERARCHY_SLOT = "hierarchy-slot"        # issue 7's hierarchy panel goes here

# Right: instance and selection panels
INSTANCE_PANEL = "instance-panel"
NEIGHBOUR_COUNT = "neighbour-count"
SELECTION_PANEL = "selection-panel"
SELECTION_COUNT = "selection-count"
SELECTION_GRID = "selection-grid"
OUTSIDE_GRID = "outside-grid"
PAGE_PREV = "page-prev"
PAGE_NEXT = "page-next"
SEARCH_INPUT = "search-input"            # find a cluster name, a file name or an id
SEARCH_STATUS = "search-status"          # what the search matched
EXPORT_BUTTON = "export-button"
EXPORT_DOWNLOAD = "export-download"
