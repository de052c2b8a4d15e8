"""The names store: expert names of clusters and dendrogram nodes, in SQLite, with history.

Durability: the database runs in WAL mode with ``synchronous=FULL``; every save is one
``BEGIN IMMEDIATE`` transaction and a method returns only after its commit, so a name the
caller was told is saved survives a crash (even ``kill -9``) of the process.

Concurrent edits: optimistic versioning. Each name carries a ``version``; an update or a
delete states the version it was based on and fails with :class:`NameConflictError` (saying who
changed it, when, and to what) if someone saved in between. Nothing is overwritten
silently, and every version of every name stays in ``name_history``.

A name is anchored to what it named: the image ids of the node's members and the image
id of its peak (see :mod:`compute.naming.match` for how an anchor finds its node after a
re-clustering). Each connection is opened per call, so one store object is safe to share
between the threads of a web server.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from compute.naming.text import clean_name, clean_note, clean_user

KINDS = ("cluster", "node")
SCHEMA_VERSION = 1
DATASET_SHARE = 0.5  # of a name's images a data set must hold to show the name

_SCHEMA = """
CREATE TABLE IF NOT EXISTS names (
    name_id     INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('cluster', 'node')),
    name        TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    peak_id     TEXT,
    members     BLOB NOT NULL,
    members_sha TEXT NOT NULL,
    n_members   INTEGER NOT NULL,
    run         TEXT NOT NULL,
    version     INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS names_live ON names (deleted, members_sha);
CREATE TABLE IF NOT EXISTS name_history (
    history_id  INTEGER PRIMARY KEY,
    name_id     INTEGER NOT NULL REFERENCES names (name_id),
    version     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    name        TEXT NOT NULL,
    note        TEXT NOT NULL,
    run         TEXT NOT NULL,
    user        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_name ON name_history (name_id, version);
"""


class NameConflictError(Exception):
    """Someone else saved this name (or named this node) since the caller read it."""


@dataclass(frozen=True)
class RunInfo:
    """The run a name was given in: which data, embedding and analysis parameters.

    The analysis fields are those of :class:`compute.params.AnalysisParams` (build with
    :meth:`of`); ``metric``, ``maxk``, ``knn_method`` and the fields after them are None in
    records written before they were recorded. ``z`` is the concrete Z of the cut (the
    suggested one when none was asked for). ``k`` is None for the PAk density (it has no fixed k).
    """

    data_fingerprint: str
    backbone: str
    weights: str
    density: str
    k: int | None
    z: float
    halo: bool = False
    metric: str | None = None
    maxk: int | None = None
    knn_method: str | None = None
    space: str | None = None
    manifold_dim_cap: int | None = None
    manifold_neighbors: int | None = None
    manifold_min_dist: float | None = None
    cut_rule: str | None = None
    halo_rule: str | None = None
    collapse_copies: bool | None = None

    @classmethod
    def of(cls, params, *, data_fingerprint: str, backbone: str, weights: str) -> RunInfo:
        """The run of an :class:`compute.params.AnalysisParams` on a data set."""
        return cls(data_fingerprint=data_fingerprint, backbone=backbone, weights=weights,
                   density=params.density, k=params.k if params.density == "knn" else None,
                   z=float(params.z), halo=bool(params.halo), metric=params.metric,
                   maxk=int(params.maxk), knn_method=params.knn_method, space=params.space,
                   manifold_dim_cap=int(params.manifold_dim_cap),
                   manifold_neighbors=int(params.manifold_neighbors),
                   manifold_min_dist=float(params.manifold_min_dist),
                   cut_rule=params.cut_rule, halo_rule=params.halo_rule,
                   collapse_copies=bool(params.collapse_copies))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunInfo:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Anchor:
    """What a name is attached to: member image ids and the peak image id."""

    members: frozenset[str]
    peak_id: str | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(_pack(self.members)).hexdigest()


@dataclass(frozen=True)
class NameRecord:
    """The current version of one name."""

    name_id: int
    kind: str
    name: str
    note: str
    anchor: Anchor
    run: RunInfo
    version: int
    updated_by: str
    updated_at: str


@dataclass(frozen=True)
class HistoryEntry:
    """One saved version of a name (``action`` is create, update, delete or import)."""

    name_id: int
    version: int
    action: str
    name: str
    note: str
    run: RunInfo
    user: str
    at: str


def _pack(members: Iterable[str]) -> bytes:
    return "\n".join(sorted(members)).encode("utf-8")


def belongs_to(anchor: Anchor, dataset_ids: set[str] | frozenset[str]) -> bool:
    """True if at least :data:`DATASET_SHARE` of the anchor's member images are in the
    data set: a name follows its images (content ids), so it stays with a folder that
    grew or lost a few images and never shows on a folder of other images."""
    present = sum(1 for m in anchor.members if m in dataset_ids)
    return present >= DATASET_SHARE * len(anchor.members) and present > 0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class NameStore:
    """Names in the SQLite file ``path`` (created with its folder if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found not in (0, SCHEMA_VERSION):
                raise ValueError(f"names database {self.path} has schema version {found}; "
                                 f"this version of Topograph reads {SCHEMA_VERSION}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success (before returning), else rolled back."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- writes -------------------------------------------------------------------------

    def create(self, *, kind: str, name: str, anchor: Anchor, user: str, run: RunInfo,
               note: str = "", action: str = "create") -> NameRecord:
        """Name a node that has no name yet.

        Raises NameConflictError if a live name of the same kind already has exactly these
        members (someone named the node first: update that name instead).
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
        if not anchor.members:
            raise ValueError("cannot name an empty node: the anchor has no members")
        name, note, user = clean_name(name), clean_note(note), clean_user(user)
        with self._transaction() as conn:
            other = conn.execute(
                "SELECT name_id FROM names WHERE deleted = 0 AND kind = ? AND members_sha = ?",
                (kind, anchor.digest)).fetchone()
            if other is not None:
                current = self._get(conn, other[0])
                raise NameConflictError(
                    f"this {kind} was already named {current.name!r} by {current.updated_by} "
                    f"at {current.updated_at[:19]} (re-read it and update that name instead)")
            at = _now()
            cur = conn.execute(
                "INSERT INTO names (kind, name, note, peak_id, members, members_sha, "
                "n_members, run, version, updated_by, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (kind, name, note, anchor.peak_id, zlib.compress(_pack(anchor.members)),
                 anchor.digest, len(anchor.members), run.to_json(), user, at))
            name_id = int(cur.lastrowid)
            self._log(conn, name_id, 1, action, name, note, run, user, at)
            return self._get(conn, name_id)

    def update(self, name_id: int, *, expected_version: int, name: str, user: str,
               run: RunInfo, note: str = "", anchor: Anchor | None = None) -> NameRecord:
        """Rename (and optionally re-anchor) a name last read at ``expected_version``.

        Raises NameConflictError if the name changed since that version, KeyError if it does
        not exist or was deleted.
        """
        name, note, user = clean_name(name), clean_note(note), clean_user(user)
        with self._transaction() as conn:
            current = self._check_version(conn, name_id, expected_version)
            anchor = anchor or current.anchor
            at, version = _now(), current.version + 1
            conn.execute(
                "UPDATE names SET name = ?, note = ?, peak_id = ?, members = ?, "
                "members_sha = ?, n_members = ?, run = ?, version = ?, updated_by = ?, "
                "updated_at = ? WHERE name_id = ?",
                (name, note, anchor.peak_id, zlib.compress(_pack(anchor.members)),
                 anchor.digest, len(anchor.members), run.to_json(), version, user, at,
                 name_id))
            self._log(conn, name_id, version, "update", name, note, run, user, at)
            return self._get(conn, name_id)

    def delete(self, name_id: int, *, expected_version: int, user: str,
               run: RunInfo) -> None:
        """Remove a name (its history stays). Same version check as :meth:`update`."""
        user = clean_user(user)
        with self._transaction() as conn:
            current = self._check_version(conn, name_id, expected_version)
            at, version = _now(), current.version + 1
            conn.execute("UPDATE names SET deleted = 1, version = ?, updated_by = ?, "
                         "updated_at = ? WHERE name_id = ?", (version, user, at, name_id))
            self._log(conn, name_id, version, "delete", current.name, current.note, run,
                      user, at)

    # -- reads --------------------------------------------------------------------------

    def live(self, *, dataset_ids: Iterable[str] | None = None) -> list[NameRecord]:
        """Every name that is not deleted, oldest first.

        ``dataset_ids``: the image ids of one data set; then only the names that belong to
        it (:func:`belongs_to`): one database serves many folders, and a folder never sees
        the names given on another.
        """
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM names WHERE deleted = 0 "
                                "ORDER BY name_id").fetchall()
        records = [_record(row) for row in rows]
        if dataset_ids is None:
            return records
        ids = dataset_ids if isinstance(dataset_ids, set | frozenset) else set(dataset_ids)
        return [r for r in records if belongs_to(r.anchor, ids)]

    def revision(self) -> int:
        """A number that grows with every save, update or delete (the last history row):
        what a reader caches names under, so it never shows a stale version."""
        with self._connect() as conn:
            return int(conn.execute("SELECT COALESCE(MAX(history_id), 0) FROM name_history")
                       .fetchone()[0])

    def get(self, name_id: int) -> NameRecord:
        """The current version of a live name; KeyError if absent or deleted."""
        with self._connect() as conn:
            return self._get(conn, name_id)

    def history(self, name_id: int | None = None) -> list[HistoryEntry]:
        """Every saved version (of one name, or of all), in the order they were saved."""
        sql = "SELECT name_id, version, action, name, note, run, user, at FROM name_history"
        args: tuple = ()
        if name_id is not None:
            sql, args = sql + " WHERE name_id = ?", (name_id,)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY history_id", args).fetchall()
        return [HistoryEntry(name_id=r[0], version=r[1], action=r[2], name=r[3], note=r[4],
                             run=RunInfo.from_json(r[5]), user=r[6], at=r[7]) for r in rows]

    # -- helpers ------------------------------------------------------------------------

    def _get(self, conn: sqlite3.Connection, name_id: int) -> NameRecord:
        row = conn.execute(f"SELECT {_COLUMNS} FROM names WHERE name_id = ? AND deleted = 0",
                           (name_id,)).fetchone()
        if row is None:
            raise KeyError(f"no name with id {name_id} (deleted, or from another database)")
        return _record(row)

    def _check_version(self, conn: sqlite3.Connection, name_id: int,
                       expected_version: int) -> NameRecord:
        current = self._get(conn, name_id)
        if current.version != expected_version:
            raise NameConflictError(
                f"{current.name!r} was changed by {current.updated_by} at "
                f"{current.updated_at[:19]} (version {current.version}; you edited version "
                f"{expected_version})")
        return current

    @staticmethod
    def _log(conn: sqlite3.Connection, name_id: int, version: int, action: str, name: str,
             note: str, run: RunInfo, user: str, at: str) -> None:
        conn.execute("INSERT INTO name_history (name_id, version, action, name, note, run, "
                     "user, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (name_id, version, action, name, note, run.to_json(), user, at))


_COLUMNS = ("name_id, kind, name, note, peak_id, members, run, version, updated_by, "
            "updated_at")


def _record(row: tuple) -> NameRecord:
    members = zlib.decompress(row[5]).decode("utf-8")
    anchor = Anchor(members=frozenset(members.split("\n")) if members else frozenset(),
                    peak_id=row[4])
    return NameRecord(name_id=row[0], kind=row[1], name=row[2], note=row[3], anchor=anchor,
                      run=RunInfo.from_json(row[6]), version=row[7], updated_by=row[8],
                      updated_at=row[9])
