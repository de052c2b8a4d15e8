"""Topograph's science layer: pure functions over arrays, from images to a hierarchy.

Nothing in this package imports dash, plotly or ``explorer``. Heavy libraries (torch,
faiss, umap) are imported lazily inside the functions that need them, so ``import
compute`` stays fast.
"""

__version__ = "0.1.0"
