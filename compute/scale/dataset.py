"""Scales of a scanned dataset, and restricting a dataset to one scale group.

The pipeline reads scales after the scan (:func:`compute.ingest.scan_folder`), which has
already looked for each image's SEM data bar: that finding is trusted here, so an image
without a data bar is not decoded again (only its TIFF tags and sidecar text are read),
and an image with one has its bar read where the scan found it. Native microscope files
are decoded for their metadata. Readings that decode pixels are cached by image content
id.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from compute.cache import StepCache, fingerprint_strings
from compute.ingest import Dataset, ImageRecord, decode_image
from compute.ingest.native import is_native
from compute.progress import ProgressFn
from compute.scale.band import Box
from compute.scale.folder import map_in_threads, sidecar_digest
from compute.scale.groups import in_group
from compute.scale.metadata import read_metadata_scales
from compute.scale.reader import UNREADABLE_IMAGE, ScaleReading, read_scale, scale_without_bar

log = logging.getLogger(__name__)

RECORD_SCALE_STEP, RECORD_SCALE_VERSION = "scale-record", "2"


def bar_of_record(record: ImageRecord):
    """The data bar where the scan found it (a :class:`compute.scale.databar.DataBar`), or None.

    Records from older manifests have only a crop box: a bar touching the top or bottom
    edge is rebuilt from it as a stripe.
    """
    from compute.scale.databar import DataBar

    if record.data_bar is not None:
        left, top, right, bottom = record.data_bar
        return DataBar(top=top, bottom=bottom, left=left, right=right, confidence=1.0,
                       kind=record.data_bar_kind or "stripe")
    if record.crop_box is None or record.width is None or record.height is None:
        return None
    left, top, right, bottom = record.crop_box
    if top > 0:
        return DataBar(top=0, bottom=top, left=left, right=right, confidence=1.0)
    if bottom < record.height:
        return DataBar(top=bottom, bottom=record.height, left=left, right=right,
                       confidence=1.0)
    return None


def band_of_record(record: ImageRecord) -> Box | None:
    """The data bar's box in image pixels (None: no bar); see :func:`bar_of_record`."""
    bar = bar_of_record(record)
    return None if bar is None else Box(bar.top, bar.bottom, bar.left, bar.right)


def read_record_scale(dataset: Dataset, record: ImageRecord, *,
                      read_fields: bool = True) -> ScaleReading:
    """The scale of one scanned image: its metadata (TIFF tags, sidecar text, native
    format), and its data bar where the scan found one (read by OCR). Never raises for a
    file that broke since the scan."""
    path = dataset.root / record.path
    bar = bar_of_record(record)
    native = is_native(path)
    metadata = [] if native else list(read_metadata_scales(path, image_width=record.width))
    if bar is None and not native:
        return scale_without_bar(metadata, width=record.width)
    try:
        decoded = decode_image(path, page=dataset.page, max_pixels=dataset.max_pixels)
    except Exception as exc:  # changed or removed since the scan: one row, never a crash
        return ScaleReading(status=UNREADABLE_IMAGE, message=f"not a readable image ({exc})")
    metadata = list(decoded.metadata) + metadata
    if bar is None:
        return scale_without_bar(metadata, width=record.width)
    return read_scale(decoded.gray, bar=bar, metadata=metadata, read_fields=read_fields)


def read_dataset_scales(dataset: Dataset, *, read_fields: bool = True,
                        cache: StepCache | None = None, jobs: int = 1,
                        progress: ProgressFn | None = None) -> dict[str, ScaleReading]:
    """The scale reading of every usable image of ``dataset``, by image content id.

    Images with a data bar are read by OCR (``jobs`` at once, in threads: Tesseract runs
    as separate processes) and cached in ``cache`` under their content id and bar box;
    images without one cost a TIFF-metadata look-up at most and are not cached.
    Raises ValueError when ``jobs < 1``.
    """
    cache = cache or StepCache(None)
    records = dataset.usable

    def read_one(record: ImageRecord) -> ScaleReading:
        if band_of_record(record) is None and not is_native(dataset.root / record.path):
            return read_record_scale(dataset, record, read_fields=read_fields)
        params = {"read_fields": read_fields, "crop_box": list(record.crop_box or ()),
                  "data_bar": list(record.data_bar or ()), "bar": record.data_bar_kind,
                  "page": dataset.page,
                  "sidecar": sidecar_digest(dataset.root / record.path)}
        return cache.cached(RECORD_SCALE_STEP, inputs=str(record.id), params=params,
                            version=RECORD_SCALE_VERSION,
                            compute=lambda: read_record_scale(dataset, record,
                                                              read_fields=read_fields))

    readings = map_in_threads(read_one, records, jobs=jobs, progress=progress)
    log.info("scales of %d images: %s", len(readings),
             dict(Counter(r.status for r in readings)) or "none")
    return {str(r.id): reading for r, reading in zip(records, readings, strict=True)}


@dataclass(frozen=True)
class ScaleSelection:
    """What restricting a dataset to one scale group kept and left out.

    ``kept``: usable images in ``group``; ``other_groups``: usable images with a scale
    in another group, by group; ``no_scale``: usable images without a readable scale, by
    reason (e.g. ``"no data bar"``).
    """

    group: str
    kept: int
    other_groups: Mapping[str, int]
    no_scale: Mapping[str, int]

    @property
    def excluded(self) -> int:
        return sum(self.other_groups.values()) + sum(self.no_scale.values())

    def summary(self) -> str:
        """One line, e.g. "scale group 1-2 um: 40 images kept, 12 excluded (8 in other
        groups: 10 um 5, 200 nm 3; 4 without a scale: no data bar 4)"."""
        parts = []
        if self.other_groups:
            parts.append(f"{sum(self.other_groups.values())} in other groups: "
                         + _counts(self.other_groups))
        if self.no_scale:
            parts.append(f"{sum(self.no_scale.values())} without a scale: "
                         + _counts(self.no_scale))
        detail = f" ({'; '.join(parts)})" if parts else ""
        return (f"scale group {self.group}: {self.kept} images kept, {self.excluded} "
                f"excluded{detail}")


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def restrict_to_group(dataset: Dataset, readings: Mapping[str, ScaleReading],
                      group: str) -> tuple[Dataset, ScaleSelection]:
    """``dataset`` with only the usable images in scale ``group`` (combined groups include
    their bins), and what was left out; unusable records stay (they explain themselves).

    ``readings`` maps every usable image's id to its reading (:func:`read_dataset_scales`).
    Raises ValueError for an unknown group name (listing the valid ones), and when no image
    is in the group (listing the groups present).
    """
    usable = dataset.usable
    groups = [readings[str(r.id)].group for r in usable]
    inside = in_group(groups, group)
    kept_paths = {r.path for r, keep in zip(usable, inside, strict=True) if keep}
    selection = _selection(group, [readings[str(r.id)] for r in usable], inside)
    if not kept_paths:
        raise ValueError(_empty_message(dataset, selection))
    usable_paths = {r.path for r in usable}
    records = tuple(r for r in dataset.records if r.path in kept_paths
                    or r.path not in usable_paths)
    fingerprint = fingerprint_strings([dataset.fingerprint, f"scale-group:{group}",
                                       *sorted(kept_paths)])
    log.info("%s", selection.summary())
    return replace(dataset, records=records, fingerprint=fingerprint), selection


def _selection(group: str, readings: Sequence[ScaleReading], inside) -> ScaleSelection:
    outside = [r for r, keep in zip(readings, inside, strict=True) if not keep]
    return ScaleSelection(
        group=group, kept=int(sum(inside)),
        other_groups=dict(Counter(r.group for r in outside if r.no_scale_reason is None)),
        no_scale=dict(Counter(r.no_scale_reason for r in outside
                              if r.no_scale_reason is not None)))


def _empty_message(dataset: Dataset, selection: ScaleSelection) -> str:
    present = ", ".join(f"{g} ({n})" for g, n in sorted(selection.other_groups.items(),
                                                          key=lambda kv: -kv[1]))
    if present:
        hint = f"choose a group present there: {present}"
    else:
        hint = "no image there has a readable scale"
    return (f"no image of {dataset.root} is in scale group {selection.group!r} "
            f"({selection.excluded} usable images, {sum(selection.no_scale.values())} "
            f"without a scale); {hint}; or run without a scale group "
            "(python -m compute scale DIR --out FILE.csv lists each image's group)")
