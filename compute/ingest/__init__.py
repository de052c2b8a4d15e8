"""Image folders in: content-hash ids, metadata, known labels, data bars, broken files.

Public API: :func:`scan_folder` -> :class:`Dataset` of :class:`ImageRecord`;
:func:`decode_image` (the one way pixels are read); :func:`write_manifest` /
:func:`read_manifest`; :func:`load_image` (a record's 8-bit pixels, data bar cut off);
:func:`reason_kind` (the short kind of a failure reason, for counts).

Policy for odd files (a scan never aborts; a refused file keeps its record with an
``error`` that says why and what to do; tests/hostile_folder.py exercises every case):

- Which files: PNG, JPEG, TIFF, BMP and GIF by suffix, in any case (``.TIF``, ``.Png``);
  native microscope formats (``.dm3``, ``.dm4``, ``.ser``, ``.emd``, ``.sxm``; see
  :mod:`compute.ingest.native`, which says which channel or frame is used); files
  without an extension when their first bytes are an image signature; other microscopy
  formats (``.czi``, ``.nd2``, ...) are listed as unsupported. Hidden files
  and folders (``.name``), other files (``.txt``, ``README``) and symlinked *folders*
  (no loops, nothing outside the folder) are ignored. Symlinked *files* are read through
  the link (a link to an image already seen is a duplicate).
- Refused with a reason: empty files; truncated files; content that is not an image;
  broken symbolic links and link loops; FIFOs, devices and sockets (reading them could
  block forever); files the user cannot read (permission denied); file names that are
  not valid UTF-8 (shown with backslash-x escapes; rename them); images with more than
  ``max_pixels`` pixels (default :data:`DEFAULT_MAX_PIXELS`, Pillow's; ``--max-pixels``
  raises it), judged from the header before any pixel is decoded.
- Decoded by policy: 16-bit, 32-bit integer and float images are mapped to 8 bits by a
  0.5-99.5 percentile stretch (NaN/inf ignored, a constant image becomes black); CMYK,
  palette, 1-bit, LA/RGBA become gray or RGB (alpha dropped); animated GIF/PNG and
  multi-page TIFF give page ``page`` (default the first); 1x1 images are used as they
  are; extreme strips (aspect ratio above 4) are cut to their centre before resizing
  for the network (:data:`compute.embed.preprocess.MAX_ASPECT`).
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

