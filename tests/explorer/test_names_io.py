"""Names in and out of the page: the zip export, the import's preview and its result."""

import base64

import pytest

from compute.naming import NameStore
from compute.params import AnalysisParams
from explorer import state
from explorer.config import AppConfig
from explorer.hierarchy.views import card_view, export_view, save_view
from explorer.names_io import apply_view, preview_view, uploaded_files
from explorer.state import View, analysis_key, pipeline_config
from tests.exports import split_export
from tests.imagefiles import write_blob_images

Z = View(z=1.65).store()


@pytest.fixture
def app(tmp_path):
    images = tmp_path / "images"
    labels = write_blob_images(images, per_class=15)
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                       names_db=tmp_path / "names.sqlite")
    key = analysis_key(pipeline_config(config, analysis=AnalysisParams(maxk=10)))
    yield config, key
    state.forget()


def as_upload(download: dict) -> tuple[list[str], list[str]]:
    """What dcc.Upload sends for the downloaded zip: data URLs and file names."""
    return ([f"data:application/zip;base64,{download['content']}"], [download["filename"]])


def named_export(config, key, name="tall arrays") -> dict:
    _, _, _, editing = card_view(config, key, Z, {"node": 0})
    assert save_view(config, key, Z, editing, name=name, note="seen at 20 kV", user="ana")[1]
    return export_view(config, key, Z)


def test_the_zip_holds_the_csv_the_tree_and_the_sidecar(app):
    config, key = app
    download = named_export(*app)
    assert download["filename"] == "topograph-images-z1.65.zip"
    images_csv, tree_csv, sidecar = split_export(download)
    assert "tall arrays" in images_csv["content"] and "tall arrays" in tree_csv["content"]
    assert '"parameters"' in sidecar["content"]


def test_import_preview_then_result_into_another_names_database(app, tmp_path):
    config, key = app
    contents, names = as_upload(named_export(config, key))
    other = AppConfig(images=config.images, labels=config.labels, cache_dir=config.cache_dir,
                      names_db=tmp_path / "other.sqlite")
    preview, disabled = preview_view(other, key, Z, contents, names)
    assert not disabled
    assert "1 names: 1 to create, 0 to update" in str(preview) and "tall arrays" in str(preview)
    assert state.load_match(other, key, Z).names() == {}  # a preview saves nothing
    status, saved = apply_view(other, key, Z, contents, names, "cy")
    assert saved and status == "Imported: 1 created, 0 updated, 0 unchanged."
    assert state.load_match(other, key, Z).names() == {0: "tall arrays"}
    record = NameStore(other.names_db).live()[0]
    assert (record.note, record.updated_by) == ("seen at 20 kV", "cy")
    again, disabled = preview_view(other, key, Z, contents, names)
    assert "1 already saved" in str(again) and disabled  # nothing left to import


def test_import_of_a_renamed_export_shows_what_it_renames(app):
    config, key = app
    download = named_export(config, key)
    images_csv, tree_csv, _ = split_export(download)
    renamed = tree_csv["content"].replace("tall arrays", "short arrays")
    contents = [f"data:text/csv;base64,{base64.b64encode(t.encode()).decode()}"
                for t in (images_csv["content"], renamed)]
    names = ["old.csv", "old.tree.csv"]
    preview, _ = preview_view(config, key, Z, contents, names)
    assert "renames 'tall arrays'" in str(preview)
    assert apply_view(config, key, Z, contents, names, "") == \
        ("Type your name (above, in the naming form) first: it goes in the history.", False)
    assert apply_view(config, key, Z, contents, names, "bo")[1]
    assert state.load_match(config, key, Z).names() == {0: "short arrays"}


def test_a_wrong_upload_is_refused_with_what_to_upload(app):
    config, key = app
    contents = [f"data:text/plain;base64,{base64.b64encode(b'hello').decode()}"]
    preview, disabled = preview_view(config, key, Z, contents, ["notes.txt"])
    assert disabled and "Cannot import" in str(preview) and ".zip" in str(preview)


def test_uploaded_files_decodes_data_urls():
    data = base64.b64encode(b"a,b\n").decode()
    assert uploaded_files([f"data:text/csv;base64,{data}"], ["x.csv"]) == {"x.csv": b"a,b\n"}
