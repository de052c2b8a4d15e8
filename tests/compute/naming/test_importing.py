"""Names from an uploaded export: read (zip or files), placed, previewed, applied."""

import io
import zipfile

import pytest

from compute.naming import NameStore
from compute.naming.export import export_texts, import_names
from compute.naming.importing import (
    CREATE,
    SKIP,
    UNCHANGED,
    UPDATE,
    place_names,
    plan_import,
    read_upload,
    to_apply,
)
from tests.hierarchy_data import RUN, toy_clustering


@pytest.fixture
def exported(tmp_path):
    """(clustering, the export's texts) with names on the root, cluster 0 and cluster 3."""
    store = NameStore(tmp_path / "names.sqlite")
    c = toy_clustering()
    for node, name in {c.tree.root: "all", 0: "vertical arrays", 3: "=dots"}.items():
        store.create(kind="cluster" if c.tree.is_leaf(node) else "node", name=name,
                     anchor=c.anchor(node), user="ana", run=RUN)
    return c, export_texts(c, c.match(store.live()))


def zipped(texts) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("topograph-x-z1.65.csv", texts.images_csv)
        archive.writestr("topograph-x-z1.65.tree.csv", texts.tree_csv)
        archive.writestr("topograph-x-z1.65.json", texts.sidecar_json)
    return buffer.getvalue()


def test_a_zipped_export_reads_as_its_three_files(exported):
    _, texts = exported
    upload = read_upload({"export.zip": zipped(texts)})
    assert (upload.images_csv, upload.tree_csv, upload.sidecar_json) == \
        (texts.images_csv, texts.tree_csv, texts.sidecar_json)
    assert upload.run() == RUN


def test_the_preview_says_what_will_be_created_updated_or_left_alone(exported, tmp_path):
    c, texts = exported
    upload = read_upload({"a.csv": texts.images_csv.encode(),
                          "a.tree.csv": texts.tree_csv.replace("vertical arrays",
                                                               "tall arrays").encode()})
    placed = place_names(upload, c)
    here = frozenset(c.ids)
    fresh = NameStore(tmp_path / "fresh.sqlite")
    plan = plan_import(fresh.live(), placed, here)
    assert sorted((p.item.name, p.action) for p in plan) == \
        [("=dots", CREATE), ("all", CREATE), ("tall arrays", CREATE)]
    assert {p.item.name: p.members_here for p in plan}["all"] == len(c.ids)
    import_names(fresh, to_apply(plan), user="cy", run=RUN)
    names = c.match(fresh.live()).names()
    assert names[0] == "tall arrays" and names[3] == "=dots"

    back = place_names(read_upload({"x.zip": zipped(texts)}), c)
    again = {p.item.name: (p.action, p.current) for p in plan_import(fresh.live(), back, here)}
    assert again == {"all": (UNCHANGED, "all"), "=dots": (UNCHANGED, "=dots"),
                     "vertical arrays": (UPDATE, "tall arrays")}


def test_names_of_other_images_are_skipped(exported):
    c, texts = exported
    placed = place_names(read_upload({"x.zip": zipped(texts)}), c)
    plan = plan_import([], placed, frozenset({"not-an-id-of-the-export"}))
    assert {p.action for p in plan} == {SKIP} and to_apply(plan) == []
    assert all("not this folder's" in p.why for p in plan)


def test_a_tree_csv_alone_places_its_clusters_by_their_peak_image(exported):
    c, texts = exported
    placed = place_names(read_upload({"labels.tree.csv": texts.tree_csv.encode()}), c)
    assert sorted(n.name for n in placed.names) == ["=dots", "vertical arrays"]
    dots = next(n for n in placed.names if n.name == "=dots")
    assert dots.anchor == c.anchor(3)
    assert [name for name, _ in placed.not_placed] == ["all"]
    assert "per-image .csv" in placed.not_placed[0][1]


@pytest.mark.parametrize(("files", "words"), [
    ({"labels.csv": b"id,cluster\n"}, "no .tree.csv"),
    ({"x.zip": b"not a zip"}, "not a readable zip"),
    ({"a.tree.csv": b"\xff\xfe\x00"}, "not UTF-8"),
])
def test_wrong_uploads_say_what_to_upload(files, words):
    with pytest.raises(ValueError, match=words) as refused:
        read_upload(files)
    assert ".zip" in str(refused.value) or "zip" in words


def test_a_csv_that_is_not_an_export_is_refused(exported):
    c, _ = exported
    upload = read_upload({"a.tree.csv": b"x,y\n1,2\n", "a.csv": b"x\n1\n"})
    with pytest.raises(ValueError, match="not a Topograph export"):
        place_names(upload, c)
