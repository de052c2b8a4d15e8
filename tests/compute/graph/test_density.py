import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

from compute.graph.density import knn_density, kstar_selection, log_unit_ball_volume, pak_density
from compute.graph.knn import knn_graph
from tests.compute.dadapy_oracle import CASES, load_case, reference_graph


def _uniform_square(n=3000, seed=0):
    return np.random.default_rng(seed).uniform(size=(n, 2))


def _log_likelihood(shell_volumes, free, slope):
    rank = np.arange(1, shell_volumes.size + 1)
    return np.sum(free + slope * rank - shell_volumes * np.exp(free + slope * rank))


def _shells(distances_row, k, d):
    r = distances_row[: k + 1]
    return np.exp(log_unit_ball_volume(d)) * (r[1:] ** d - r[:-1] ** d)


def _profile_maximum(shell_volumes, free):
    """max over the slope a of the PAk likelihood at a fixed F (independent of the kernel)."""
    result = minimize_scalar(lambda a: -_log_likelihood(shell_volumes, free, a),
                             bounds=(-10, 10), method="bounded", options={"xatol": 1e-12})
    return -result.fun


def test_unit_ball_volume():
    assert np.exp(log_unit_ball_volume(2.0)) == pytest.approx(np.pi)
    assert np.exp(log_unit_ball_volume(3.0)) == pytest.approx(4 / 3 * np.pi)
    assert log_unit_ball_volume(2.5) == pytest.approx(1.25 * np.log(np.pi) - gammaln(2.25))


@pytest.mark.parametrize("name", CASES)
def test_knn_density_matches_dadapy(name):
    case = load_case(name)
    density = knn_density(reference_graph(case), intrinsic_dim=float(case["id_2nn"]),
                          k=int(case["knn_k"]))
    np.testing.assert_allclose(density.log_density, case["knn_log_den"], atol=1e-10)
    np.testing.assert_allclose(density.error, case["knn_log_den_err"], atol=1e-12)
    assert density.method == "knn" and np.all(density.kstar == int(case["knn_k"]))


@pytest.mark.parametrize("name", CASES)
def test_kstar_matches_dadapy_exactly(name):
    case = load_case(name)
    kstar = kstar_selection(reference_graph(case), intrinsic_dim=float(case["id_2nn"]))
    np.testing.assert_array_equal(kstar, case["kstar"])


@pytest.mark.parametrize("name", CASES)
def test_pak_matches_dadapy_or_is_more_converged(name):
    """Points agree to 1e-4, except where DADApy's damped Newton stopped early: there our
    solution must have the higher likelihood (DADApy's F is not the maximum)."""
    case = load_case(name)
    graph = reference_graph(case)
    d = float(case["id_2nn"])
    density = pak_density(graph, intrinsic_dim=d)
    np.testing.assert_array_equal(density.kstar, case["kstar"])
    np.testing.assert_allclose(density.error, case["pak_log_den_err"], rtol=1e-12)
    gap = np.abs(density.log_density - case["pak_log_den"])
    n = graph.n_points
    assert np.median(gap) < 1e-4
    for i in np.flatnonzero(gap >= 1e-4):
        shells = _shells(graph.distances[i], density.kstar[i], d)
        ours = _profile_maximum(shells, density.log_density[i] + np.log(n))
        reference = _profile_maximum(shells, case["pak_log_den"][i] + np.log(n))
        assert ours > reference, f"point {i}: DADApy's solution is better than ours"


def test_pak_solution_is_a_stationary_point():
    x = np.random.default_rng(3).normal(size=(800, 3))
    graph = knn_graph(x, maxk=30)
    density = pak_density(graph, intrinsic_dim=3.0)
    for i in range(0, 800, 37):
        k = density.kstar[i]
        shells = _shells(graph.distances[i], k, 3.0)
        free = density.log_density[i] + np.log(800)
        # at the optimum, e^F sum_l v_l e^{a l} = k fixes a; recover a and check dL/da = 0
        rank = np.arange(1, k + 1)

        def residual(a, s=shells, f=free, r=rank):
            return (np.log(r.size) - f - np.log(np.sum(s * np.exp(a * r)))) ** 2

        a = minimize_scalar(residual, bounds=(-5, 5), method="bounded",
                            options={"xatol": 1e-13}).x
        weights = shells * np.exp(free + a * rank)
        assert abs(k - weights.sum()) < 1e-6 * k
        assert abs(k * (k + 1) / 2 - np.sum(rank * weights)) < 1e-4 * k * k


@pytest.mark.parametrize("estimator", ["knn", "pak"])
def test_uniform_density_is_recovered(estimator):
    """Uniform points in the unit square: density 1, log-density 0 away from the edges."""
    x = _uniform_square()
    graph = knn_graph(x, maxk=60)
    if estimator == "knn":
        density = knn_density(graph, intrinsic_dim=2.0, k=30)
    else:
        density = pak_density(graph, intrinsic_dim=2.0)
    interior = np.all((x > 0.2) & (x < 0.8), axis=1)
    assert abs(np.mean(density.log_density[interior])) < 0.1
    assert np.std(density.log_density[interior]) < 0.5


def test_pak_prefers_large_kstar_on_uniform_data():
    x = _uniform_square(2000)
    kstar = kstar_selection(knn_graph(x, maxk=50), intrinsic_dim=2.0)
    assert kstar.min() >= 3 and kstar.max() <= 49
    assert np.median(kstar) == 49  # no density change detected: k* = maxk - 1


def test_kstar_rule_on_a_hand_built_graph():
    """Point 0's 6th neighbour sits in a 1000x sparser region: D_k jumps at k = 5."""
    from compute.graph.knn import KnnGraph

    n, maxk = 12, 10
    distances = np.tile(np.arange(maxk + 1, dtype=float), (n, 1))
    indices = (np.arange(n)[:, None] + np.arange(maxk + 1)) % n
    distances[indices[0, 6], 5] = 1000.0  # j = (k+1)-th neighbour of 0 at k = 5
    distances[indices[0, 6], 6:] = 1000.0 + np.arange(1, maxk - 4)
    kstar = kstar_selection(KnnGraph(distances, indices), intrinsic_dim=1.0)
    assert kstar[0] == 5
    assert kstar[1] == maxk - 1


def test_duplicates_give_finite_shared_densities():
    x = np.random.default_rng(0).normal(size=(300, 3))
    x = np.vstack([x, x[:40], x[:40]])
    graph = knn_graph(x, maxk=20)
    for density in (pak_density(graph, intrinsic_dim=3.0),
                    knn_density(graph, intrinsic_dim=3.0, k=10)):
        assert density.log_density.shape == (380,)
        assert np.all(np.isfinite(density.log_density)) and np.all(np.isfinite(density.error))
        np.testing.assert_array_equal(density.log_density[300:340], density.log_density[:40])
        np.testing.assert_array_equal(density.log_density[340:], density.log_density[:40])
    assert np.array_equal(kstar_selection(graph, intrinsic_dim=3.0)[300:340],
                          pak_density(graph, intrinsic_dim=3.0).kstar[:40])


def test_precomputed_kstar_is_used():
    graph = knn_graph(np.random.default_rng(1).normal(size=(200, 2)), maxk=20)
    forced = pak_density(graph, intrinsic_dim=2.0, kstar=np.full(200, 7))
    assert np.all(forced.kstar == 7)
    assert forced.error[0] == pytest.approx(np.sqrt(30 / 42))
    with pytest.raises(ValueError, match="kstar values"):
        pak_density(graph, intrinsic_dim=2.0, kstar=np.full(200, 25))
    with pytest.raises(ValueError, match="shape"):
        pak_density(graph, intrinsic_dim=2.0, kstar=np.full(10, 7))


def test_progress_is_reported():
    graph = knn_graph(np.random.default_rng(1).normal(size=(100, 2)), maxk=10)
    calls = []
    pak_density(graph, intrinsic_dim=2.0, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 100) and calls[-1] == (100, 100)


def test_bad_arguments_explain_themselves():
    graph = knn_graph(np.random.default_rng(1).normal(size=(50, 2)), maxk=3)
    with pytest.raises(ValueError, match="intrinsic_dim"):
        knn_density(graph, intrinsic_dim=0.0, k=2)
    with pytest.raises(ValueError, match="between 1 and"):
        knn_density(graph, intrinsic_dim=2.0, k=4)
    with pytest.raises(ValueError, match="maxk >= 4"):
        pak_density(graph, intrinsic_dim=2.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(20, 150), st.integers(1, 5), st.integers(0, 10_000), st.booleans())
def test_densities_are_finite(n, dim, seed, with_copies):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)) * rng.uniform(0.01, 100)
    if with_copies:
        x = np.vstack([x, x[: n // 3]])
    graph = knn_graph(x, maxk=min(15, n - 1))
    d = float(rng.uniform(0.5, 6.0))
    for density in (pak_density(graph, intrinsic_dim=d),
                    knn_density(graph, intrinsic_dim=d, k=5)):
        assert np.all(np.isfinite(density.log_density))
        assert np.all(np.isfinite(density.error)) and np.all(density.error > 0)
