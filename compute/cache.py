"""Content-addressed cache in front of every pipeline step.

A step's result is stored under a key made of (step name, input fingerprint, parameters,
code version). Change any of the four and the step runs again; keep them and the result
comes from disk, whichever process (CLI, dashboard worker, test) computed it first.

Files are written atomically (temporary file + rename), so a crash mid-write never leaves
a half-written entry; an unreadable entry is logged, discarded and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

log = logging.getLogger(__name__)
T = TypeVar("T")


def fingerprint_array(array: np.ndarray) -> str:
    """Hex digest (32 chars) of an array's dtype, shape and contents."""
    arr = np.ascontiguousarray(array)
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{arr.dtype.str}|{arr.shape}|".encode())
    h.update(memoryview(arr).cast("B"))
    return h.hexdigest()


def fingerprint_strings(items: Iterable[str]) -> str:
    """Hex digest of an ordered sequence of strings (e.g. image content ids)."""
    h = hashlib.blake2b(digest_size=16)
    for item in items:
        h.update(item.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


def fingerprint_params(params: Mapping[str, Any]) -> str:
    """Hex digest of a JSON-serialisable parameter mapping (key order does not matter)."""
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class StepCache:
    """A directory of cached step results; ``StepCache(None)`` caches nothing.

    Example::

        cache = StepCache("data/cache")
        knn = cache.cached("knn", inputs=fingerprint_array(x), params={"maxk": 100},
                           version="1", compute=lambda: build_knn(x, maxk=100))
    """

    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self.root = Path(root) if root is not None else None

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def key(self, step: str, *, inputs: str, params: Mapping[str, Any], version: str) -> str:
        """The cache key of one step run (a hex digest)."""
        return fingerprint_params({"step": step, "inputs": inputs, "params": params,
                                   "version": version})

    def path(self, step: str, key: str) -> Path:
        if self.root is None:
            raise RuntimeError("this cache is disabled (root=None)")
        return self.root / step / f"{key}.pkl"

    def load(self, step: str, key: str) -> Any | None:
        """The stored value, or None if absent or unreadable (unreadable entries are removed)."""
        if self.root is None:
            return None
        path = self.path(step, key)
        if not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except Exception as exc:  # a truncated or stale entry: recompute, never crash
            log.warning("discarding unreadable cache entry %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None

    def save(self, step: str, key: str, value: Any) -> None:
        """Store ``value`` atomically; a no-op when the cache is disabled."""
        if self.root is None:
            return
        path = self.path(step, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def cached(self, step: str, *, inputs: str, params: Mapping[str, Any], version: str,
               compute: Callable[[], T]) -> T:
        """Return the cached result of ``step`` or compute, store and return it."""
        key = self.key(step, inputs=inputs, params=params, version=version)
        value = self.load(step, key)
        if value is not None:
            log.debug("cache hit %s/%s", step, key)
            return value
        value = compute()
        self.save(step, key, value)
        return value
