"""The hierarchy panel: dendrogram, MDS peak map, saddle heatmap, cluster card, naming.

:func:`hierarchy_panel` is the Dash component; :func:`register_hierarchy_callbacks` wires
it (see :mod:`explorer.hierarchy.callbacks`).
"""
