import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.neighbors import NearestNeighbors

from compute.graph.knn import KnnGraph, deduplicate, estimation_graph, knn_graph, knn_recall
from tests.compute.dadapy_oracle import CASES, load_case


def _blobs(n=600, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, (4, dim))
    return centres[rng.integers(0, 4, n)] + rng.normal(size=(n, dim))


def _assert_well_formed(graph: KnnGraph, n: int, maxk: int) -> None:
    assert graph.distances.shape == graph.indices.shape == (n, maxk + 1)
    assert graph.distances.dtype == np.float64 and graph.indices.dtype == np.int64
    assert np.array_equal(graph.indices[:, 0], np.arange(n))
    assert np.all(graph.distances[:, 0] == 0.0)
    assert np.all(np.diff(graph.distances, axis=1) >= 0.0)
    assert np.all((graph.indices >= 0) & (graph.indices < n))


def test_exact_graph_matches_scikit_learn():
    x = _blobs()
    graph = knn_graph(x, maxk=30)
    dist, ind = NearestNeighbors(n_neighbors=31).fit(x).kneighbors(x)
    _assert_well_formed(graph, len(x), 30)
    np.testing.assert_allclose(graph.distances, dist, rtol=1e-12, atol=1e-12)
    assert np.mean(graph.indices == ind) > 0.999  # only exact ties may be ordered differently


@pytest.mark.parametrize("name", CASES)
def test_exact_graph_matches_dadapy_arrays(name):
    case = load_case(name)
    graph = knn_graph(case["X"], maxk=int(case["maxk"]))
    np.testing.assert_allclose(graph.distances, case["distances"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(graph.indices, case["dist_indices"])


def test_default_maxk_is_min_100_and_n_minus_1():
    assert knn_graph(_blobs(n=40)).maxk == 39
    assert knn_graph(_blobs(n=300)).maxk == 100


def test_distances_are_float64_accurate_even_far_from_origin():
    x = _blobs(n=300) + 1e4  # float32 search alone would lose ~3 digits here
    graph = knn_graph(x, maxk=10)
    direct = np.linalg.norm(x[graph.indices] - x[:, None, :], axis=2)
    np.testing.assert_allclose(graph.distances, direct, rtol=1e-9)
    dist, _ = NearestNeighbors(n_neighbors=11).fit(x).kneighbors(x)
    np.testing.assert_allclose(graph.distances, dist, rtol=1e-6)


def test_duplicates_are_collapsed_and_reported():
    x = _blobs(n=200)
    noisy = np.vstack([x, x[:5], x[:5], x[7:8]])  # 11 copies of 6 distinct rows
    dedup = deduplicate(noisy)
    assert dedup.n_duplicates == 11 and dedup.n_distinct == 200
    assert np.array_equal(noisy[dedup.representatives], x)
    assert np.array_equal(dedup.multiplicity[:5], [3] * 5) and dedup.multiplicity[7] == 2
    graph = knn_graph(noisy, maxk=12)
    _assert_well_formed(graph, len(noisy), 12)
    assert graph.has_duplicates and graph.distinct.n_points == 200
    assert np.all(graph.distinct.distances[:, 1:] > 0)
    np.testing.assert_allclose(graph.distinct.distances, knn_graph(x, maxk=12).distances)
    # the expanded graph is a valid exact kNN graph of the data with copies
    dist, _ = NearestNeighbors(n_neighbors=13).fit(noisy).kneighbors(noisy)
    np.testing.assert_allclose(graph.distances, dist, atol=1e-12)
    assert set(graph.indices[0, :3]) == {0, 200, 205}  # point 0 and its two copies
    estimation, inverse = estimation_graph(graph)
    assert estimation is graph.distinct and np.array_equal(inverse, dedup.inverse)


def test_more_copies_than_neighbours():
    x = np.vstack([np.zeros((30, 3)), _blobs(n=50, dim=3)])
    graph = knn_graph(x, maxk=5)
    _assert_well_formed(graph, 80, 5)
    assert np.all(graph.distances[:30, 1:] == 0.0)


def test_hand_built_graph_with_zero_distances_is_rejected():
    x = np.vstack([_blobs(n=50), _blobs(n=50)[:1]])
    dist, ind = NearestNeighbors(n_neighbors=6).fit(x).kneighbors(x)
    with pytest.raises(ValueError, match="distance 0.*knn_graph"):
        estimation_graph(KnnGraph(dist, ind))


def test_n_not_above_maxk_says_reduce_maxk():
    with pytest.raises(ValueError, match="reduce maxk to at most 9"):
        knn_graph(_blobs(n=10), maxk=10)


def test_too_few_distinct_points_for_maxk():
    x = np.repeat(_blobs(n=5), 4, axis=0)
    with pytest.raises(ValueError, match="distinct points"):
        knn_graph(x, maxk=8)


def test_nan_rows_are_named():
    x = _blobs(n=50)
    x[[3, 17], 1] = np.nan
    x[20, 0] = np.inf
    with pytest.raises(ValueError, match=r"3 row\(s\) \(3, 17, 20\)"):
        knn_graph(x, maxk=5)


def test_one_dimensional_input_explains_reshape():
    with pytest.raises(ValueError, match="reshape"):
        knn_graph(np.arange(10.0))


def test_constant_data_is_rejected():
    with pytest.raises(ValueError, match="identical"):
        knn_graph(np.ones((20, 4)), maxk=5)


def test_single_point_and_bad_method():
    with pytest.raises(ValueError, match="at least 2"):
        knn_graph(np.ones((1, 4)))
    with pytest.raises(ValueError, match="method"):
        knn_graph(_blobs(n=20), method="annoy")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32])
def test_dtypes_are_converted(dtype):
    x = np.round(_blobs(n=120) * 10).astype(dtype)
    graph = knn_graph(x, maxk=8)
    exact = x.astype(np.float64)
    direct = np.linalg.norm(exact[graph.indices] - exact[:, None, :], axis=2)
    np.testing.assert_allclose(graph.distances, direct, rtol=1e-12)


def test_non_contiguous_input_gives_the_same_graph():
    x = _blobs(n=200, dim=12)
    strided = x[:, ::2]
    fortran = np.asfortranarray(strided)
    reference = knn_graph(np.ascontiguousarray(strided), maxk=10)
    for variant in (strided, fortran):
        graph = knn_graph(variant, maxk=10)
        np.testing.assert_array_equal(graph.indices, reference.indices)
        np.testing.assert_array_equal(graph.distances, reference.distances)


@pytest.mark.parametrize("method", ["ivf", "hnsw"])
def test_approximate_methods_have_high_recall(method):
    x = _blobs(n=3000, dim=8)
    graph = knn_graph(x, maxk=20, method=method)
    _assert_well_formed(graph, 3000, 20)
    assert graph.method == method
    assert knn_recall(x, graph, n_queries=300) > 0.95
    assert knn_recall(x, knn_graph(x, maxk=20), n_queries=300) == 1.0


def test_recall_detects_a_wrong_graph():
    x = _blobs(n=300)
    graph = knn_graph(x, maxk=10)
    shuffled = np.random.default_rng(0).permutation(300)
    wrong = KnnGraph(graph.distances[shuffled], graph.indices[shuffled])
    assert knn_recall(x, wrong, n_queries=100) < 0.5


def test_progress_reaches_the_total_per_batch():
    calls = []
    knn_graph(_blobs(n=500), maxk=5, batch_size=128, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 500) and calls[-1] == (500, 500) and len(calls) == 5


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(6, 40), st.integers(1, 4)),
              elements=st.integers(-3, 3).map(float)))
def test_graph_properties_on_grids_with_duplicates(x):
    """Small-integer grids: many exact duplicates and distance ties."""
    n_distinct = deduplicate(x).n_distinct
    if n_distinct < 2:
        with pytest.raises(ValueError):
            knn_graph(x)
        return
    maxk = min(4, n_distinct - 1)
    graph = knn_graph(x, maxk=maxk)
    _assert_well_formed(graph, len(x), maxk)
    direct = np.linalg.norm(x[graph.indices] - x[:, None, :], axis=2)
    np.testing.assert_allclose(graph.distances, direct, atol=1e-12)
    brute = np.sort(np.linalg.norm(x[:, None] - x[None], axis=2), axis=1)[:, : maxk + 1]
    np.testing.assert_allclose(graph.distances, brute, atol=1e-12)
    if graph.has_duplicates:
        assert np.all(graph.distinct.distances[:, 1:] > 0)


def test_sorted_rows_sorts_each_row_and_puts_self_first():
    from compute.graph.knn_kernels import sorted_rows

    # rows 0 and 1 differ by 1e-200: their float64 distance underflows to exactly 0
    points = np.array([[0.0, 0.0], [1e-200, 0.0], [3.0, 0.0], [1.0, 0.0]])
    listed = np.array([[1, 0, 2, 3], [0, 1, 3, 2], [3, 2, 0, 1], [2, 0, 3, 1]])
    distances, indices = sorted_rows(points, listed)
    assert indices[:, 0].tolist() == [0, 1, 2, 3]
    assert indices[0].tolist() == [0, 1, 3, 2] and indices[1].tolist() == [1, 0, 3, 2]
    assert indices[2].tolist() == [2, 3, 0, 1]
    assert np.all(np.diff(distances[:, 1:], axis=1) >= 0)
    np.testing.assert_allclose(distances[3], [0.0, 1.0, 1.0, 2.0])
    assert indices[3].tolist() == [3, 0, 1, 2]  # tie at 1.0: listed order kept (0 before 1)


def test_smallest_columns_match_a_stable_argsort():
    from compute.graph.knn_kernels import smallest_columns

    rng = np.random.default_rng(0)
    scores = rng.integers(0, 40, size=(200, 90)).astype(np.float32)  # many ties
    expected = np.argsort(scores, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(smallest_columns(scores, 7), expected)


def _grouped(points: np.ndarray, n_lists: int, seed: int = 0):
    """Rows grouped into ``n_lists`` random lists, as compute.graph.knn's IVF search
    stores them: (grouped points, norms, bounds, order)."""
    lists = np.random.default_rng(seed).integers(0, n_lists, len(points))
    order = np.argsort(lists, kind="stable")
    grouped = np.ascontiguousarray(points[order], dtype=np.float32)
    bounds = np.searchsorted(lists[order], np.arange(n_lists + 1)).astype(np.int64)
    return grouped, np.einsum("ij,ij->i", grouped, grouped), bounds


def test_ivf_rows_probing_every_list_is_the_exact_search():
    from compute.graph.knn_kernels import ivf_rows

    points, norms, bounds = _grouped(np.random.default_rng(1).normal(size=(600, 5)), 7)
    probes = np.tile(np.arange(7), (600, 1))
    found = ivf_rows(points, norms, bounds, probes, 0, 600, 40)
    d2 = ((points[:, None, :] - points[None]) ** 2).sum(axis=2)
    expected = np.argsort(d2, axis=1, kind="stable")[:, :40]
    assert (found[:, 0] == np.arange(600)).all()
    np.testing.assert_array_equal(found, expected)  # the nearest, nearest first


def test_ivf_rows_searches_only_the_probed_lists_and_marks_what_they_lack():
    from compute.graph.knn_kernels import ivf_rows

    points, norms, bounds = _grouped(np.random.default_rng(2).normal(size=(300, 4)), 10)
    probes = np.array([[row_list, (row_list + 3) % 10] for row_list in
                       np.searchsorted(bounds, np.arange(300), side="right") - 1])
    found = ivf_rows(points, norms, bounds, probes, 0, 300, 80)  # two lists: ~60 rows
    for row in range(300):
        allowed = np.concatenate([np.arange(bounds[lst], bounds[lst + 1])
                                  for lst in probes[row]])
        listed = found[row][found[row] >= 0]
        assert listed.size == min(80, allowed.size)
        assert set(listed) <= set(allowed) and (found[row][listed.size:] == -1).all()
        d2 = ((points[allowed] - points[row]) ** 2).sum(axis=1)
        np.testing.assert_array_equal(np.sort(listed), np.sort(allowed[np.argsort(d2)][
            :listed.size]))


def test_ivf_rows_when_the_sampled_threshold_is_too_low():
    """Every 7th candidate sits near the query and the rest far away: the strided
    sample then sees only near ones, its threshold passes too few, and the row is selected
    again among all its candidates."""
    from compute.graph.knn_kernels import ivf_rows

    rng = np.random.default_rng(3)
    far = rng.normal(10.0, 1.0, size=(1001, 3))
    far[::7] = rng.normal(0.0, 0.01, size=(len(far[::7]), 3))  # what the sample sees
    points = far.astype(np.float32)
    bounds = np.array([0, len(points)], dtype=np.int64)
    norms = np.einsum("ij,ij->i", points, points)
    found = ivf_rows(points, norms, bounds, np.zeros((len(points), 1), np.int64), 0, 1, 200)
    d2 = ((points - points[0]) ** 2).sum(axis=1)
    np.testing.assert_array_equal(found[0], np.argsort(d2, kind="stable")[:200])


def test_ivf_search_gives_the_same_graph_with_one_thread_or_several():
    from compute.graph.knn_kernels import _ivf_rows

    points, norms, bounds = _grouped(np.random.default_rng(4).normal(size=(2000, 6)), 20)
    probes = np.random.default_rng(5).integers(0, 20, size=(2000, 4))
    parallel = _ivf_rows.parallel(points, norms, bounds, probes, 0, 2000, 30)
    serial = _ivf_rows.serial(points, norms, bounds, probes, 0, 2000, 30)
    np.testing.assert_array_equal(parallel, serial)


def test_ivf_search_finds_what_faiss_ivf_finds_with_the_same_lists():
    """faiss's IndexIVFFlat over the same k-means centroids, probing as many lists, is the
    oracle: both return the nearest rows among the probed lists' rows."""
    import faiss

    from compute.graph.knn import IVF_PROBES, _inverted_lists, _search

    x = _blobs(n=4000, dim=10, seed=7).astype(np.float32)
    query = x - x.mean(axis=0)
    ours = _search(query, 30, "ivf", batch_size=1000, progress=None, random_state=0)
    n_lists = len(_inverted_lists(query, random_state=0).bounds) - 1
    index = faiss.IndexIVFFlat(faiss.IndexFlatL2(10), 10, n_lists)  # trained alike:
    index.cp.seed, index.cp.niter = 0, 10
    sample = np.random.default_rng(0).choice(4000, size=min(4000, 40 * index.nlist),
                                             replace=False)
    index.train(query[np.sort(sample)])
    index.add(query)
    index.nprobe = IVF_PROBES
    _, theirs = index.search(query, 31)
    same = np.mean([set(a) == set(b) for a, b in zip(ours, theirs, strict=True)])
    assert same > 0.995  # rows differing only by float32 ties at the last neighbour
