"""The image viewer: any image of the page at full resolution, with zoom, pan, the data
bar shown or hidden, a scale bar from the measured pixel size, its metadata, and a second
image beside it.

:func:`viewer_modal` is the Dash component; :func:`register_viewer` wires its callbacks
and its file route (see :mod:`explorer.viewer.callbacks`). ``assets/viewer.js`` opens it
from a click on an image and closes it on Escape.
"""

from explorer.viewer.callbacks import register_viewer
from explorer.viewer.layout import viewer_modal

__all__ = ["register_viewer", "viewer_modal"]
