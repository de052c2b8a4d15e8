"""Load the DADApy oracle fixtures (tests/compute/fixtures/dadapy, see its README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compute.graph.knn import KnnGraph

FIXTURES = Path(__file__).parent / "fixtures" / "dadapy"
CASES = ("two_gaussians", "gaussian_mixture", "anisotropic", "uneven_density", "adp_fallback")


def load_case(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{name}.npz") as data:
        return {key: data[key] for key in data.files}


def reference_graph(case: dict[str, np.ndarray]) -> KnnGraph:
    """DADApy's own neighbour arrays as a KnnGraph (to compare like with like)."""
    return KnnGraph(distances=case["distances"].astype(np.float64),
                    indices=case["dist_indices"].astype(np.int64), method="dadapy")
