"""Component ids of the image viewer (all prefixed ``viewer``; assets/viewer.js uses
:data:`VIEWER`, :data:`REQUEST` and :data:`CLOSE` by these names)."""

VIEWER = "viewer"                     # the modal; class "viewer open" while shown
REQUEST = "viewer-request"            # {"id", "compare", "t"} or None (closed)
PINNED = "viewer-pinned"              # the content id kept for comparison, or None
OPTIONS = "viewer-options"            # checklist: "scale-bar", "data-bar", "link-zoom"
TITLE = "viewer-title"
MAIN = "viewer-main"                  # graph of the image asked for
MAIN_META = "viewer-main-meta"
COMPARE_PANE = "viewer-compare-pane"  # hidden when there is nothing to compare with
COMPARE = "viewer-compare"            # graph of the image beside it
COMPARE_META = "viewer-compare-meta"
PIN = "viewer-pin"
UNPIN = "viewer-unpin"
CLOSE = "viewer-close"

SCALE_BAR = "scale-bar"               # OPTIONS values
DATA_BAR = "data-bar"
LINK_ZOOM = "link-zoom"               # side by side: zoom and pan move both images (viewer.js)
