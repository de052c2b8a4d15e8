"""Property-based tests: pathological arrays into the density-peak chain.

kNN graph -> 2-NN dimension / scale analysis / PCA spectrum -> kNN and PAk densities ->
ADP (find peaks, remerge) -> topography -> hierarchy products. Inputs: NaN, inf, exact and
near duplicates, N <= maxk, D = 0 or 1, constant rows, huge and tiny magnitudes, float16 /
int / bool, non-contiguous, empty, 1-D and 3-D arrays, odd options (Z < 1, NaN, d <= 0).
See tests/compute/pathological.py for the property.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from compute.graph.density import knn_density, kstar_selection, pak_density
from compute.graph.intrinsic_dim import id_scale_analysis, pca_spectrum, two_nn_dimension
from compute.graph.knn import knn_graph
from compute.params import AnalysisParams
from compute.peaks import adp, find_peaks, remerge
from compute.peaks.hierarchy import decision_graph, dendrogram, mds_map, peak_distances
from compute.peaks.topography import analyse
from tests.compute.pathological import (
    FAST,
    ODD_FLOATS,
    assert_labels,
    attempt,
    mostly,
    points,
)

MAXK = mostly(st.one_of(st.none(), st.integers(1, 5)), st.integers(-1, 30))
SMALL_MAXK = mostly(st.integers(2, 6), st.integers(-1, 30))
Z = mostly(st.sampled_from([1.0, 1.65, 3.0]), ODD_FLOATS)
DIMENSION = mostly(st.sampled_from(["2nn", 1.0, 2.5]), ODD_FLOATS)


def _check_graph(graph, n: int) -> None:
    k = graph.maxk
    assert graph.distances.shape == graph.indices.shape == (n, k + 1)
    assert np.isfinite(graph.distances).all() and (graph.distances >= 0).all()
    assert ((graph.indices >= 0) & (graph.indices < n)).all()
    assert (graph.indices[:, 0] == np.arange(n)).all()
    assert (np.diff(graph.distances, axis=1) >= 0).all()


def _check_density(density, n: int) -> None:
    assert density.log_density.shape == density.error.shape == density.kstar.shape == (n,)
    assert np.isfinite(density.log_density).all(), density.log_density
    assert np.isfinite(density.error).all() and (density.error >= 0).all()


def _check_clustering(clustering, n: int) -> None:
    assert_labels(clustering.labels, n, clustering.n_clusters)
    assert clustering.populations.sum() == n and (clustering.populations > 0).all()
    assert (clustering.labels[clustering.centers] == np.arange(clustering.n_clusters)).all()
    assert clustering.is_halo.shape == (n,)


@FAST
@given(x=points(), maxk=MAXK)
def test_knn_graph(x, maxk) -> None:
    graph = attempt(knn_graph, x, maxk=maxk)
    if graph is not None:
        _check_graph(graph, len(x))
        if graph.distinct is not None:
            _check_graph(graph.distinct, graph.deduplication.n_distinct)


@FAST
@given(x=points(min_rows=2), maxk=SMALL_MAXK)
def test_two_nn_dimension(x, maxk) -> None:
    graph = attempt(knn_graph, x, maxk=maxk)
    if graph is not None:
        ident = attempt(two_nn_dimension, graph)
        if ident is not None:
            assert np.isfinite(ident.dimension) and ident.dimension > 0


@FAST
@given(x=points(max_rows=60), min_size=mostly(st.integers(2, 8), st.integers(-1, 30)),
       with_graph=st.booleans())
def test_id_scale_analysis(x, min_size, with_graph) -> None:
    graph = attempt(knn_graph, x, maxk=min(5, len(x) - 1)) if with_graph else None
    scale = attempt(id_scale_analysis, x, knn=graph, min_size=min_size)
    if scale is not None:
        dims = scale.dimension_mean
        assert np.isfinite(dims).all() and (dims > 0).all(), dims
        assert np.isfinite(scale.dimension_std).all() and np.isfinite(scale.scale).all()
        assert len(dims) == len(scale.sizes) >= 1


@FAST
@given(x=points(), max_points=mostly(st.just(20000), st.integers(-1, 30)))
def test_pca_spectrum(x, max_points) -> None:
    spectrum = attempt(pca_spectrum, x, max_points=max_points)
    if spectrum is not None:
        ratio = spectrum.explained_variance_ratio
        assert np.isfinite(ratio).all() and (ratio >= 0).all()
        assert np.isclose(ratio.sum(), 1.0)


@FAST
@given(x=points(min_rows=2, non_finite=False), maxk=SMALL_MAXK, d=DIMENSION,
       k=mostly(st.integers(1, 3), st.integers(-1, 14)))
def test_knn_density(x, maxk, d, k) -> None:
    graph = attempt(knn_graph, x, maxk=maxk)
    if graph is None:
        return
    d = _dimension(graph, d)
    density = None if d is None else attempt(knn_density, graph, intrinsic_dim=d, k=k)
    if density is not None:
        _check_density(density, len(x))
        assert (density.kstar == k).all()


@FAST
@given(x=points(min_rows=2, non_finite=False), maxk=mostly(st.integers(4, 8), SMALL_MAXK),
       d=DIMENSION)
def test_kstar_and_pak_density(x, maxk, d) -> None:
    graph = attempt(knn_graph, x, maxk=maxk)
    d = None if graph is None else _dimension(graph, d)
    if d is None:
        return
    kstar = attempt(kstar_selection, graph, intrinsic_dim=d)
    if kstar is not None:
        assert kstar.shape == (len(x),) and ((kstar >= 3) & (kstar <= graph.maxk - 1)).all()
    density = attempt(pak_density, graph, intrinsic_dim=d)
    if density is not None:
        _check_density(density, len(x))


@FAST
@given(x=points(min_rows=2, non_finite=False), maxk=SMALL_MAXK, z=Z, halo=st.booleans(),
       z2=Z)
def test_adp_and_remerge(x, maxk, z, halo, z2) -> None:
    graph = attempt(knn_graph, x, maxk=maxk)
    d = None if graph is None else _dimension(graph, "2nn")
    density = None if d is None else attempt(knn_density, graph, intrinsic_dim=d,
                                             k=min(3, graph.maxk))
    if density is None:
        return
    clustering = attempt(adp, graph, density, z=z, halo=halo)
    if clustering is not None:
        _check_clustering(clustering, len(x))
    peaks = find_peaks(graph, density)
    again = attempt(remerge, peaks, z=z2, halo=halo)
    if again is not None:
        _check_clustering(again, len(x))


@FAST
@given(x=points(), maxk=mostly(st.integers(4, 8), SMALL_MAXK),
       density=mostly(st.sampled_from(["pak", "knn"]), st.just("kde")),
       k=mostly(st.integers(1, 3), st.integers(-1, 8)), z=Z, z2=Z)
def test_analyse_and_hierarchy_products(x, maxk, density, k, z, z2) -> None:
    topo = attempt(analyse_with, x, maxk=maxk, density=density, k=k, z=z)
    if topo is None:
        return
    n = len(x)
    _check_graph(topo.knn, n)
    _check_density(topo.density, n)
    _check_clustering(topo.clustering, n)
    again = attempt(topo.remerge, z=z2)
    clustering = topo.clustering if again is None else again.clustering
    _check_clustering(clustering, n)
    rho_max = topo.rho_max
    dist = peak_distances(clustering, rho_max=rho_max)
    assert np.isfinite(dist).all() and (dist >= 0).all()
    tree = dendrogram(clustering, rho_max=rho_max)
    assert tree.linkage.shape == (max(0, clustering.n_clusters - 1), 4)
    assert np.isfinite(mds_map(clustering, rho_max=rho_max)).all()
    graph = decision_graph(topo.knn, topo.density.log_density, x=np.asarray(x, np.float64))
    assert np.isfinite(graph.delta).all() and (graph.delta >= 0).all()
    assert ((graph.nearest_denser >= -1) & (graph.nearest_denser < n)).all()


def analyse_with(x, **params):
    """:func:`analyse` with its parameters made into one :class:`AnalysisParams`."""
    return analyse(x, AnalysisParams(**params))


def _dimension(graph, d):
    """``d`` itself, or the graph's 2-NN estimate for "2nn" (None if it has none)."""
    if d != "2nn":
        return d
    ident = attempt(two_nn_dimension, graph)
    return None if ident is None else ident.dimension
