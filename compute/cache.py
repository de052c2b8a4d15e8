"""Content-addressed cache in front of every pipeline step.

A step's result is stored under a key made of (step name, input fingerprint, parameters,
code version). Change any of the four and the step runs again; keep them and the result
comes from disk, whichever process (CLI, dashboard worker, test) computed it first.

Files are written atomically (temporary file + rename), so a crash mid-write never leaves
a half-written entry; an unreadable entry is logged, discarded and recomputed.

Large arrays are memory-mapped. Every array of at least :data:`MMAP_MIN_BYTES` inside a
result (e.g. the kNN graph's (N, maxk + 1) distances and indices, 0.8 GB each at a million
points) is written beside the pickle as a ``.npy`` file, and read back with
``np.load(mmap_mode="r")``: the pages come from the operating system's file cache, shared by
every process that reads the entry (web workers, job workers, the command line) instead of
one private copy each, and a process that computed the step drops its own copy for the
mapped one (:meth:`StepCache.cached`). Such arrays are read-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

log = logging.getLogger(__name__)
T = TypeVar("T")
MMAP_MIN_BYTES = 4 * 2**20  # arrays this large are stored as .npy and memory-mapped


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
        """The pickle of an entry without large arrays (see :meth:`folder` for the others)."""
        if self.root is None:
            raise RuntimeError("this cache is disabled (root=None)")
        return self.root / step / f"{key}.pkl"

    def folder(self, step: str, key: str) -> Path:
        """The folder of an entry with memory-mapped arrays: ``value.pkl`` + ``*.npy``."""
        return self.path(step, key).with_suffix(".d")

    def has(self, step: str, key: str) -> bool:
        """Whether an entry is stored (in either form)."""
        return self.root is not None and (self.path(step, key).exists()
                                          or (self.folder(step, key) / "value.pkl").exists())

    def load(self, step: str, key: str) -> Any | None:
        """The stored value, or None if absent or unreadable (unreadable entries are removed).
        Large arrays come back as read-only memory maps."""
        if self.root is None:
            return None
        folder, path = self.folder(step, key), self.path(step, key)
        source = folder / "value.pkl" if (folder / "value.pkl").exists() else path
        if not source.exists():
            return None
        try:
            with source.open("rb") as fh:
                return _MappingUnpickler(fh, source.parent).load()
        except Exception as exc:  # a truncated or stale entry: recompute, never crash
            log.warning("discarding unreadable cache entry %s: %s", source, exc)
            path.unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def save(self, step: str, key: str, value: Any) -> bool:
        """Store ``value`` atomically; a no-op when the cache is disabled. Returns whether
        some of its arrays were stored for memory-mapping."""
        if self.root is None:
            return False
        path = self.path(step, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-", suffix=".d"))
        try:
            with (staging / "value.pkl").open("wb") as fh:
                pickler = _SpillingPickler(fh, staging)
                pickler.dump(value)
            if not pickler.spilled:
                os.replace(staging / "value.pkl", path)
                return False
            with contextlib.suppress(OSError):  # another process stored it first: keep theirs
                os.replace(staging, self.folder(step, key))
            return True
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def cached(self, step: str, *, inputs: str, params: Mapping[str, Any], version: str,
               compute: Callable[[], T]) -> T:
        """Return the cached result of ``step`` or compute, store and return it."""
        key = self.key(step, inputs=inputs, params=params, version=version)
        value = self.load(step, key)
        if value is not None:
            log.debug("cache hit %s/%s", step, key)
            return value
        value = compute()
        if self.save(step, key, value):  # hold the mapped arrays, not a private copy
            mapped = self.load(step, key)
            value = mapped if mapped is not None else value
        return value


class _SpillingPickler(pickle.Pickler):
    """Pickles a value, writing each array of at least MMAP_MIN_BYTES to ``folder`` as a
    ``.npy`` file instead (``spilled`` counts them)."""

    def __init__(self, fh, folder: Path) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.folder, self.spilled = folder, 0

    def persistent_id(self, obj: Any) -> str | None:
        if (type(obj) is not np.ndarray and not isinstance(obj, np.memmap)) or \
                obj.nbytes < MMAP_MIN_BYTES or obj.dtype.hasobject:
            return None
        name = f"array{self.spilled}.npy"
        np.save(self.folder / name, obj, allow_pickle=False)
        self.spilled += 1
        return name


class _MappingUnpickler(pickle.Unpickler):
    """Reads what :class:`_SpillingPickler` wrote, mapping the ``.npy`` files read-only."""

    def __init__(self, fh, folder: Path) -> None:
        super().__init__(fh)
        self.folder = folder

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not isinstance(pid, str) or "/" in pid or not pid.endswith(".npy"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        return np.load(self.folder / pid, mmap_mode="r", allow_pickle=False)
