"""What a scan produces: one :class:`ImageRecord` per file, gathered in a :class:`Dataset`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from compute.ingest.decode import DEFAULT_MAX_PIXELS

NOT_USABLE = "not a usable image"  # the prefix of every decoding failure's reason
CropBox = tuple[int, int, int, int]  # (left, top, right, bottom), Pillow's crop box


@dataclass(frozen=True)
class ImageRecord:
    """One file of a dataset.

    ``path`` is relative to the dataset root (POSIX form); ``id`` the MD5 of the file's
    bytes (None if the file could not be read at all). ``error`` says why a file is not
    used; ``duplicate_of`` names the earlier path with the same bytes. ``crop_box`` is the
    part of the image without its SEM data bar (None: no bar found, the whole image);
    ``data_bar`` the bar's own box ``(left, top, right, bottom)`` where the scan found it,
    and ``data_bar_kind`` its layout (``stripe``, ``box`` or ``overlay``; see
    :mod:`compute.scale.databar`), so the scale reader reads the bar the crop removed.
    """

    path: str
    id: str | None
    label: str | None = None
    error: str | None = None
    duplicate_of: str | None = None
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    bit_depth: int | None = None
    pages: int | None = None
    crop_box: CropBox | None = None
    data_bar: CropBox | None = None
    data_bar_kind: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A scanned image folder: its records in a stable (sorted path) order.

    ``page`` and ``max_pixels`` are the decoding options every later reader must use.
    """

    root: Path
    records: tuple[ImageRecord, ...]
    fingerprint: str = field(default="")
    page: int = 0
    max_pixels: int | None = DEFAULT_MAX_PIXELS

    @property
    def usable(self) -> tuple[ImageRecord, ...]:
        """Records with pixels to embed: readable and not a duplicate of an earlier file."""
        return tuple(r for r in self.records if r.error is None and r.duplicate_of is None)

    @property
    def failures(self) -> tuple[ImageRecord, ...]:
        return tuple(r for r in self.records if r.error is not None)

    @property
    def duplicates(self) -> tuple[ImageRecord, ...]:
        return tuple(r for r in self.records if r.duplicate_of is not None)

    def summary(self) -> str:
        """One line: counts of usable, duplicate, labelled and unreadable files (with the
        commonest reasons)."""
        usable = self.usable
        labelled = sum(r.label is not None for r in usable)
        bars = sum(r.crop_box is not None for r in usable)
        text = (f"{len(self.records)} files: {len(usable)} usable ({labelled} labelled, "
                f"{bars} with a data bar), {len(self.duplicates)} duplicates, "
                f"{len(self.failures)} unreadable")
        reasons = Counter(reason_kind(r.error) for r in self.failures if r.error)
        if reasons:
            text += " (" + ", ".join(f"{n}x {kind}" for kind, n in reasons.most_common(3)) + ")"
        return text

    def with_failures(self, errors: Mapping[str, str]) -> Dataset:
        """A copy where the records at the paths in ``errors`` carry those errors.

        For files that broke after the scan (changed, removed): later steps drop them.
        """
        if not errors:
            return self
        records = tuple(replace(r, error=errors[r.path]) if r.path in errors else r
                        for r in self.records)
        return replace(self, records=records)


def reason_kind(error: str) -> str:
    """The kind of a failure reason, for counts: its first clause, without the
    ``not a usable image:`` prefix (e.g. ``the file is truncated``, ``empty file``)."""
    text = error.removeprefix(f"{NOT_USABLE}: ")
    return re.split(r"[:;(]", text, maxsplit=1)[0].strip()
