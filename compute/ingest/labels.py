"""Known labels for a subset of images: a CSV file or the names of sub-folders."""

from __future__ import annotations

import csv
import os
from pathlib import Path, PurePosixPath


def read_labels_csv(path: str | os.PathLike[str]) -> dict[str, str]:
    """Map a path (relative to the dataset root) or an image id (MD5) to a label.

    The CSV needs a header with a ``label`` column and a ``path`` or ``id`` column (both
    may be present: each row is then keyed by both). Rows with an empty label are skipped;
    paths are normalised to POSIX form without a leading ``./``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labels file {path} does not exist: pass a CSV with 'path' "
                                "or 'id' and 'label' columns")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or ())
        keys = [c for c in ("path", "id") if c in cols]
        if not keys or "label" not in cols:
            raise ValueError(f"labels file {path} needs a header with 'label' and 'path' "
                             f"or 'id' columns; found {sorted(cols)}")
        labels: dict[str, str] = {}
        for row in reader:
            label = (row.get("label") or "").strip()
            if not label:
                continue
            for key in keys:
                value = (row.get(key) or "").strip()
                if value:
                    labels[normalise_path(value) if key == "path" else value.lower()] = label
        return labels


def normalise_path(path: str) -> str:
    """A relative path in the form records use: POSIX separators, no leading ``./``."""
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


def folder_label(relative_path: str) -> str | None:
    """The top-level sub-folder of a file (``A/x/img.png`` -> ``A``); None at the root."""
    parts = PurePosixPath(relative_path).parts
    return parts[0] if len(parts) > 1 else None
