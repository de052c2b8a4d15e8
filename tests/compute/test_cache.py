import numpy as np

from compute.cache import StepCache, fingerprint_array, fingerprint_params, fingerprint_strings


def test_fingerprint_array_depends_on_content_dtype_and_shape():
    a = np.arange(6, dtype=np.float32)
    assert fingerprint_array(a) == fingerprint_array(a.copy())
    assert fingerprint_array(a) != fingerprint_array(a.astype(np.float64))
    assert fingerprint_array(a) != fingerprint_array(a.reshape(2, 3))
    b = a.copy()
    b[3] += 1
    assert fingerprint_array(a) != fingerprint_array(b)


def test_fingerprint_array_accepts_non_contiguous():
    a = np.arange(12.0).reshape(3, 4)
    assert fingerprint_array(a[:, ::2]) == fingerprint_array(np.ascontiguousarray(a[:, ::2]))


def test_fingerprint_params_ignores_key_order_and_strings_keep_order():
    assert fingerprint_params({"a": 1, "b": 2}) == fingerprint_params({"b": 2, "a": 1})
    assert fingerprint_strings(["a", "b"]) != fingerprint_strings(["b", "a"])
    assert fingerprint_strings(["ab", "c"]) != fingerprint_strings(["a", "bc"])


def test_cached_computes_once_per_key(tmp_path):
    cache = StepCache(tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return np.ones(3)

    for _ in range(2):
        out = cache.cached("step", inputs="x", params={"k": 1}, version="1", compute=compute)
    assert len(calls) == 1 and out.sum() == 3
    cache.cached("step", inputs="x", params={"k": 2}, version="1", compute=compute)
    cache.cached("step", inputs="x", params={"k": 1}, version="2", compute=compute)
    assert len(calls) == 3


def test_corrupt_entry_is_recomputed(tmp_path):
    cache = StepCache(tmp_path)
    key = cache.key("s", inputs="x", params={}, version="1")
    path = cache.path("s", key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a pickle")
    assert cache.cached("s", inputs="x", params={}, version="1", compute=lambda: 42) == 42
    assert cache.load("s", key) == 42


def test_disabled_cache_always_computes():
    cache = StepCache(None)
    assert not cache.enabled
    assert cache.cached("s", inputs="x", params={}, version="1", compute=lambda: 7) == 7
    assert cache.load("s", "anything") is None


# ------------------------------------------------------------- memory-mapped large arrays

def _value(n_big: int = 5000):
    from compute.graph.knn import KnnGraph

    rng = np.random.default_rng(0)
    return KnnGraph(distances=rng.random((n_big, 4)), indices=rng.integers(0, 9, (n_big, 4)),
                    method="ivf", recall=0.99, recall_sample=10), np.arange(3.0)


def test_large_arrays_are_stored_apart_and_come_back_memory_mapped(tmp_path, monkeypatch):
    import compute.cache as cache_module

    monkeypatch.setattr(cache_module, "MMAP_MIN_BYTES", 100_000)  # 5000 x 4 x 8 = 160 000
    cache = StepCache(tmp_path)
    graph, small = _value()
    assert cache.save("knn", "k1", (graph, small)) is True
    folder = cache.folder("knn", "k1")
    assert sorted(p.name for p in folder.iterdir()) == ["array0.npy", "array1.npy",
                                                        "value.pkl"]
    assert not cache.path("knn", "k1").exists() and cache.has("knn", "k1")
    loaded, loaded_small = cache.load("knn", "k1")
    assert isinstance(loaded.distances, np.memmap) and isinstance(loaded.indices, np.memmap)
    assert not loaded.distances.flags.writeable
    assert type(loaded_small) is np.ndarray  # below the threshold: inside the pickle
    np.testing.assert_array_equal(loaded.distances, graph.distances)
    np.testing.assert_array_equal(loaded.indices, graph.indices)
    assert (loaded.method, loaded.recall) == ("ivf", 0.99)


def test_small_values_stay_one_pickle(tmp_path):
    cache = StepCache(tmp_path)
    assert cache.save("step", "k", np.ones(10)) is False
    assert cache.path("step", "k").exists() and not cache.folder("step", "k").exists()
    assert cache.has("step", "k") and not cache.has("step", "other")
    assert type(cache.load("step", "k")) is np.ndarray


def test_cached_hands_back_the_mapped_arrays_when_it_computed_them(tmp_path, monkeypatch):
    import compute.cache as cache_module

    monkeypatch.setattr(cache_module, "MMAP_MIN_BYTES", 100_000)
    cache = StepCache(tmp_path)
    graph, _ = _value()
    first = cache.cached("knn", inputs="x", params={}, version="1", compute=lambda: graph)
    assert isinstance(first.indices, np.memmap)  # the computed copy was dropped
    np.testing.assert_array_equal(first.indices, graph.indices)


def test_an_entry_missing_its_array_file_is_recomputed(tmp_path, monkeypatch, caplog):
    import compute.cache as cache_module

    monkeypatch.setattr(cache_module, "MMAP_MIN_BYTES", 100_000)
    cache = StepCache(tmp_path)
    graph, _ = _value()
    key = cache.key("knn", inputs="x", params={}, version="1")
    cache.save("knn", key, graph)
    (cache.folder("knn", key) / "array1.npy").unlink()
    calls = []
    again = cache.cached("knn", inputs="x", params={}, version="1",
                         compute=lambda: calls.append(1) or graph)
    assert calls == [1] and "discarding unreadable cache entry" in caplog.text
    np.testing.assert_array_equal(again.indices, graph.indices)


def test_topography_on_mapped_steps_equals_the_uncached_one(tmp_path, monkeypatch):
    import compute.cache as cache_module
    from compute.params import AnalysisParams
    from compute.peaks.topography import analyse

    monkeypatch.setattr(cache_module, "MMAP_MIN_BYTES", 4_000)  # 600 float64 = 4 800 bytes
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, (300, 4)), rng.normal(6, 1, (300, 4))])
    params = AnalysisParams(maxk=20)
    plain = analyse(x, params)
    cache = StepCache(tmp_path)
    for _ in range(2):  # computed (then mapped), and loaded
        mapped = analyse(x, params, cache=cache)
        assert isinstance(mapped.knn.distances, np.memmap)
        assert isinstance(mapped.density.log_density, np.memmap)
        np.testing.assert_array_equal(mapped.clustering.labels, plain.clustering.labels)
        np.testing.assert_allclose(mapped.density.log_density, plain.density.log_density)
