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
