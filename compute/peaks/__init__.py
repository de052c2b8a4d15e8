"""Advanced Density Peaks (ADP, d'Errico et al. 2021) over a kNN graph and a density.

:func:`find_peaks` runs the Z-independent steps 1-4 once; :func:`remerge` runs the merge
(step 5) and the halo (step 7) for any Z from that cached result; :func:`adp` does both.
"""

from __future__ import annotations

from compute.graph.density import Density
from compute.graph.knn import KnnGraph
from compute.params import check_z
from compute.peaks.merge import (
    NO_SADDLE,
    Clustering,
    MergeHistory,
    SaddleMatrix,
    remerge,
)
from compute.peaks.structure import Peaks, find_peaks
from compute.progress import ProgressFn

__all__ = ["NO_SADDLE", "Clustering", "MergeHistory", "Peaks", "SaddleMatrix", "adp",
           "check_z", "find_peaks", "remerge"]


def adp(knn: KnnGraph, density: Density, *, z: float = 1.65, halo: bool = False,
        progress: ProgressFn | None = None) -> Clustering:
    """ADP clustering in one call: :func:`find_peaks` then :func:`remerge`."""
    check_z(z)
    return remerge(find_peaks(knn, density, progress=progress), z=z, halo=halo)
