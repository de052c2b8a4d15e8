import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compute.graph.intrinsic_dim import (
    id_scale_analysis,
    pca_spectrum,
    two_nn_dimension,
    two_nn_fit,
)
from compute.graph.knn import KnnGraph, knn_graph
from tests.compute.dadapy_oracle import CASES, load_case, reference_graph


def _embedded_cube(n, d, dim, seed=0):
    """Uniform points in a d-cube, rotated into `dim` dimensions."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, d)))
    return rng.uniform(size=(n, d)) @ rotation.T


@pytest.mark.parametrize("name", CASES)
def test_two_nn_matches_dadapy_on_its_arrays(name):
    case = load_case(name)
    result = two_nn_dimension(reference_graph(case))
    assert result.dimension == pytest.approx(float(case["id_2nn"]), abs=1e-6)
    assert result.scale == pytest.approx(float(case["id_2nn_scale"]), rel=1e-12)


def test_two_nn_fit_is_least_squares_through_origin():
    rng = np.random.default_rng(1)
    mu = 1.0 + rng.exponential(size=50)
    d, x, y = two_nn_fit(mu[None, :], discard_fraction=0.1)
    kept = np.sort(mu)[:45]
    assert np.allclose(x[0], np.log(kept))
    assert np.allclose(y, -np.log(1 - np.arange(1, 46) / 50))
    slope, *_ = np.linalg.lstsq(np.log(kept)[:, None], y, rcond=None)
    assert d[0] == pytest.approx(slope[0], rel=1e-12)


@pytest.mark.parametrize("d", [2, 5])
def test_two_nn_recovers_the_dimension_of_a_flat_cube(d):
    x = _embedded_cube(4000, d, 10)
    result = two_nn_dimension(knn_graph(x, maxk=5))
    assert result.dimension == pytest.approx(d, rel=0.1)
    assert result.log_mu.shape == result.y.shape == (3600,)
    assert result.n_points == 4000


def test_two_nn_needs_two_neighbours():
    x = _embedded_cube(50, 2, 3)
    with pytest.raises(ValueError, match="maxk"):
        two_nn_dimension(knn_graph(x, maxk=1))


def test_two_nn_on_a_regular_grid_is_an_explained_error():
    grid = np.stack(np.meshgrid(np.arange(5.0), np.arange(5.0)), -1).reshape(-1, 2)
    line = np.column_stack([np.arange(30.0), np.zeros(30)])
    for points in (grid, line):
        with pytest.raises(ValueError, match="equal distances"):
            two_nn_dimension(knn_graph(points, maxk=3))


def test_two_nn_uses_distinct_points_with_duplicates():
    x = _embedded_cube(500, 3, 5)
    with_copies = np.vstack([x, x[:100]])
    result = two_nn_dimension(knn_graph(with_copies, maxk=5))
    assert result.dimension == two_nn_dimension(knn_graph(x, maxk=5)).dimension


def test_scale_analysis_levels():
    x = _embedded_cube(1000, 3, 6)
    result = id_scale_analysis(x, min_size=20)
    assert list(result.sizes) == [1000, 500, 250, 125, 62, 31]
    assert list(result.n_subsets) == [1, 2, 4, 8, 16, 32]
    assert result.dimension_std[0] == 0.0 and np.all(result.dimension_std[1:] > 0)
    assert np.all(np.diff(result.scale) > 0)  # sparser subsets: larger neighbour distances
    assert np.all(np.abs(result.dimension_mean[:3] - 3) < 0.5)


def test_scale_analysis_with_graph_equals_brute_force():
    """The graph shortcut (big subsets) must give exactly the subsets' own 2-NN."""
    x = _embedded_cube(4500, 4, 8, seed=3)
    graph = knn_graph(x, maxk=30)
    with_graph = id_scale_analysis(x, knn=graph, random_state=7)
    without = id_scale_analysis(x, random_state=7)
    np.testing.assert_allclose(with_graph.dimension_mean, without.dimension_mean, rtol=1e-10)
    np.testing.assert_allclose(with_graph.scale, without.scale, rtol=1e-10)
    assert with_graph.dimension_mean[0] == pytest.approx(two_nn_dimension(graph).dimension)


def test_scale_analysis_subsets_match_a_direct_computation():
    x = _embedded_cube(300, 2, 4, seed=5)
    result = id_scale_analysis(x, min_size=70, random_state=11)
    rng = np.random.default_rng(11)
    expected = []
    for size, n_subsets in zip(result.sizes, result.n_subsets, strict=True):
        subsets = rng.permutation(300)[: size * n_subsets].reshape(n_subsets, size)
        dims = []
        for members in subsets:
            pair = np.linalg.norm(x[members][:, None] - x[members][None], axis=2)
            pair[np.arange(size), np.arange(size)] = np.inf
            two = np.sort(pair, axis=1)[:, :2]
            dims.append(two_nn_fit((two[:, 1] / two[:, 0])[None])[0][0])
        expected.append(np.mean(dims))
    np.testing.assert_allclose(result.dimension_mean, expected, rtol=1e-10)


def test_scale_analysis_rejects_mismatched_graph_and_tiny_data():
    x = _embedded_cube(100, 2, 3)
    with pytest.raises(ValueError, match="rows"):
        id_scale_analysis(x, knn=knn_graph(x[:50], maxk=5))
    with pytest.raises(ValueError, match="at least"):
        id_scale_analysis(x[:10])


def test_pca_spectrum_matches_svd_and_flat_data_has_a_gap():
    x = _embedded_cube(400, 3, 8) + 1e-3 * np.random.default_rng(0).normal(size=(400, 8))
    spectrum = pca_spectrum(x)
    singular = np.linalg.svd(x - x.mean(axis=0), compute_uv=False) ** 2
    np.testing.assert_allclose(spectrum.explained_variance_ratio, singular / singular.sum(),
                               atol=1e-12)
    assert spectrum.cumulative[-1] == pytest.approx(1.0)
    assert spectrum.cumulative[2] > 0.999  # three components hold a flat 3-D set
    with pytest.raises(ValueError, match="constant"):
        pca_spectrum(np.ones((10, 3)))


def test_pca_spectrum_subsamples_large_inputs():
    x = _embedded_cube(3000, 2, 5)
    spectrum = pca_spectrum(x, max_points=500)
    assert spectrum.n_points == 500 and spectrum.explained_variance_ratio.shape == (5,)


@settings(max_examples=25, deadline=None)
@given(st.integers(30, 200), st.integers(1, 6), st.integers(0, 10_000))
def test_two_nn_is_finite_and_positive_for_continuous_data(n, dim, seed):
    x = np.random.default_rng(seed).normal(size=(n, dim))
    result = two_nn_dimension(knn_graph(x, maxk=3))
    assert np.isfinite(result.dimension) and result.dimension > 0
    assert np.all(np.diff(result.log_mu) >= 0) and np.all(result.log_mu >= 0)


def test_hand_built_graph_columns_are_used_directly():
    r1 = np.arange(1.0, 11.0)
    r2 = r1 * np.array([1.5, 2, 1.1, 3, 1.2, 1.7, 2.5, 1.05, 4, 1.3])
    distances = np.column_stack([np.zeros(10), r1, r2])
    indices = np.column_stack([np.arange(10), (np.arange(10) + 1) % 10, (np.arange(10) + 2) % 10])
    result = two_nn_dimension(KnnGraph(distances, indices))
    x = np.log(np.sort(r2 / r1)[:9])
    y = -np.log(1 - np.arange(1, 10) / 10)
    assert result.dimension == pytest.approx(np.sum(x * y) / np.sum(x * x), rel=1e-12)
    with pytest.raises(ValueError, match="discard_fraction"):
        two_nn_dimension(KnnGraph(distances, indices), discard_fraction=0.0)
