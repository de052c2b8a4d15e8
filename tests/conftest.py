"""Shared fixtures: small image folders written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imagefiles import write_blob_images

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_IMAGES = REPO_ROOT / "data" / "demo" / "images"
DEMO_LABELS = REPO_ROOT / "data" / "demo" / "labels.csv"


@pytest.fixture(autouse=True)
def _parallel_kernels_restored(monkeypatch):
    """A test that builds the app (which makes its process run numba kernels serially,
    see compute._parallel) leaves the next tests' kernels as they were."""
    from compute import _parallel

    monkeypatch.setattr(_parallel, "_serial_pid", _parallel._serial_pid)


@pytest.fixture
def blob_folder(tmp_path: Path) -> tuple[Path, Path]:
    """(image folder, labels CSV) with 12 small PNGs in two classes."""
    images = tmp_path / "images"
    labels = write_blob_images(images)
    return images, labels


@pytest.fixture(scope="session")
def sem_folder(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(folder, {file: expected scale group}): synthetic SEM frames in two scale groups
    plus two without a data bar (see tests/semfolder.py). Skips without Tesseract."""
    from tests.semfolder import require_tesseract, write_two_group_folder

    require_tesseract()
    folder = tmp_path_factory.mktemp("sem") / "images"
    return folder, write_two_group_folder(folder)


@pytest.fixture(scope="session")
def sem_cache(tmp_path_factory) -> Path:
    """A step cache shared by the tests of ``sem_folder``, so its OCR runs once a session."""
    return tmp_path_factory.mktemp("sem-cache")
