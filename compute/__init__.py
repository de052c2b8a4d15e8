"""Topograph's science layer: pure functions over arrays, from images to a hierarchy.

Nothing in this package imports dash, plotly or ``explorer``. Heavy libraries (torch,
faiss, umap) are imported lazily inside the functions that need them, so ``import
compute`` stays fast. Numba's parallel kernels run on TBB where it is installed (see
:mod:`compute._threading`: the dashboard's jobs fork from a process that ran kernels).
"""

from compute._threading import preload_tbb

__version__ = "0.1.0"
TBB = preload_tbb()
