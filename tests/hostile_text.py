"""Text a spreadsheet would run, for the export tests: hostile file names, labels, names.

Importable from every test folder as ``tests.hostile_text``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.imagefiles import write_blob_images

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://x","y")'
HOSTILE_FILES = ("+cmd.png", "-2+3.png", "@SUM(A1).png", "=1+1.png")
HOSTILE_LABEL = "=cmd|' /C calc'!A0"


def csv_cells(csv_text: str) -> list[str]:
    """Every cell of ``csv_text``, as a spreadsheet reads it (quotes removed)."""
    return [cell for row in csv.reader(io.StringIO(csv_text)) for cell in row]


def formula_cells(csv_text: str) -> list[str]:
    """The cells of ``csv_text`` that a spreadsheet would evaluate (numbers excepted)."""
    return [c for c in csv_cells(csv_text) if c.startswith(TRIGGERS) and not _is_number(c)]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def write_hostile_folder(folder: Path, *, per_class: int = 15) -> Path:
    """:func:`write_blob_images` with files renamed to :data:`HOSTILE_FILES` (the first of
    each class and the second) and the first image labelled :data:`HOSTILE_LABEL`.
    Returns the labels CSV (columns path,label)."""
    labels = write_blob_images(folder, per_class=per_class)
    with labels.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row, new in zip(rows[:2] + rows[per_class:per_class + 2], HOSTILE_FILES, strict=True):
        (folder / row["path"]).rename(folder / new)
        row["path"] = new
    rows[0]["label"] = HOSTILE_LABEL
    with labels.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["path", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return labels
