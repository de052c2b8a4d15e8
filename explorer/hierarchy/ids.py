"""Component ids of the hierarchy panel (all prefixed ``hier-``)."""

Z_SLIDER = "hier-z"                   # the page's Z (written to the explorer's VIEW store)
Z_KEY = "hier-z-key"                # the analysis the slider's Z belongs to (kept on reload)
HALO = "hier-halo"                    # mark halo images (part of the page's cut)
Z_SUMMARY = "hier-z-summary"
Z_CURVE = "hier-z-curve"
DENDROGRAM = "hier-dendrogram"
MDS = "hier-mds"
HEATMAP = "hier-heatmap"
HIGHLIGHT = "hier-highlight"          # {"node": int} or {"pair": [a, b]} at the shown Z
SELECTED = "hier-selected"            # {"node": int}: the node on the card
NAMES_VERSION = "hier-names-version"  # bumped after every save: redraw names
EDITING = "hier-editing"              # {"node", "name_id", "version"} the form edits
CARD = "hier-card"
USER_INPUT = "hier-user"
NAME_INPUT = "hier-name"
NOTE_INPUT = "hier-note"
SAVE_BUTTON = "hier-save"
DELETE_BUTTON = "hier-delete"
RELOAD_BUTTON = "hier-reload"        # re-read the name after a conflict
NAME_STATUS = "hier-name-status"
LOST_NAMES = "hier-lost"
EXPORT_BUTTON = "hier-export"
EXPORT_ZIP = "hier-export-zip"       # the labelled export: CSV, tree CSV and sidecar
SCORES = "hier-scores"
CONFUSION = "hier-confusion"
TWO_NN = "hier-two-nn"
ID_SCALE = "hier-id-scale"
PCA = "hier-pca"
DECISION = "hier-decision"            # classic density peaks' decision graph


def tooltip(graph: str) -> str:
    """The hover tooltip beside one of the three pictures."""
    return f"{graph}-tooltip"
