from dataclasses import replace

import numpy as np
import pytest

from compute.params import AnalysisParams
from compute.pipeline import (
    PipelineConfig,
    analyse_folder,
    project_analysis,
    run_pipeline,
)
from compute.projection import ProjectionParams


def test_pipeline_end_to_end_and_cached(blob_folder, tmp_path):
    images, labels = blob_folder
    config = PipelineConfig(images=str(images), labels=str(labels), backbone="pixels")
    seen = []
    result = run_pipeline(config, cache_dir=tmp_path / "cache",
                          progress=lambda d, t: seen.append((d, t)))
    n = len(result.dataset.usable)
    assert n == 12
    assert result.embeddings.vectors.shape == (n, 28 * 28)
    assert result.projection.coords.shape == (n, 2)
    assert sorted(set(result.labels)) == ["bottom-right", "top-left"]
    assert seen[-1] == (1000, 1000) and all(t == 1000 for _, t in seen)
    # The two classes differ in a big bright block: PCA's first axis separates them.
    x = result.projection.coords[:, 0]
    lab = np.array(result.labels)
    assert x[lab == "top-left"].max() < x[lab == "bottom-right"].min() or \
        x[lab == "top-left"].min() > x[lab == "bottom-right"].max()
    for name in (r.id for r in result.dataset.usable):
        assert (result.thumbnails / f"{name}.png").is_file()
    again = run_pipeline(config, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(again.projection.coords, result.projection.coords)


def test_knn_graph_is_in_the_embedding_space(blob_folder, tmp_path):
    images, labels = blob_folder
    analysis = analyse_folder(PipelineConfig(images=str(images), labels=str(labels),
                                             backbone="pixels"),
                              cache_dir=tmp_path / "cache")
    knn, x = analysis.knn, analysis.embeddings.vectors.astype(np.float64)
    assert knn.maxk == 11  # maxk is capped at N - 1
    np.testing.assert_array_equal(knn.indices[:, 0], np.arange(12))
    brute = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.testing.assert_allclose(knn.distances, np.sort(brute, axis=1), rtol=1e-4, atol=1e-4)
    lab = np.array(analysis.labels)
    assert (lab[knn.indices[:, 1]] == lab).all()  # nearest neighbour shares the class


def test_projection_switch_reuses_the_analysis(blob_folder, tmp_path):
    images, labels = blob_folder
    analysis = analyse_folder(PipelineConfig(images=str(images), labels=str(labels),
                                             backbone="pixels"),
                              cache_dir=tmp_path / "cache")
    three = project_analysis(analysis, ProjectionParams(n_components=3),
                             cache_dir=tmp_path / "cache")
    assert three.coords.shape == (12, 3)
    assert len(list((tmp_path / "cache" / "steps" / "projection").glob("*.pkl"))) == 1


def test_clusters_come_from_the_same_graph(blob_folder, tmp_path):
    images, labels = blob_folder
    params = AnalysisParams(maxk=5, density="knn", k=4)
    analysis = analyse_folder(PipelineConfig(images=str(images), labels=str(labels),
                                             backbone="pixels", analysis=params),
                              cache_dir=tmp_path / "cache")
    topo = analysis.topography
    assert topo.clustering.labels.shape == topo.density.log_density.shape == (12,)
    assert analysis.knn is topo.knn and analysis.knn.maxk == 5
    # 12 images: below MANIFOLD_MIN_POINTS the peaks are found in the full space (and the
    # params say so), the metric "auto" of pixels resolved to Euclidean; Z None became the
    # suggested cut
    assert topo.manifold is None and topo.space_knn is topo.knn
    assert analysis.params == replace(params.resolved(cnn_features=False).at_cut(
        z=topo.suggested.z), space="full")
    # two well-separated blobs never share a cluster
    lab = np.array(analysis.labels)
    for c in np.unique(topo.clustering.labels):
        assert len(set(lab[topo.clustering.labels == c])) == 1
    # a new cut re-merges the same peaks: nothing is recomputed, the graph is the same
    cut = analysis.at(params.at_cut(z=3.0, halo=False))
    assert cut.knn is analysis.knn and cut.params.z == 3.0 and not cut.params.halo
    with pytest.raises(ValueError, match="needs a new analysis"):
        analysis.at(AnalysisParams(maxk=5, density="pak"))


def test_config_key_is_stable_and_distinguishes_choices():
    a = PipelineConfig(images="x")
    assert a.key == PipelineConfig(images="x").key
    assert a.key != PipelineConfig(images="x", projection=ProjectionParams(n_components=3)).key
    umap = PipelineConfig(images="x", projection=ProjectionParams(method="umap"))
    assert a.analysis_key == umap.analysis_key
    # the cut (Z, halo) is not computed: one analysis serves every Z
    assert a.analysis_key == PipelineConfig(images="x",
                                            analysis=AnalysisParams(z=2.0)).analysis_key
    other = "euclidean" if a.analysis.metric == "cosine" else "cosine"
    assert a.analysis_key != PipelineConfig(images="x",
                                            analysis=AnalysisParams(metric=other)).analysis_key


def test_config_resolves_the_auto_metric_once_from_the_backbone():
    """Cosine for CNN features, Euclidean for pixels; what the config holds is concrete."""
    assert AnalysisParams().metric == "auto"
    assert PipelineConfig(images="x", backbone="pixels").analysis.metric == "euclidean"
    assert PipelineConfig(images="x", backbone="resnet18").analysis.metric == "cosine"
    chosen = PipelineConfig(images="x", backbone="resnet18",
                            analysis=AnalysisParams(metric="euclidean"))
    assert chosen.analysis.metric == "euclidean"  # an explicit choice is kept


def test_the_cluster_space_is_a_projection_at_hand():
    """The 2-D UMAP manifold the peaks were found on is shown as it is (no computation);
    an analysis in the full space has none, and says what to choose instead."""
    from compute.peaks.topography import analyse
    from compute.pipeline import manifold_projection

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.3, (60, 5)) for c in (0.0, 4.0)]).astype(np.float32)
    topography = analyse(x, AnalysisParams(space="umap"))
    shown = manifold_projection(topography, 2)
    assert shown.method == "manifold" and shown.coords.shape == (120, 2)
    assert np.allclose(shown.coords, topography.manifold.points, atol=1e-4)
    with pytest.raises(ValueError, match="2-D, not 3-D"):
        manifold_projection(topography, 3)
    with pytest.raises(ValueError, match="choose UMAP, t-SNE or PCA"):
        manifold_projection(analyse(x, AnalysisParams(space="full")), 2)
