"""``python -m compute export`` and ``import-names`` on a real (tiny) image folder."""

import json

import pytest

from compute.cli import build_parser, main
from compute.commands.export import analysis_from_args
from compute.naming import NameStore
from compute.naming.export import read_images_csv, read_tree_csv
from compute.params import Z_MIN
from tests.hostile_text import (
    HOSTILE_FILES,
    HOSTILE_LABEL,
    HYPERLINK,
    csv_cells,
    formula_cells,
    write_hostile_folder,
)
from tests.imagefiles import write_blob_images


@pytest.fixture
def folder(tmp_path):
    images = tmp_path / "images"
    labels = write_blob_images(images, per_class=15)
    return ["--images", str(images), "--labels", str(labels), "--cache-dir",
            str(tmp_path / "cache"), "--maxk", "10", "--no-progress", "--backbone", "pixels"]


def labelled(args):
    """The labelled clustering the export command computes for ``args``."""
    from compute.naming.labelling import label_analysis

    return label_analysis(analysis_from_args(args)).clustering


def named_db(tmp_path, folder):
    """A names DB with the first cluster and the root named, as the dashboard would."""
    c = labelled(build_parser().parse_args(["export", *folder, "--out", "x.csv"]))
    store = NameStore(tmp_path / "names.sqlite")
    store.create(kind="cluster", name="=corner", anchor=c.anchor(0), user="ana", run=c.run)
    if c.tree.n_nodes > 1:
        store.create(kind="node", name="all squares", anchor=c.anchor(c.tree.root),
                     user="ana", run=c.run)
    return store, c


def test_export_writes_the_names_the_store_holds(tmp_path, folder, capsys):
    store, c = named_db(tmp_path, folder)
    out = tmp_path / "export" / "labels.csv"
    assert main(["export", *folder, "--names", str(store.path), "--out", str(out)]) == 0
    assert "named nodes" in capsys.readouterr().out
    images = read_images_csv(out)
    assert images["id"].tolist() == list(c.ids)
    assert images["cluster"].tolist() == c.labels.tolist()
    members = images["cluster"] == 0
    assert set(images.loc[members, "cluster_name"]) == {"=corner"}
    assert set(images.loc[~members, "cluster_name"]) == {""}
    tree = read_tree_csv(out.with_name("labels.tree.csv"))
    assert tree.loc[0, "name"] == "=corner" and tree.loc[0, "named_by"] == "ana"
    sidecar = json.loads(out.with_name("labels.json").read_text())
    assert sidecar["run"]["backbone"] == "pixels" and sidecar["n_images"] == 30


def test_import_names_round_trips_through_a_fresh_database(tmp_path, folder, capsys):
    store, c = named_db(tmp_path, folder)
    out = tmp_path / "labels.csv"
    main(["export", *folder, "--names", str(store.path), "--out", str(out)])
    fresh = tmp_path / "fresh.sqlite"
    assert main(["import-names", str(out), "--user", "bo", "--names", str(fresh)]) == 0
    assert "created" in capsys.readouterr().out
    assert c.match(NameStore(fresh).live()).names() == c.match(store.live()).names()


def test_export_without_a_names_database_writes_the_unnamed_hierarchy(tmp_path, folder):
    """A fresh machine: no names database yet. The export is the unnamed hierarchy, and
    no database is created by a read."""
    missing = tmp_path / "none.sqlite"
    out = tmp_path / "x.csv"
    assert main(["export", *folder, "--names", str(missing), "--out", str(out)]) == 0
    assert not missing.exists()
    images = read_images_csv(out)
    assert set(images["cluster_name"]) == {""} and len(images) == 30
    assert read_tree_csv(tmp_path / "x.tree.csv")["name"].eq("").all()
    search = json.loads((tmp_path / "x.json").read_text())["neighbour_search"]
    assert search["requested"] == "auto" and search["method"] == "exact"  # 30 images


def test_export_errors_say_what_to_do(tmp_path, folder, capsys):
    NameStore(tmp_path / "names.sqlite")
    assert main(["export", *folder, "--names", str(tmp_path / "names.sqlite"), "--z",
                 str(Z_MIN / 2), "--out", str(tmp_path / "x.csv")]) == 2
    assert "Z must be" in capsys.readouterr().err
    assert main(["import-names", str(tmp_path / "x.csv"), "--user", "bo", "--names",
                 str(tmp_path / "other.sqlite")]) == 2
    assert "run parameters" in capsys.readouterr().err


def test_images_added_later_are_assigned_not_reclustered(tmp_path, folder):
    store, c = named_db(tmp_path, folder)
    first = tmp_path / "first.csv"
    main(["export", *folder, "--names", str(store.path), "--out", str(first)])
    before = read_images_csv(first)
    # four new images of the same two kinds arrive in the folder
    write_blob_images(tmp_path / "images" / "new", per_class=2, seed=7)
    second = tmp_path / "second.csv"
    assert main(["export", *folder, "--names", str(store.path), "--out", str(second),
                 "--reference", str(first)]) == 0
    after = read_images_csv(second)
    assert len(after) == len(before) + 4
    old = after[~after["assigned"]].set_index("id")
    assert set(old.index) == set(before["id"])
    assert (old.loc[before["id"], "cluster"].to_numpy() == before["cluster"].to_numpy()).all()
    assert (old.loc[before["id"], "cluster_name"].to_numpy()
            == before["cluster_name"].to_numpy()).all()
    new = after[after["assigned"]]
    assert new["path"].str.startswith("new/").all() and len(new) == 4
    # each new image joins the cluster that holds the originals of its kind
    kind_cluster = before.groupby("known_label")["cluster"].agg(lambda s: s.mode()[0])
    assert kind_cluster.nunique() == 2
    for row in new.itertuples():  # new/top-left-0.png is of kind top-left
        assert row.cluster == kind_cluster[row.path.split("/")[1].rsplit("-", 1)[0]]


def test_formula_text_in_names_notes_paths_and_labels_is_neutralised(tmp_path):
    images = tmp_path / "images"
    labels = write_hostile_folder(images)
    folder = ["--images", str(images), "--labels", str(labels), "--cache-dir",
              str(tmp_path / "cache"), "--maxk", "10", "--no-progress"]
    c = labelled(build_parser().parse_args(["export", *folder, "--out", "x.csv"]))
    store = NameStore(tmp_path / "names.sqlite")
    store.create(kind="cluster", name=HYPERLINK, note="@SUM(A1)\nsecond line",
                 anchor=c.anchor(0), user="-bo", run=c.run)
    if c.tree.n_nodes > 1:
        store.create(kind="node", name="+all", anchor=c.anchor(c.tree.root), user="ana",
                     run=c.run)
    out = tmp_path / "labels.csv"
    assert main(["export", *folder, "--names", str(store.path), "--out", str(out)]) == 0
    images_csv = out.read_text(encoding="utf-8")
    tree_csv = out.with_name("labels.tree.csv").read_text(encoding="utf-8")
    assert formula_cells(images_csv) == [] and formula_cells(tree_csv) == []
    assert {f"'{HYPERLINK}", "'+cmd.png", "'=1+1.png", "'@SUM(A1).png", "'-2+3.png",
            f"'{HOSTILE_LABEL}"} <= set(csv_cells(images_csv))
    assert {"'@SUM(A1)\nsecond line", "'-bo"} <= set(csv_cells(tree_csv))
    # and reading the export back gives the text exactly as typed
    back = read_images_csv(out)
    assert set(HOSTILE_FILES) <= set(back["path"]) and HYPERLINK in set(back["cluster_name"])
    tree = read_tree_csv(out.with_name("labels.tree.csv"))
    assert tree.loc[0, "note"] == "@SUM(A1)\nsecond line" and tree.loc[0, "named_by"] == "-bo"
