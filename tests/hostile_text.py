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
    rows = [0, 1, per_class, per_class + 1]
    rename_images(folder, labels, dict(zip(rows, HOSTILE_FILES, strict=True)),
                  {0: HOSTILE_LABEL})
    return labels


def rename_images(folder: Path, labels: Path, names: dict[int, str],
                  new_labels: dict[int, str] | None = None) -> None:
    """Rename the images of rows ``names`` (row of ``labels`` -> new file name) in
    ``folder`` and give rows of ``new_labels`` that label; ``labels`` (columns path,label)
    is rewritten to match."""
    with labels.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i, new in names.items():
        (folder / rows[i]["path"]).rename(folder / new)
        rows[i]["path"] = new
    for i, label in (new_labels or {}).items():
        rows[i]["label"] = label
    with labels.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["path", "label"])
        writer.writeheader()
        writer.writerows(rows)
