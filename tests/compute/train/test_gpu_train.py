"""benchmarks.gpu_train at toy size on the CPU: the path the lent GPU runs, end to end."""

import json

import pytest

from tests.compute.train_toys import one_torch_thread  # noqa: F401

FMNIST = "/usr/share/datasets/fashion-mnist"


@pytest.mark.slow
def test_gpu_script_trains_evaluates_publishes_and_brings_weights_back(tmp_path):
    from pathlib import Path

    from benchmarks.gpu_train import main
    from compute.train.library import list_trained

    if not (Path(FMNIST) / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("needs Debian's dataset-fashion-mnist")
    out, keep = tmp_path / "out", tmp_path / "keep"
    assert main(["--out", str(out), "--keep", str(keep), "--device", "cpu", "--toy",
                 "--bring-back", "finetune"]) == 0
    report = json.loads((out / "report.json").read_text())
    strategies = [e["strategy"] for e in report["results"]]
    assert strategies == ["pixels-pca50", "simclr", "deepcluster", "finetune", "triplet"]
    for entry in report["results"]:
        assert 0.0 <= entry["defaults"]["nmi"] <= 1.0 and entry["kmeans_nmi"] >= 0.0
    library = {w.metadata.strategy: w.name for w in list_trained(keep / "weights")}
    assert sorted(library) == ["deepcluster", "finetune", "simclr", "triplet"]
    assert "| finetune | 1 |" in (out / "report.md").read_text()
    parts = sorted((out / "parts").iterdir())
    assert parts and all(p.stat().st_size <= 15 * 1024 * 1024 for p in parts)
    assert all(p.name.startswith("finetune-") for p in parts)
    joined = tmp_path / "joined"
    assert main(["--join", str(out / "parts"), "--library", str(joined)]) == 0
    (back,) = list_trained(joined)
    assert back.metadata.strategy == "finetune" and back.metadata.epochs == 1


def test_batched_augmentation_gives_per_image_views_in_range():
    import torch

    from compute.train.augment import batched_augmentation

    x = torch.rand(6, 3, 40, 40)
    augment = batched_augmentation(32, min_scale=0.2, device="cpu", rotation=10.0,
                                   brightness=0.4, contrast=0.4, saturation=0.4, p_gray=0.5)
    torch.manual_seed(0)
    a = augment(x)
    torch.manual_seed(0)
    b = augment(x)
    assert a.shape == (6, 3, 32, 32) and torch.equal(a, b)
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0
    same = augment(x[:1].expand(6, -1, -1, -1).contiguous())
    assert not torch.allclose(same[0], same[1])  # each image its own crop and jitter
    plain = batched_augmentation(40, min_scale=1.0, device="cpu")  # no jitter asked
    flat = torch.full((4, 3, 40, 40), 0.25)
    assert torch.allclose(plain(flat), torch.full((4, 3, 40, 40), 0.25))
