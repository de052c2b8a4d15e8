"""Scale awareness: nanometres per pixel from TIFF metadata or the SEM data bar, and groups.

Typical use::

    from compute.scale import read_scale_file, in_group
    reading = read_scale_file("image.tif")       # ScaleReading
    reading.nm_per_pixel, reading.label, reading.group

Modules: :mod:`~compute.scale.band` (scale-bar geometry in a data-bar band),
:mod:`~compute.scale.ocr` (Tesseract), :mod:`~compute.scale.text` (labels and fields),
:mod:`~compute.scale.metadata` (TIFF tags, sidecar text), :mod:`~compute.scale.databar`
and :mod:`~compute.scale.overlay` (where the data bar is), :mod:`~compute.scale.groups`
(scale groups), :mod:`~compute.scale.reader` (one image; its result
:mod:`~compute.scale.reading`, cross-checked by :mod:`~compute.scale.checks`),
:mod:`~compute.scale.folder` (a folder),
:mod:`~compute.scale.dataset` (a scanned dataset, restricted to a group: the pipeline's).
"""

from compute.scale.band import (
    Box,
    ScaleBarSegment,
    analyse_band,
    find_scale_bar,
    scale_bar_candidates,
)
from compute.scale.dataset import (
    ScaleSelection,
    read_dataset_scales,
    read_record_scale,
    restrict_to_group,
)
from compute.scale.folder import ImageScale, read_folder_scales
from compute.scale.groups import (
    all_groups,
    canonical_group,
    in_any_group,
    in_group,
    scale_group,
)
from compute.scale.metadata import (
    MetadataScale,
    read_metadata_scale,
    read_metadata_scales,
    read_tiff_scale,
)
from compute.scale.reader import (
    CONFLICT,
    STATUSES,
    ScaleReading,
    read_band,
    read_scale,
    read_scale_file,
)
from compute.scale.text import InstrumentFields, Length, parse_fields, parse_length

__all__ = [
    "CONFLICT", "STATUSES", "Box", "ImageScale", "InstrumentFields", "Length", "MetadataScale",
    "ScaleBarSegment", "ScaleReading", "ScaleSelection", "all_groups", "analyse_band",
    "canonical_group", "find_scale_bar", "in_any_group", "in_group", "parse_fields",
    "parse_length", "read_band", "read_dataset_scales", "read_folder_scales",
    "read_metadata_scale", "read_metadata_scales", "read_record_scale", "read_scale",
    "read_scale_file", "read_tiff_scale",
    "restrict_to_group", "scale_bar_candidates", "scale_group",
]
