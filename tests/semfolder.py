"""A small synthetic SEM folder in two scale groups (for compute, explorer and e2e tests).

Nine frames with rendered data bars (3 labelled "2 um", 3 "1 um": the "1-2 um" group;
3 "200 nm") and 2 frames without a data bar, drawn by ``benchmarks/synthetic_sem.py``.
Tesseract reads every label of this seed correctly (checked by the tests that use it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.synthetic_sem import write_sem_folder

LABELS_NM = {"two-um": 2000.0, "one-um": 1000.0, "nano": 200.0}
GROUP_OF_PREFIX = {"two-um": "2 um", "one-um": "1 um", "nano": "200 nm",
                   "plain": "no scale (no data bar)"}
RANDOM_STATE = 1


def write_two_group_folder(folder: Path) -> dict[str, str]:
    """Write the folder; returns ``{file name: scale group it must get}``."""
    write_sem_folder(folder, LABELS_NM, per_label=3, plain=2, random_state=RANDOM_STATE)
    return {p.name: GROUP_OF_PREFIX[p.name.rsplit("-", 1)[0]] for p in folder.glob("*.png")}


def require_tesseract() -> None:
    """Skip the calling test when the OCR engine is missing."""
    if shutil.which("tesseract") is None:
        pytest.skip("Tesseract OCR is not installed: apt-get install tesseract-ocr")
    pytest.importorskip("pytesseract", reason="pytesseract is not installed: "
                        "pip install -r requirements.txt")
