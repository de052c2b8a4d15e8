"""The ``train`` and ``quality`` subcommands end to end on tiny inputs."""

import csv
import json

import numpy as np
import pytest
from PIL import Image

from compute.cli import main
from compute.params import AnalysisParams, default_k
from compute.train.checkpoint import load_backbone, load_checkpoint
from tests.compute.train_toys import (  # noqa: F401
    one_torch_thread,
    write_toy_folder,
)


@pytest.fixture
def toy_folder(tmp_path):
    return write_toy_folder(tmp_path)


def test_train_finetune_writes_a_loadable_checkpoint(toy_folder, tmp_path, capsys):
    folder, labels = toy_folder
    ckpt = tmp_path / "ft.pt"
    rc = main(["train", str(folder), "--labels", str(labels), "--strategy", "finetune",
               "--input-size", "32", "--epochs", "1", "--batch-size", "6", "--threads", "1",
               "--no-progress", "--out", str(ckpt)])
    assert rc == 0 and "1 epochs" in capsys.readouterr().out
    backbone, meta = load_backbone(ckpt)
    assert (meta.input_size, meta.resize, meta.n_images) == (32, 37, 12)


def test_train_supervised_without_labels_is_a_clear_error(toy_folder, tmp_path, capsys):
    folder, _ = toy_folder
    rc = main(["train", str(folder), "--strategy", "triplet", "--input-size", "32",
               "--epochs", "1", "--no-progress", "--out", str(tmp_path / "t.pt")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--labels" in err


def test_train_on_a_missing_gpu_is_a_clear_error(toy_folder, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    folder, _ = toy_folder
    rc = main(["train", str(folder), "--strategy", "simclr", "--device", "cuda",
               "--epochs", "1", "--no-progress", "--out", str(tmp_path / "s.pt")])
    assert rc == 2
    assert "use --device cpu" in capsys.readouterr().err
    assert not (tmp_path / "s.pt").exists()


def test_train_autoencoder_on_an_embeddings_file(tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 12)).astype(np.float32)
    np.save(tmp_path / "emb.npy", x)
    rc = main(["train", str(tmp_path / "emb.npy"), "--strategy", "autoencoder", "--code-dim",
               "3", "--hidden", "8", "--epochs", "2", "--no-progress",
               "--out", str(tmp_path / "ae.pt")])
    assert rc == 0
    assert np.load(tmp_path / "ae.codes.npy").shape == (40, 3)
    assert load_checkpoint(tmp_path / "ae.pt").metadata.epochs == 2


def test_autoencoder_needs_an_npy(toy_folder, tmp_path, capsys):
    folder, _ = toy_folder
    rc = main(["train", str(folder), "--strategy", "autoencoder", "--no-progress",
               "--out", str(tmp_path / "ae.pt")])
    assert rc == 2 and ".npy" in capsys.readouterr().err


def test_quality_writes_json_and_heatmap(tmp_path):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.2, (30, 4)) for c in (0.0, 5.0)])
    np.save(tmp_path / "emb.npy", x)
    with (tmp_path / "manifest.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "path", "label"])
        for i in range(60):
            writer.writerow([59 - i, f"f{i}.png", "a" if 59 - i < 30 else "b"])
    rc = main(["quality", str(tmp_path / "emb.npy"), "--labels", str(tmp_path / "manifest.csv"),
               "--per-class", "10", "--out", str(tmp_path / "q"), "--no-progress"])
    assert rc == 0
    summary = json.loads((tmp_path / "q" / "quality.json").read_text())
    assert summary["pearson_r_label_distance"] > 0.8
    d = AnalysisParams()
    density = "pak" if d.density == "pak" else f"knn-k{default_k(60, d.maxk)}"  # 60 images
    assert [c["method"] for c in summary["clusters"]][:3] == [
        "kmeans-k2", "agglomerative-ward-k2", "hdbscan"]
    assert summary["clusters"][3]["method"].startswith(f"adp-{density}-z")
    assert summary["clusters"][3]["method"].endswith("-euclidean")  # no embedding.json: auto
    assert summary["clusters"][0]["nmi"] == pytest.approx(1.0)
    assert summary["clusters"][1]["nmi"] == pytest.approx(1.0)  # two far-apart blobs
    with Image.open(tmp_path / "q" / "heatmap.png") as im:
        assert im.size[0] == im.size[1] >= 20


def test_quality_label_count_mismatch_is_a_clear_error(tmp_path, capsys):
    np.save(tmp_path / "emb.npy", np.zeros((5, 2)))
    (tmp_path / "labels.csv").write_text("label\na\nb\n")
    rc = main(["quality", str(tmp_path / "emb.npy"), "--labels", str(tmp_path / "labels.csv"),
               "--out", str(tmp_path / "q"), "--no-progress"])
    assert rc == 2 and "'row' column" in capsys.readouterr().err


def test_quality_grid_writes_the_density_z_grid_and_reference_curves(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(c, 0.2, (40, 4)) for c in (0.0, 5.0, 10.0)])
    np.save(tmp_path / "emb.npy", x)
    (tmp_path / "labels.csv").write_text("label\n" + "".join(f"{i // 40}\n" for i in range(120)))
    assert main(["quality", str(tmp_path / "emb.npy"), "--labels", str(tmp_path / "labels.csv"),
                 "--grid", "--per-class", "10", "--out", str(tmp_path / "q"),
                 "--no-progress"]) == 0
    grid = pd.read_csv(tmp_path / "q" / "grid.csv")
    assert {"pak", "knn-k=10"} <= set(grid["density"]) and grid["nmi"].max() == pytest.approx(1)
    curves = pd.read_csv(tmp_path / "q" / "curves.csv")
    assert set(curves["curve"]) == {"agglomerative-ward", "agglomerative-average",
                                    "split-largest", "random"}
    chance = curves[curves["curve"] == "random"].set_index("n_clusters")["nmi"]
    assert chance.loc[3] < 0.2  # chance is low at the true count
    summary = json.loads((tmp_path / "q" / "quality.json").read_text())
    assert summary["clusters"][-1]["silhouette"] > 0.8  # three far-apart blobs


def test_train_adapt_writes_an_efficientnet_checkpoint_the_embedder_reads(toy_folder, tmp_path,
                                                                         capsys):
    from compute.embed import prepare_model
    from compute.train.checkpoint import load_checkpoint

    folder, _ = toy_folder
    ckpt = tmp_path / "adapt.pt"
    rc = main(["train", str(folder), "--strategy", "adapt", "--input-size", "32", "--epochs",
               "1", "--batch-size", "6", "--objective", "simclr", "--temperature", "0.3",
               "--no-progress", "--out", str(ckpt)])
    assert rc == 0 and "adapt: 1 epochs" in capsys.readouterr().out
    meta = load_checkpoint(ckpt).metadata
    assert (meta.backbone, meta.input_size) == ("efficientnet_lite0", 32)
    assert (meta.params["objective"], meta.params["temperature"]) == ("simclr", 0.3)
    assert prepare_model("efficientnet_lite0", weights=str(ckpt)).preprocessing.crop == 32
