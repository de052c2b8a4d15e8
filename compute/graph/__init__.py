"""The neighbour graph and what is estimated on it: the steps every density-peak analysis
shares.

- :mod:`compute.graph.knn`: the kNN graph (faiss; exact duplicates collapsed).
- :mod:`compute.graph.intrinsic_dim`: the 2-NN intrinsic dimension and its scale analysis.
- :mod:`compute.graph.density`: log-densities, kNN (fixed k) or PAk (adaptive k*).
- ``knn_kernels``, ``density_kernels``: their numba kernels.
"""
