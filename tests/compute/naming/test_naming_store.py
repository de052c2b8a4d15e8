import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from compute.naming import Anchor, NameConflictError, NameStore
from compute.naming.text import MAX_NAME
from tests.hierarchy_data import RUN

A = Anchor(members=frozenset({"a", "b", "c"}), peak_id="a")
B = Anchor(members=frozenset({"d", "e"}), peak_id="e")
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def store(tmp_path):
    return NameStore(tmp_path / "names.sqlite")


def test_names_survive_a_new_store_object(store, tmp_path):
    rec = store.create(kind="cluster", name="nanowires", note="tilted", anchor=A, user="ana",
                       run=RUN)
    again = NameStore(tmp_path / "names.sqlite").live()
    assert again == [rec]
    assert again[0].anchor == A and again[0].run == RUN and again[0].version == 1


def test_names_survive_a_new_process(tmp_path):
    db = tmp_path / "names.sqlite"
    script = textwrap.dedent(f"""
        from compute.naming import Anchor, NameStore, RunInfo
        run = RunInfo(data_fingerprint="f", backbone="pixels", weights="none",
                      density="knn", k=10, z=2.0)
        NameStore({str(db)!r}).create(kind="node", name="arrays",
                                      anchor=Anchor(frozenset({{"x", "y"}}), "x"),
                                      user="bo", run=run)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO_ROOT)
    [rec] = NameStore(db).live()
    assert (rec.name, rec.kind, rec.updated_by, rec.run.k) == ("arrays", "node", "bo", 10)


def test_database_is_wal_with_full_sync(store):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store._connect() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_update_with_a_stale_version_is_a_conflict_not_a_lost_update(store):
    rec = store.create(kind="cluster", name="wires", anchor=A, user="ana", run=RUN)
    first = store.update(rec.name_id, expected_version=1, name="nanowires", user="ana",
                         run=RUN)
    with pytest.raises(NameConflictError, match="changed by ana"):
        store.update(rec.name_id, expected_version=1, name="rods", user="bo", run=RUN)
    assert store.get(rec.name_id) == first and first.version == 2
    assert [h.name for h in store.history(rec.name_id)] == ["wires", "nanowires"]


def test_naming_an_already_named_node_is_a_conflict(store):
    store.create(kind="cluster", name="wires", anchor=A, user="ana", run=RUN)
    with pytest.raises(NameConflictError, match="already named 'wires' by ana"):
        store.create(kind="cluster", name="rods", anchor=A, user="bo", run=RUN)
    # the same members as an internal node, or other members, are separate names
    store.create(kind="node", name="all wires", anchor=A, user="bo", run=RUN)
    store.create(kind="cluster", name="dots", anchor=B, user="bo", run=RUN)
    assert [r.name for r in store.live()] == ["wires", "all wires", "dots"]


def test_delete_keeps_history_and_frees_the_node(store):
    rec = store.create(kind="cluster", name="wires", anchor=A, user="ana", run=RUN)
    with pytest.raises(NameConflictError):
        store.delete(rec.name_id, expected_version=5, user="bo", run=RUN)
    store.delete(rec.name_id, expected_version=1, user="bo", run=RUN)
    assert store.live() == []
    with pytest.raises(KeyError):
        store.get(rec.name_id)
    assert [(h.action, h.user) for h in store.history()] == [("create", "ana"),
                                                             ("delete", "bo")]
    store.create(kind="cluster", name="rods", anchor=A, user="bo", run=RUN)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "name is empty"),
    ("name", "x" * (MAX_NAME + 1), "shorten it"),
    ("name", "two\nlines", "control characters"),
    ("name", "x" * 4000, "4000 characters long; shorten it to at most 80"),
    ("name", "bell\x07", "control characters"),
    ("name", "nul\x00", "control characters"),
    ("name", "\x1b[31mred", "control characters"),
    ("name", "abc\u202efdp.exe", "control characters"),
    ("note", "n" * 4000, "shorten it to at most 2000"),
    ("note", "a\rb", "control characters"),
    ("user", "u" * 4000, "shorten it to at most 40"),
    ("user", "  ", "user name is empty"),
])
def test_bad_text_is_refused_with_the_fix(store, field, value, message):
    args = {"name": "ok", "user": "ana"} | {field: value}
    with pytest.raises(ValueError, match=message):
        store.create(kind="cluster", anchor=A, run=RUN, **args)
    assert store.live() == []


def test_text_is_stored_verbatim_not_as_markup(store):
    rec = store.create(kind="cluster", name="<b>wires</b> & =1+1", note="line 1\nline 2",
                       anchor=A, user="ana", run=RUN)
    assert store.get(rec.name_id).name == "<b>wires</b> & =1+1"
    assert store.get(rec.name_id).note == "line 1\nline 2"


def test_empty_anchor_and_unknown_kind_are_refused(store):
    with pytest.raises(ValueError, match="empty node"):
        store.create(kind="cluster", name="x", anchor=Anchor(frozenset()), user="a", run=RUN)
    with pytest.raises(ValueError, match="kind must be"):
        store.create(kind="leaf", name="x", anchor=A, user="a", run=RUN)


def test_concurrent_saves_of_one_version_let_exactly_one_win(store):
    from concurrent.futures import ThreadPoolExecutor

    rec = store.create(kind="cluster", name="wires", anchor=A, user="ana", run=RUN)

    def save(i):
        try:
            store.update(rec.name_id, expected_version=1, name=f"name {i}", user=f"u{i}",
                         run=RUN)
            return True
        except NameConflictError:
            return False

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(save, range(8)))
    assert results.count(True) == 1
    winner = store.get(rec.name_id)
    assert winner.version == 2 and winner.name == f"name {results.index(True)}"
    assert len(store.history(rec.name_id)) == 2


def test_a_data_set_sees_the_names_of_its_own_images_only(store):
    """Names follow their images: a folder holding most of a name's images (grown, or a
    few removed) sees it; a folder of other images never does."""
    a = store.create(kind="cluster", name="wires", anchor=A, user="ana", run=RUN)
    b = store.create(kind="cluster", name="dots", anchor=B, user="ana", run=RUN)
    assert store.live(dataset_ids={"a", "b", "c", "x", "y"}) == [a]  # A's folder, grown
    assert store.live(dataset_ids={"a", "b"}) == [a]  # 2 of 3 images still there
    assert store.live(dataset_ids={"a", "d", "e"}) == [b]  # 1 of A's 3 images: not A's set
    assert store.live(dataset_ids=set()) == []
    assert store.live() == [a, b]  # without a data set: every name (the database's view)


def test_the_revision_grows_with_every_write(store):
    start = store.revision()
    rec = store.create(kind="cluster", name="wires", anchor=A, user="ana", run=RUN)
    after_create = store.revision()
    store.update(rec.name_id, expected_version=1, name="rods", user="ana", run=RUN)
    assert start < after_create < store.revision()
