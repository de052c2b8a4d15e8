"""Shared fixtures: small image folders written by the tests themselves."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_IMAGES = REPO_ROOT / "data" / "demo" / "images"
DEMO_LABELS = REPO_ROOT / "data" / "demo" / "labels.csv"


def write_blob_images(folder: Path, *, per_class: int = 6, size: int = 32,
                      seed: int = 0) -> Path:
    """Two visually distinct classes (bright square top-left / bottom-right) plus labels.csv.

    Returns the labels CSV path (columns path,label).
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for label, corner in (("top-left", (0, 0)), ("bottom-right", (size // 2, size // 2))):
        for i in range(per_class):
            img = rng.integers(0, 40, (size, size), dtype=np.uint8)
            r, c = corner
            img[r:r + size // 2, c:c + size // 2] = 200 + rng.integers(0, 50)
            name = f"{label}-{i}.png"
            Image.fromarray(img).save(folder / name)
            rows.append((name, label))
    labels = folder.parent / f"{folder.name}-labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label"])
        writer.writerows(rows)
    return labels


@pytest.fixture
def blob_folder(tmp_path: Path) -> tuple[Path, Path]:
    """(image folder, labels CSV) with 12 small PNGs in two classes."""
    images = tmp_path / "images"
    labels = write_blob_images(images)
    return images, labels
