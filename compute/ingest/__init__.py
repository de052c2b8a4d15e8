"""Image folders in: content-hash ids, metadata, known labels, data bars, broken files.

Public API: :func:`scan_folder` -> :class:`Dataset` of :class:`ImageRecord`;
:func:`decode_image` (the one way pixels are read); :func:`write_manifest` /
:func:`read_manifest`; :func:`load_image` (a record's 8-bit pixels, data bar cut off).
"""

from __future__ import annotations

from compute.ingest.decode import (
    DEFAULT_MAX_PIXELS,
    DecodedImage,
    ImageDecodeError,
    ImageInfo,
    decode_image,
    stretch_to_uint8,
)
from compute.ingest.labels import folder_label, read_labels_csv
from compute.ingest.manifest import MANIFEST_COLUMNS, read_manifest, write_manifest
from compute.ingest.records import CropBox, Dataset, ImageRecord, reason_kind
from compute.ingest.scan import (
    IMAGE_SUFFIXES,
    UNSUPPORTED_SUFFIXES,
    display_path,
    list_image_files,
    mark_duplicates,
    md5_of_file,
    parse_shard,
    probe_file,
    scan_folder,
)

__all__ = [
    "DEFAULT_MAX_PIXELS", "IMAGE_SUFFIXES", "MANIFEST_COLUMNS", "UNSUPPORTED_SUFFIXES",
    "CropBox", "Dataset", "DecodedImage", "ImageDecodeError", "ImageInfo", "ImageRecord",
    "decode_image", "display_path", "folder_label", "list_image_files", "load_image",
    "mark_duplicates", "md5_of_file", "parse_shard", "probe_file", "read_labels_csv",
    "read_manifest", "reason_kind", "scan_folder", "stretch_to_uint8", "write_manifest",
]


def load_image(dataset: Dataset, record: ImageRecord, *, keep_data_bar: bool = False):
    """The record's pixels as an 8-bit Pillow image (``L`` or ``RGB``), its data bar cut
    off unless ``keep_data_bar``. Raises ImageDecodeError if the file no longer decodes."""
    image = decode_image(dataset.root / record.path, page=dataset.page,
                         max_pixels=dataset.max_pixels).image
    if record.crop_box is not None and not keep_data_bar:
        image = image.crop(record.crop_box)
    return image

