"""Features shipped with a folder (the demo's): used only where images and model match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compute.embed import DEFAULT_BACKBONE, embed_dataset, prepare_model
from compute.embed.seed import seed_path, write_seed
from compute.ingest import scan_folder
from tests.compute._image_fixtures import texture

DEMO_IMAGES = Path(__file__).resolve().parents[3] / "data" / "demo" / "images"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "images"
    root.mkdir()
    for i in range(4):
        Image.fromarray(texture(28, 28, seed=i)).save(root / f"img{i}.png")
    return root


def test_shipped_vectors_are_used_for_matching_images_only(folder: Path, tmp_path) -> None:
    computed = embed_dataset(scan_folder(folder), backbone="pixels", workers=0)
    shipped = computed.vectors[:3] + 0.5  # recognisably not what the model computes
    write_seed(folder, computed.key, computed.ids[:3], shipped)
    Image.fromarray(texture(28, 28, seed=9)).save(folder / "new.png")  # not shipped
    seeded = embed_dataset(scan_folder(folder), backbone="pixels", workers=0,
                           store_dir=tmp_path / "store")
    by_id = dict(zip(seeded.ids, seeded.vectors, strict=True))
    for image_id, vector in zip(computed.ids[:3], shipped, strict=True):
        np.testing.assert_allclose(by_id[image_id], vector, rtol=1e-3)  # float16 in the file
    np.testing.assert_array_equal(by_id[computed.ids[3]], computed.vectors[3])
    assert len(seeded.ids) == 5


def test_shipped_vectors_of_another_model_are_ignored(folder: Path) -> None:
    computed = embed_dataset(scan_folder(folder), backbone="pixels", workers=0)
    path = write_seed(folder, "another-model-key", computed.ids, computed.vectors + 0.5)
    path.rename(seed_path(folder, computed.key))  # right file name, wrong key inside
    again = embed_dataset(scan_folder(folder), backbone="pixels", workers=0)
    np.testing.assert_array_equal(again.vectors, computed.vectors)


def test_the_shipped_folder_is_not_scanned_as_images(folder: Path) -> None:
    computed = embed_dataset(scan_folder(folder), backbone="pixels", workers=0)
    write_seed(folder, computed.key, computed.ids, computed.vectors)
    assert len(scan_folder(folder).records) == 4


def test_a_folder_whose_vectors_are_all_shipped_never_loads_the_network(
        folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import compute.embed

    model = prepare_model("resnet18", weights="random", input_size=32)
    computed = embed_dataset(scan_folder(folder), backbone="resnet18", weights="random",
                             input_size=32, workers=0)
    write_seed(folder, model.key, computed.ids, computed.vectors)

    def no_network(*_args, **_kwargs):
        raise AssertionError("the network was built although every vector was shipped")

    monkeypatch.setattr(compute.embed, "build_model", no_network)
    again = embed_dataset(scan_folder(folder), backbone="resnet18", weights="random",
                          input_size=32, workers=0)
    np.testing.assert_allclose(again.vectors, computed.vectors, rtol=1e-3, atol=1e-3)
    Image.fromarray(texture(28, 28, seed=7)).save(folder / "new.png")
    with pytest.raises(AssertionError, match="network was built"):  # one missing: it must
        embed_dataset(scan_folder(folder), backbone="resnet18", weights="random",
                      input_size=32, workers=0)


def test_the_demo_ships_the_default_representation_of_every_image() -> None:
    """Fails when the preprocessing, weights or code version change without
    ``python data/make_demo.py --features-only``."""
    model = prepare_model(DEFAULT_BACKBONE)
    path = seed_path(DEMO_IMAGES, model.key)
    assert path.is_file(), f"{path} missing: run python data/make_demo.py --features-only"
    with np.load(path) as data:
        assert str(data["key"]) == model.key and data["vectors"].shape[1] == model.dim
        shipped = set(data["ids"].tolist())
    assert {r.id for r in scan_folder(DEMO_IMAGES).usable} <= shipped
    assert path.stat().st_size < 8_000_000
