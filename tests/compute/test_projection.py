import numpy as np
import pytest

from compute.graph.knn import KnnGraph, knn_graph
from compute.projection import ProjectionParams, project, validate_params


def two_blobs(n: int = 60, d: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], n // 2)
    x = rng.normal(size=(n, d)) + labels[:, None] * 8.0
    return x.astype(np.float32), labels


def separated(coords: np.ndarray, labels: np.ndarray) -> bool:
    """A 1-NN classifier in the projection gets every point right."""
    d = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return bool((labels[d.argmin(axis=1)] == labels).all())


@pytest.mark.parametrize("dims", [2, 3])
def test_pca_shapes_and_separation(dims):
    x, labels = two_blobs()
    p = project(x, method="pca", n_components=dims)
    assert p.coords.shape == (60, dims) and p.coords.dtype == np.float32
    assert separated(p.coords, labels)
    assert p.explained is not None and p.explained[0] > p.explained[-1]


@pytest.mark.slow
def test_tsne_separates_and_is_reproducible():
    x, labels = two_blobs()
    params = ProjectionParams(method="tsne", perplexity=10, random_state=3)
    a, b = project(x, params=params), project(x, params=params)
    assert separated(a.coords, labels)
    np.testing.assert_allclose(a.coords, b.coords)


@pytest.mark.slow
def test_umap_reuses_the_knn_graph():
    x, labels = two_blobs()
    knn = knn_graph(x, maxk=20)
    params = ProjectionParams(method="umap", n_neighbors=10, n_components=3)
    p = project(x, params=params, knn=knn)
    assert p.coords.shape == (60, 3) and separated(p.coords, labels)
    bad = KnnGraph(distances=knn.distances[:10], indices=knn.indices[:10])
    with pytest.raises(ValueError, match="rebuild the graph"):
        project(x, params=params, knn=bad)


@pytest.mark.parametrize(("params", "match"), [
    (ProjectionParams(method="mds"), "unknown projection"),
    (ProjectionParams(n_components=4), "2 or 3"),
    (ProjectionParams(method="tsne", perplexity=60), "set perplexity to 19"),
    (ProjectionParams(method="umap", n_neighbors=1), "n_neighbors"),
    (ProjectionParams(method="umap", min_dist=2), "min_dist"),
])
def test_invalid_parameters_say_what_to_change(params, match):
    with pytest.raises(ValueError, match=match):
        validate_params(params, 60)


def test_relevant_parameters_ignore_other_methods():
    assert ProjectionParams(perplexity=5).relevant() == ProjectionParams().relevant()
    assert ProjectionParams(method="tsne", perplexity=5).relevant() != \
        ProjectionParams(method="tsne").relevant()


def test_project_rejects_a_single_point():
    with pytest.raises(ValueError, match="N >= 2"):
        project(np.zeros((1, 3)))
