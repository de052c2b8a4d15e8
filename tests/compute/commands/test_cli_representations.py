"""``python -m compute representations``: the table, the files, the suggestion."""

from __future__ import annotations

import json

import pandas as pd

from compute.cli import main
from tests.compute.train_toys import one_torch_thread, write_toy_folder  # noqa: F401


def test_representations_command_writes_the_table_and_suggests_one(tmp_path, capsys):
    folder, labels = write_toy_folder(tmp_path, n_per_class=8)
    out = tmp_path / "out"
    code = main(["representations", str(folder), "--labels", str(labels), "--no-library",
                 "--also", "resnet18:random:32", "--cache-dir", str(tmp_path / "cache"),
                 "--sample", "20", "--maxk", "8", "--density", "knn", "--k", "5",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    table = pd.read_csv(out / "representations.csv")
    assert list(table["name"]) == ["pixels", "imagenet (efficientnet_lite0)",
                                   "resnet18:random:32"]
    assert table["nmi"].between(0, 1).all() and table["consistency"].between(0, 1).all()
    summary = json.loads((out / "representations.json").read_text())
    assert summary["params"]["maxk"] == 8 and summary["n_labelled"] == 24
    assert summary["suggestion"]["name"] in set(table["name"])
    printed = capsys.readouterr().out
    assert "suggested: " in printed and "Spearman with NMI" in printed


def test_a_bad_candidate_is_refused_with_the_syntax(tmp_path, capsys):
    folder, _ = write_toy_folder(tmp_path)
    assert main(["representations", str(folder), "--also", "resnet18",
                 "--cache-dir", str(tmp_path / "c")]) == 2
    assert "BACKBONE:WEIGHTS" in capsys.readouterr().err


def test_only_also_needs_a_candidate(tmp_path, capsys):
    folder, _ = write_toy_folder(tmp_path)
    assert main(["representations", str(folder), "--only-also",
                 "--cache-dir", str(tmp_path / "c")]) == 2
    assert "--only-also needs at least one --also" in capsys.readouterr().err
