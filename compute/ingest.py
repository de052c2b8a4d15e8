"""Image folders in: content-hash ids, known labels, broken files reported.

A folder is scanned recursively for image files; each gets an id that is the MD5 of its
bytes, so a moved or renamed file keeps its identity and exact duplicates share an id.
A file that cannot be read is kept in the result with an ``error`` and no pixels: one bad
image never aborts a run.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compute.cache import fingerprint_strings
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"})


@dataclass(frozen=True)
class ImageRecord:
    """One file of a dataset. ``path`` is relative to the dataset root (POSIX form)."""

    path: str
    id: str | None
    label: str | None = None
    error: str | None = None
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A scanned image folder: its records in a stable (sorted path) order."""

    root: Path
    records: tuple[ImageRecord, ...]
    fingerprint: str = field(default="")

    @property
    def usable(self) -> tuple[ImageRecord, ...]:
        """Records with pixels to embed: readable and not a duplicate of an earlier file."""
        return tuple(r for r in self.records if r.error is None and r.duplicate_of is None)

    @property
    def failures(self) -> tuple[ImageRecord, ...]:
        return tuple(r for r in self.records if r.error is not None)

    def summary(self) -> str:
        dup = sum(r.duplicate_of is not None for r in self.records)
        return (f"{len(self.records)} files: {len(self.usable)} usable, "
                f"{dup} duplicates, {len(self.failures)} unreadable")


def md5_of_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def list_image_files(root: Path) -> list[Path]:
    """Image files below ``root`` (recursive, symlinked folders not followed), sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                found.append(Path(dirpath) / name)
    return sorted(found)


def read_labels_csv(path: Path) -> dict[str, str]:
    """Map path (relative to the dataset root) or image id to a label.

    The CSV needs a header with a ``label`` column and a ``path`` or ``id`` column.
    """
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or ())
        key_col = "path" if "path" in cols else "id" if "id" in cols else None
        if key_col is None or "label" not in cols:
            raise ValueError(f"labels file {path} needs a header with 'label' and 'path' "
                             f"or 'id' columns; found {sorted(cols)}")
        return {row[key_col].strip(): row["label"].strip() for row in reader
                if row.get("label", "").strip()}


def scan_folder(root: str | os.PathLike[str], *, labels_csv: str | os.PathLike[str] | None = None,
                progress: ProgressFn | None = None) -> Dataset:
    """Scan ``root`` for images: ids, duplicates, labels and unreadable files.

    Raises FileNotFoundError if ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist: pass an existing "
                                "folder with --images")
    labels = read_labels_csv(Path(labels_csv)) if labels_csv else {}
    files = list_image_files(root)
    records: list[ImageRecord] = []
    first_by_id: dict[str, str] = {}
    for i, file in enumerate(files):
        rel = file.relative_to(root).as_posix()
        records.append(_scan_one(file, rel, labels, first_by_id))
        report(progress, i + 1, len(files))
    fingerprint = fingerprint_strings(f"{r.path}:{r.id}:{r.label}" for r in records)
    dataset = Dataset(root=root, records=tuple(records), fingerprint=fingerprint)
    log.info("scanned %s: %s", root, dataset.summary())
    return dataset


def _scan_one(file: Path, rel: str, labels: dict[str, str],
              first_by_id: dict[str, str]) -> ImageRecord:
    try:
        image_id = md5_of_file(file)
    except OSError as exc:
        return ImageRecord(path=rel, id=None, error=f"cannot read file: {exc.strerror or exc}")
    label = labels.get(rel) or labels.get(image_id)
    error = _check_decodable(file)
    duplicate_of = first_by_id.get(image_id) if error is None else None
    if error is None and duplicate_of is None:
        first_by_id[image_id] = rel
    return ImageRecord(path=rel, id=image_id, label=label, error=error,
                       duplicate_of=duplicate_of)


def _check_decodable(file: Path) -> str | None:
    from PIL import Image

    try:
        with Image.open(file) as im:
            im.load()
    except Exception as exc:  # PIL raises many types for broken files
        return f"not a readable image ({type(exc).__name__}: {exc})"
    return None


def load_gray(root: Path, record: ImageRecord, size: int) -> np.ndarray:
    """The image as a (size, size) float32 array in [0, 1] (grayscale, bilinear resize)."""
    from PIL import Image

    with Image.open(root / record.path) as im:
        im = im.convert("L").resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(im, dtype=np.float32) / 255.0


def known_labels(records: Sequence[ImageRecord]) -> list[str | None]:
    return [r.label for r in records]
