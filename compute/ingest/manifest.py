"""The manifest: one CSV row per scanned file, aligned with an embeddings matrix.

Columns (:data:`MANIFEST_COLUMNS`): ``row`` (the file's row in ``embeddings.npy``; empty
for files that were not embedded: duplicates and failures), ``id`` (MD5 of the bytes),
``path`` (relative to the dataset root), ``label``, ``error`` (why the file is not used),
``duplicate_of``, ``size_bytes``, ``width``, ``height``, ``mode``, ``bit_depth``,
``pages``, ``crop_left``/``crop_top``/``crop_right``/``crop_bottom`` (the image
without its SEM data bar; empty when none was found), and ``bar_left``/``bar_top``/
``bar_right``/``bar_bottom``/``bar_kind`` (the data bar itself and its layout).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from compute.ingest.records import ImageRecord

MANIFEST_COLUMNS = ("row", "id", "path", "label", "error", "duplicate_of", "size_bytes",
                    "width", "height", "mode", "bit_depth", "pages",
                    "crop_left", "crop_top", "crop_right", "crop_bottom",
                    "bar_left", "bar_top", "bar_right", "bar_bottom", "bar_kind")
_INT_FIELDS = ("size_bytes", "width", "height", "bit_depth", "pages")
_CROP = ("crop_left", "crop_top", "crop_right", "crop_bottom")
_BAR = ("bar_left", "bar_top", "bar_right", "bar_bottom")


def write_manifest(records: Iterable[ImageRecord], path: str | os.PathLike[str], *,
                   rows: Mapping[str, int] | None = None) -> Path:
    """Write ``records`` to a CSV at ``path``; ``rows`` maps a record's path to its row in
    the embeddings matrix (records not in it get an empty ``row``). Written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = rows or {}
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for r in records:
            writer.writerow(_line(r, rows.get(r.path)))
    os.replace(tmp, path)
    return path


def read_manifest(path: str | os.PathLike[str]) -> tuple[list[ImageRecord], dict[str, int]]:
    """The records of a manifest written by :func:`write_manifest` and their rows."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"row", "id", "path", "label", "error"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path} is not a Topograph manifest: columns {sorted(missing)} "
                             "are missing")
        records, rows = [], {}
        for line in reader:
            records.append(_record(line))
            if line["row"]:
                rows[line["path"]] = int(line["row"])
    return records, rows


def _line(r: ImageRecord, row: int | None) -> dict[str, object]:
    line: dict[str, object] = {"row": row, "id": r.id, "path": r.path, "label": r.label,
                               "error": r.error, "duplicate_of": r.duplicate_of,
                               "mode": r.mode, "bar_kind": r.data_bar_kind}
    line.update({name: getattr(r, name) for name in _INT_FIELDS})
    line.update(zip(_CROP, r.crop_box or (None,) * 4, strict=True))
    line.update(zip(_BAR, r.data_bar or (None,) * 4, strict=True))
    return {k: "" if v is None else v for k, v in line.items()}


def _record(line: dict[str, str]) -> ImageRecord:
    def text(name: str) -> str | None:
        return line.get(name) or None

    def number(name: str) -> int | None:
        return int(line[name]) if line.get(name) else None

    crop = tuple(number(c) for c in _CROP)
    bar = tuple(number(c) for c in _BAR)
    return ImageRecord(path=line["path"], id=text("id"), label=text("label"),
                       error=text("error"), duplicate_of=text("duplicate_of"),
                       size_bytes=number("size_bytes"), width=number("width"),
                       height=number("height"), mode=text("mode"),
                       bit_depth=number("bit_depth"), pages=number("pages"),
                       crop_box=crop if None not in crop else None,  # type: ignore[arg-type]
                       data_bar=bar if None not in bar else None,  # type: ignore[arg-type]
                       data_bar_kind=text("bar_kind"))
