"""How good a clustering or a representation is.

- :mod:`compute.evaluation.scores`: NMI / AMI / ARI against known labels, confusion matrix,
  the label-distance correlation of an embedding.
- :mod:`compute.evaluation.quality`: the representation-quality report.
- :mod:`compute.evaluation.baselines`: k-means, agglomerative and HDBSCAN references.
- :mod:`compute.evaluation.model_selection`: grids over the density estimator and Z, and
  the NMI-against-cluster-count reference curves (``quality --grid``).
"""
