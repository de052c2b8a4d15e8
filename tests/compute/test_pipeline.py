import numpy as np

from compute.pipeline import PipelineConfig, run_pipeline


def test_pipeline_end_to_end_and_cached(blob_folder, tmp_path):
    images, labels = blob_folder
    config = PipelineConfig(images=str(images), labels=str(labels))
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


def test_config_key_is_stable_and_distinguishes_choices():
    a = PipelineConfig(images="x")
    assert a.key == PipelineConfig(images="x").key
    assert a.key != PipelineConfig(images="x", n_components=3).key
