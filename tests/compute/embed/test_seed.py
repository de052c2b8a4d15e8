"""Features shipped with a folder (the demo's): used only where images and model match."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from compute.embed import embed_dataset
from compute.embed.seed import seed_path, write_seed
from compute.ingest import scan_folder
from tests.compute._image_fixtures import texture


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
