"""A per-image feature store: one SQLite file per (model, weights, preprocessing).

Vectors are stored by image id (MD5 of the file bytes), so a folder that grows by 100
images embeds only those 100, and an interrupted run resumes where it stopped (each batch
is committed as it is computed). Layout::

    <cache>/features/<backbone>-<key>.sqlite
        table features(id TEXT PRIMARY KEY, vector BLOB)   -- float32, little-endian
        table meta(key TEXT PRIMARY KEY, value TEXT)       -- JSON: backbone, weights, dim

One file per node: SQLite files should not be shared by several machines over NFS (give
each array-job task its own cache folder).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_CHUNK = 900  # ids per SQL query (SQLite's default limit on parameters is 999)


class FeatureStore:
    """Vectors of dimension ``dim`` keyed by image id; ``path=None`` keeps them in memory."""

    def __init__(self, path: str | os.PathLike[str] | None, *, dim: int,
                 meta: dict[str, Any] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.dim = int(dim)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path or ":memory:", timeout=120)
        tables = {row[0] for row in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"features", "meta"} <= tables:  # a store only read never writes
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS features "
                                 "(id TEXT PRIMARY KEY, vector BLOB NOT NULL)")
                self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
                                 "value TEXT NOT NULL)")
        self._check_meta({"dim": self.dim, **(meta or {})})

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM features").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def missing(self, ids: Sequence[str]) -> list[str]:
        """The ids (in the given order, each once) that have no stored vector."""
        present: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(ids))):
            present.update(row[0] for row in self._db.execute(
                f"SELECT id FROM features WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return [i for i in dict.fromkeys(ids) if i not in present]

    def put(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (len(ids), dim) float32 for ``ids`` in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected vectors of shape ({len(ids)}, {self.dim}), "
                             f"got {vectors.shape}")
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO features VALUES (?, ?)",
                                 zip(ids, (v.tobytes() for v in vectors), strict=True))

    def get(self, ids: Sequence[str], *, out: np.ndarray | None = None) -> np.ndarray:
        """The (len(ids), dim) float32 matrix of stored vectors, row i for ``ids[i]``.

        ``out`` (e.g. a memory-mapped .npy) receives the rows instead of a new array.
        Raises KeyError naming the first id that has no vector.
        """
        if out is None:
            out = np.empty((len(ids), self.dim), np.float32)
        start = 0
        for chunk in _chunks(list(ids), 4096):
            out[start:start + len(chunk)] = self._get_chunk(chunk)
            start += len(chunk)
        return out

    def _get_chunk(self, ids: list[str]) -> np.ndarray:
        found: dict[str, bytes] = {}
        for part in _chunks(ids):
            found.update(self._db.execute(
                f"SELECT id, vector FROM features WHERE id IN ({','.join('?' * len(part))})",
                part))
        try:
            blob = b"".join(found[i] for i in ids)
        except KeyError as exc:
            raise KeyError(f"no stored vector for image id {exc.args[0]}") from None
        return np.frombuffer(blob, dtype="<f4").reshape(len(ids), self.dim)

    def _check_meta(self, meta: dict[str, Any]) -> None:
        stored = dict(self._db.execute("SELECT key, value FROM meta"))
        wanted = {k: json.dumps(v, sort_keys=True, default=str) for k, v in meta.items()}
        clash = {k for k in wanted if k in stored and stored[k] != wanted[k]}
        if clash:
            raise ValueError(f"feature store {self.path} was made with other settings "
                             f"({sorted(clash)}); delete it or use another cache folder")
        new = [(k, v) for k, v in wanted.items() if k not in stored]
        if new:  # only a new store (or new keys) is written: readers of a full one never lock
            with self._db:
                self._db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", new)


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
