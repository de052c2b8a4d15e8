"""Scale readings in the pipeline, and runs restricted to one scale group."""

import csv

import numpy as np
import pytest

import compute.scale.dataset as scale_dataset
from compute.cli import main
from compute.pipeline import analyse_folder
from tests.compute._image_fixtures import NANOWIRES, NANOWIRES_REASON, pixel_config


def _groups_by_path(analysis) -> dict[str, str]:
    return {path: reading.group_or_reason
            for path, reading in zip(analysis.embeddings.paths, analysis.scales, strict=True)}


@pytest.mark.slow
def test_every_embedded_row_has_its_scale_reading(sem_folder, sem_cache):
    folder, truth = sem_folder
    seen = []
    analysis = analyse_folder(pixel_config(images=str(folder)), cache_dir=sem_cache,
                              progress=lambda done, total: seen.append((done, total)))
    assert len(analysis.scales) == len(analysis.embeddings.ids) == len(truth)
    assert _groups_by_path(analysis) == truth
    by_path = dict(zip(analysis.embeddings.paths, analysis.scales, strict=True))
    bar = by_path["two-um-0.png"]
    assert bar.source == "ocr" and bar.label == "2 um" and bar.bar_px > 0
    assert bar.nm_per_pixel == pytest.approx(2000 / bar.bar_px)
    assert by_path["plain-0.png"].status == "no_data_bar"
    assert analysis.scale_selection is None
    assert "scales: " in analysis.summary() and "no scale (no data bar)" in analysis.summary()
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1] == (1000, 1000)


@pytest.mark.slow
def test_a_scale_group_restricts_the_run_and_counts_the_rest(sem_folder, sem_cache,
                                                             monkeypatch):
    folder, truth = sem_folder
    analyse_folder(pixel_config(images=str(folder)), cache_dir=sem_cache)  # OCR once

    def no_ocr(*args, **kwargs):
        raise AssertionError("a data bar was read again despite the cache")

    monkeypatch.setattr(scale_dataset, "read_scale", no_ocr)
    analysis = analyse_folder(pixel_config(images=str(folder), scale_group="1-2um"),
                              cache_dir=sem_cache)
    kept = {f for f, g in truth.items() if g in ("1 um", "2 um")}
    assert set(analysis.embeddings.paths) == kept == {r.path for r in analysis.dataset.usable}
    assert analysis.knn.indices.shape[0] == analysis.topography.clustering.labels.shape[0] \
        == len(kept)
    selection = analysis.scale_selection
    assert (selection.group, selection.kept, selection.excluded) == ("1-2 um", 6, 5)
    assert dict(selection.other_groups) == {"200 nm": 3}
    assert dict(selection.no_scale) == {"no data bar": 2}
    assert "scale group 1-2 um: 6 images kept, 5 excluded" in analysis.summary()
    everything = analyse_folder(pixel_config(images=str(folder)), cache_dir=sem_cache)
    assert analysis.dataset.fingerprint != everything.dataset.fingerprint


def test_an_unknown_group_lists_the_valid_names_before_any_work(tmp_path):
    with pytest.raises(ValueError, match=r"unknown scale group '3um'.*'1-2 um'"):
        analyse_folder(pixel_config(images=str(tmp_path / "missing"), scale_group="3um"),
                       cache_dir=tmp_path)


def test_a_scale_group_needs_the_scale_readings(tmp_path):
    with pytest.raises(ValueError, match="needs the scale readings"):
        analyse_folder(pixel_config(images=str(tmp_path), scales=False, scale_group="1 um"),
                       cache_dir=tmp_path)


@pytest.mark.slow
def test_an_empty_group_says_which_groups_there_are(sem_folder, sem_cache):
    folder, _ = sem_folder
    with pytest.raises(ValueError, match=r"no image .* is in scale group '10 um'.*"
                                         r"choose a group present there: .*200 nm \(3\)"):
        analyse_folder(pixel_config(images=str(folder), scale_group="10um"),
                       cache_dir=sem_cache)


def test_scales_can_be_switched_off(blob_folder, tmp_path):
    images, labels = blob_folder
    off = analyse_folder(pixel_config(images=str(images), labels=str(labels), scales=False),
                         cache_dir=tmp_path)
    on = analyse_folder(pixel_config(images=str(images), labels=str(labels)),
                        cache_dir=tmp_path)
    assert off.scales is None and "scales" not in off.summary()
    assert {r.group_or_reason for r in on.scales} == {"no scale (no data bar)"}
    np.testing.assert_array_equal(on.embeddings.vectors, off.embeddings.vectors)


@pytest.mark.slow
def test_run_command_writes_scales_and_reports_the_group(sem_folder, sem_cache, tmp_path,
                                                         capsys):
    folder, truth = sem_folder
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out), "--cache-dir", str(sem_cache),
                 "--scale-group", "1-2um", "--no-progress",
                 "--backbone", "pixels"]) == 0
    printed = capsys.readouterr().out
    assert "scale group 1-2 um: 6 images kept, 5 excluded" in printed
    with (out / "scales.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["row"]) for r in rows] == list(range(6))
    assert {r["path"]: r["group"] for r in rows} == {
        f: g for f, g in truth.items() if g in ("1 um", "2 um")}
    assert np.load(out / "embeddings.npy").shape[0] == 6


def test_run_command_rejects_bad_groups_in_one_line(blob_folder, tmp_path, capsys):
    images, _ = blob_folder
    code = main(["run", str(images), "--out", str(tmp_path / "o"), "--cache-dir",
                 str(tmp_path / "c"), "--scale-group", "3 um", "--no-progress",
                 "--backbone", "pixels"])
    assert code == 2
    err = capsys.readouterr().err
    assert "error: unknown scale group '3 um': choose one of" in err and "'1-2 um'" in err
    code = main(["run", str(images), "--out", str(tmp_path / "o"), "--cache-dir",
                 str(tmp_path / "c"), "--scale-group", "2um", "--no-progress",
                 "--backbone", "pixels"])
    assert code == 2
    assert "no image there has a readable scale" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not NANOWIRES.is_dir(), reason=NANOWIRES_REASON)
def test_real_nanowire_images_go_through_as_no_data_bar(tmp_path):
    analysis = analyse_folder(pixel_config(images=str(NANOWIRES)), cache_dir=tmp_path)
    assert len(analysis.scales) == len(analysis.embeddings.ids) >= 90
    assert {r.status for r in analysis.scales} == {"no_data_bar"}
    assert {r.group_or_reason for r in analysis.scales} == {"no scale (no data bar)"}
    assert all(r.label is None and r.nm_per_pixel is None for r in analysis.scales)


@pytest.mark.slow
def test_embed_command_embeds_only_the_group(sem_folder, sem_cache, tmp_path, capsys):
    folder, truth = sem_folder
    out = tmp_path / "emb"
    assert main(["embed", str(folder), "--out", str(out), "--model", "pixels",
                 "--cache-dir", str(sem_cache), "--scale-group", "200nm", "--workers", "0",
                 "--no-progress"]) == 0
    assert "scale group 200 nm: 3 images kept, 8 excluded" in capsys.readouterr().out
    with (out / "manifest.csv").open(encoding="utf-8") as fh:
        embedded = {r["path"] for r in csv.DictReader(fh) if r["row"]}
    assert embedded == {f for f, g in truth.items() if g == "200 nm"}
    assert np.load(out / "embeddings.npy").shape[0] == 3


@pytest.mark.slow
def test_export_command_exports_only_the_group(sem_folder, sem_cache, tmp_path):
    from compute.naming import NameStore
    from compute.naming.export import read_images_csv

    folder, truth = sem_folder
    names = NameStore(tmp_path / "names.sqlite").path
    out = tmp_path / "labels.csv"
    assert main(["export", "--images", str(folder), "--cache-dir", str(sem_cache),
                 "--scale-group", "1-2 um", "--names", str(names), "--out", str(out),
                 "--no-progress",
                 "--backbone", "pixels"]) == 0
    assert set(read_images_csv(out)["path"]) == {f for f, g in truth.items()
                                                 if g in ("1 um", "2 um")}
