"""The hierarchy panel: dendrogram, MDS peak map, saddle heatmap, cluster card, naming.

:func:`hierarchy_panel` is the Dash component; :func:`register_hierarchy_callbacks` wires
it (see :mod:`explorer.hierarchy.callbacks`).
"""

from explorer.hierarchy.callbacks import register_hierarchy_callbacks
from explorer.hierarchy.layout import hierarchy_panel

__all__ = ["hierarchy_panel", "register_hierarchy_callbacks"]
