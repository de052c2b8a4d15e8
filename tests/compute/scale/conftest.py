"""Shared fixtures for the scale tests: the synthetic SEM frames of benchmarks/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.semfolder import require_tesseract

REPO = Path(__file__).resolve().parents[3]
SEM_NANOWIRES = REPO.parent / "shared" / "data" / "sem-nanowires"


@pytest.fixture
def tesseract() -> None:
    """Skip a test that runs OCR when Tesseract is not installed."""
    require_tesseract()


@pytest.fixture
def sem_nanowires() -> Path:
    """The real SEM micrographs in ../shared/data/sem-nanowires (skip when absent)."""
    if not SEM_NANOWIRES.is_dir():
        pytest.skip(f"real SEM images not found at {SEM_NANOWIRES} (CI clones the repo "
                    "with shared/ beside it)")
    return SEM_NANOWIRES
