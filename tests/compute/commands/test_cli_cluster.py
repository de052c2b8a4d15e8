"""``python -m compute cluster``: outputs, labels CSV, errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from compute.cli import main
from compute.params import Z_MIN, AnalysisParams, default_k
from tests.compute.adp_toys import rays
from tests.hostile_text import HOSTILE_LABEL, formula_cells


@pytest.fixture(scope="module")
def embeddings(tmp_path_factory):
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1], 120)
    x = np.array([[0.0, 0, 0], [9.0, 0, 0]])[truth] + rng.normal(size=(240, 3))
    folder = tmp_path_factory.mktemp("emb")
    np.save(folder / "emb.npy", x.astype(np.float32))
    labels = folder / "labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "label"])
        for row in range(0, 240, 3):  # a third of the rows labelled
            writer.writerow([row, "left" if truth[row] == 0 else "right"])
    return folder / "emb.npy", labels


def read_rows(path):
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_cluster_writes_csv_and_json(embeddings, tmp_path, capsys):
    emb, labels = embeddings
    out = tmp_path / "out"
    assert main(["cluster", str(emb), "--maxk", "30", "--halo", "--halo-rule", "dadapy",
                 "--space", "full", "--density", "pak", "--z", "1.65",
                 "--labels", str(labels), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "intrinsic dimension" in printed and "2 clusters" in printed
    assert "NMI 1.000" in printed
    rows = read_rows(out / "clusters.csv")
    assert [int(r["row"]) for r in rows] == list(range(240))
    assert {"row", "cluster", "is_peak", "is_halo", "label"} <= set(rows[0])
    clusters = np.array([int(r["cluster"]) for r in rows])
    halo = np.array([r["is_halo"] == "1" for r in rows])
    assert ((clusters == -1) == halo).all() and set(clusters[~halo]) == {0, 1}
    doc = json.loads((out / "topography.json").read_text())
    assert len(doc["clusters"]) == 2
    peaks = [int(r["row"]) for r in rows if r["is_peak"] == "1"]
    assert sorted(peaks) == sorted(c["centre_row"] for c in doc["clusters"])
    assert sum(c["population"] for c in doc["clusters"]) == 240
    assert len(doc["saddles"]["log_density"]) == 2 and doc["saddles"]["log_density"][0][0] is None
    assert len(doc["dendrogram"]["linkage"]) == 1 and len(doc["mds"]) == 2
    assert doc["parameters"]["z"] == 1.65 and 2.0 < doc["intrinsic_dimension"] < 4.0
    assert doc["scores"]["nmi"] == pytest.approx(1.0)
    assert all(m["z"] < 1.65 for m in doc["merges"])


def test_knn_density_without_labels(embeddings, tmp_path, capsys):
    emb, _ = embeddings
    assert main(["cluster", str(emb), "--maxk", "30", "--density", "knn", "--k", "10",
                 "--z", "2.3", "--out", str(tmp_path), "--no-progress"]) == 0
    assert "NMI" not in capsys.readouterr().out
    rows = read_rows(tmp_path / "clusters.csv")
    assert "label" not in rows[0] and all(r["cluster"] != "-1" for r in rows)


@pytest.mark.parametrize("content, message", [
    ("id,label\n1,a\n", "'row' and 'label'"),
    ("row,label\nx,a\n", "not an integer"),
    ("row,label\n999,a\n", "outside 0..239"),
    ("row,label\n1,a\n1,b\n", "listed twice"),
])
def test_bad_labels_csv(embeddings, tmp_path, capsys, content, message):
    emb, _ = embeddings
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    assert main(["cluster", str(emb), "--labels", str(bad), "--out", str(tmp_path),
                 "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_bad_embeddings_and_z(tmp_path, capsys, embeddings):
    emb, _ = embeddings
    np.save(tmp_path / "flat.npy", np.zeros(10))
    assert main(["cluster", str(tmp_path / "flat.npy"), "--out", str(tmp_path)]) == 2
    assert "expected (N, D)" in capsys.readouterr().err
    assert main(["cluster", str(tmp_path / "missing.npy"), "--out", str(tmp_path)]) == 2
    assert main(["cluster", str(emb), "--z", str(Z_MIN / 2), "--out", str(tmp_path),
                 "--no-progress"]) == 2
    assert "Z must be" in capsys.readouterr().err


def test_labels_that_look_like_formulas_are_neutralised(embeddings, tmp_path):
    emb, _ = embeddings
    labels = tmp_path / "labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "label"])
        writer.writerows([[0, HOSTILE_LABEL], [1, "+1"], [2, "@x"], [3, "plain"]])
    out = tmp_path / "out"
    assert main(["cluster", str(emb), "--maxk", "30", "--labels", str(labels),
                 "--out", str(out), "--no-progress"]) == 0
    text = (out / "clusters.csv").read_text(encoding="utf-8")
    assert formula_cells(text) == []
    assert [r["label"] for r in read_rows(out / "clusters.csv")[:4]] == [
        f"'{HOSTILE_LABEL}", "'+1", "'@x", "plain"]


def test_cosine_metric_is_applied_and_recorded(tmp_path, capsys):
    x, truth = rays()
    np.save(tmp_path / "rays.npy", x)
    assert main(["cluster", str(tmp_path / "rays.npy"), "--maxk", "30", "--metric", "cosine",
                 "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    topography = json.loads((tmp_path / "out" / "topography.json").read_text())
    assert topography["parameters"]["metric"] == "cosine"
    clusters = [int(r["cluster"]) for r in read_rows(tmp_path / "out" / "clusters.csv")]
    assert len(set(clusters)) == 2 and len(set(zip(clusters, truth, strict=True))) == 2


@pytest.mark.parametrize("flag", [[], ["--knn", "auto"], ["--knn", "ivf"]])
def test_cluster_records_the_neighbour_search(embeddings, tmp_path, capsys, flag):
    emb, _ = embeddings
    assert main(["cluster", str(emb), "--maxk", "20", *flag, "--out", str(tmp_path),
                 "--no-progress"]) == 0
    search = json.loads((tmp_path / "topography.json").read_text())["neighbour_search"]
    requested = flag[1] if flag else "auto"
    assert search["requested"] == requested
    if requested == "ivf":  # approximate: its recall measured on every row (240 < sample)
        assert search["method"] == "ivf" and search["recall_sample"] == 240
        assert 0.9 <= search["recall"] <= 1.0
        assert "ivf neighbours, recall@20" in capsys.readouterr().out
    else:  # 240 images: auto searches exactly
        assert search["method"] == "exact" and search["recall"] is None
        assert "exact neighbours" in capsys.readouterr().out


def test_default_cluster_records_the_concrete_parameters(embeddings, tmp_path, capsys):
    """No analysis flag: the defaults, with the suggested Z, the folder's default k and the
    resolved metric written as numbers and names (an embedding.json beside the .npy says
    CNN: cosine)."""
    emb, _ = embeddings
    (emb.parent / "embedding.json").write_text(json.dumps({"backbone": "resnet18"}))
    assert main(["cluster", str(emb), "--out", str(tmp_path), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    doc = json.loads((tmp_path / "topography.json").read_text())
    written = doc["parameters"]
    defaults = AnalysisParams().to_dict()
    assert written["metric"] == "cosine" and written["z"] == doc["suggested_cut"]["z"]
    assert written["k"] == default_k(len(np.unique(np.load(emb), axis=0)), written["maxk"])
    assert {k: v for k, v in written.items() if k not in ("metric", "z", "k")} == \
        {k: v for k, v in defaults.items() if k not in ("metric", "z", "k")}
    assert "suggested cut Z" in printed and "UMAP manifold" in printed
    assert doc["manifold_dimension"] == 2
    (emb.parent / "embedding.json").write_text(json.dumps({"backbone": "pixels"}))
    assert main(["cluster", str(emb), "--out", str(tmp_path), "--no-progress"]) == 0
    assert json.loads((tmp_path / "topography.json").read_text())["parameters"]["metric"] == \
        "euclidean"
    (emb.parent / "embedding.json").unlink()
