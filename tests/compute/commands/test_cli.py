import csv
import json

import numpy as np
import pytest

from compute.cli import build_parser, main
from compute.embed import DEFAULT_BACKBONE, representation_kind


def test_help_lists_only_existing_subcommands(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert "run" in out


def test_run_writes_aligned_outputs(blob_folder, tmp_path, capsys):
    images, labels = blob_folder
    out = tmp_path / "out"
    rc = main(["run", str(images), "--labels", str(labels), "--out", str(out),
               "--cache-dir", str(tmp_path / "cache"), "--no-progress"])
    assert rc == 0
    emb = np.load(out / "embeddings.npy")
    with (out / "manifest.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert emb.shape[0] == len(rows) == 12
    assert sorted(int(r["row"]) for r in rows) == list(range(12))
    assert np.load(out / "projection.npy").shape == (12, 2)
    info = json.loads((out / "embedding.json").read_text())  # the default representation
    assert info["kind"] == representation_kind(DEFAULT_BACKBONE) and emb.shape[1] == info["dim"]
    assert "whole image" in info["preprocessing"]
    search = json.loads((out / "clusters.json").read_text())["neighbour_search"]
    assert search["requested"] == "auto" and search["method"] == "exact"  # 12 images
    assert "suggested cut Z = " in capsys.readouterr().out  # with its caveat where narrow


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    rc = main(["run", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--no-progress"])
    assert rc == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_subcommand_builds_only_its_own_options():
    """``python -m compute cluster`` does not import what the other commands need (CNNs,
    the scale reader): a whole process stays fast. ``--help`` still lists them all."""
    import subprocess
    import sys

    code = ("import sys; from compute.cli import build_parser; "
            "p = build_parser(['cluster', 'x.npy', '--out', 'o']); "
            "a = p.parse_args(['cluster', 'x.npy', '--knn', 'ivf', '--out', 'o']); "
            "print(a.knn_method, 'compute.embed' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["ivf", "False"]
    from compute.cli import build_parser

    listed = build_parser([]).format_help()
    assert all(name in listed for name in ("cluster", "embed", "run", "export", "quality"))
