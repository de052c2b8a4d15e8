"""Shared fixtures: small image folders written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imagefiles import write_blob_images

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_IMAGES = REPO_ROOT / "data" / "demo" / "images"
DEMO_LABELS = REPO_ROOT / "data" / "demo" / "labels.csv"


@pytest.fixture
def blob_folder(tmp_path: Path) -> tuple[Path, Path]:
    """(image folder, labels CSV) with 12 small PNGs in two classes."""
    images = tmp_path / "images"
    labels = write_blob_images(images)
    return images, labels
