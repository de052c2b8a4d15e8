"""Expert names for clusters and dendrogram nodes: the store, the tree, the matching.

- :mod:`compute.naming.store`: SQLite store with history and optimistic versioning.
- :mod:`compute.naming.tree`: the peak dendrogram as a :class:`ClusterTree`.
- :mod:`compute.naming.match`: names find their nodes again after re-clustering.
- :mod:`compute.naming.clustering`: one run's labels, tree and ids together.
- :mod:`compute.naming.text`: limits and checks on user text.
"""

from compute.naming.clustering import PATH_SEPARATOR, LabelledClustering
from compute.naming.match import NameMatch, match_names, node_anchor
from compute.naming.store import Anchor, NameConflictError, NameRecord, NameStore, RunInfo
from compute.naming.tree import ClusterTree, tree_from_linkage

__all__ = ["PATH_SEPARATOR", "Anchor", "ClusterTree", "LabelledClustering", "NameConflictError",
           "NameMatch", "NameRecord", "NameStore", "RunInfo", "match_names", "node_anchor",
           "tree_from_linkage"]
