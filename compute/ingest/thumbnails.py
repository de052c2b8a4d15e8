"""Pre-rendered thumbnails: small PNG files named ``<image id>.png`` in a cache folder;
and the full-resolution display images of the image viewer (:func:`full_image`).

Pixels come from :func:`compute.ingest.decode_image`, so 16-bit and float images get the
same percentile stretch as the network input, and the SEM data bar is cut off (unless
``keep_data_bar``). A thumbnail that exists is not rendered again (ids are content
hashes); files are written atomically, so a served URL never shows half a PNG.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from compute.ingest import Dataset, ImageRecord, load_image
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)
THUMB_SIZE = 128


def render_thumbnails(dataset: Dataset, out_dir: str | os.PathLike[str], *,
                      size: int = THUMB_SIZE, keep_data_bar: bool = False,
                      progress: ProgressFn | None = None) -> Path:
    """Write a thumbnail (longest side ``size`` px) for every usable image missing one.

    Returns ``out_dir``. A file that no longer decodes is logged and skipped.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    usable = dataset.usable
    for i, record in enumerate(usable):
        target = thumbnail_path(out, record)
        if not target.exists():
            _render_one(dataset, record, target, size=size, keep_data_bar=keep_data_bar)
        if i % 64 == 0 or i + 1 == len(usable):
            report(progress, i + 1, len(usable))
    return out


def thumbnail_path(out_dir: Path, record: ImageRecord) -> Path:
    """``<out_dir>/<id>.png``: the file (and URL tail) of a record's thumbnail."""
    return Path(out_dir) / f"{record.id}.png"


def full_image(dataset: Dataset, record: ImageRecord, out_dir: str | os.PathLike[str], *,
               keep_data_bar: bool = False) -> Path:
    """The record's image at full resolution as a cached 8-bit PNG, ``<out_dir>/<id>.png``
    (data bar cut off) or ``<id>-bar.png`` (whole frame): 16-bit and float pixels get the
    pipeline's percentile stretch (:func:`compute.ingest.load_image`).

    Raises :class:`compute.ingest.ImageDecodeError` if the file no longer decodes.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / full_image_name(record.id, keep_data_bar=keep_data_bar)
    if not target.exists():
        _save_atomically(load_image(dataset, record, keep_data_bar=keep_data_bar), target)
    return target


def full_image_name(image_id: str, *, keep_data_bar: bool) -> str:
    """The file name of a full-resolution image: ``<id>.png`` or ``<id>-bar.png``."""
    return f"{image_id}{'-bar' if keep_data_bar else ''}.png"


def _render_one(dataset: Dataset, record: ImageRecord, target: Path, *, size: int,
                keep_data_bar: bool) -> None:
    from PIL import Image

    try:
        image = load_image(dataset, record, keep_data_bar=keep_data_bar)
    except ValueError as exc:
        log.warning("no thumbnail for %s: %s", record.path, exc)
        return
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    _save_atomically(image, target)


def _save_atomically(image, target: Path) -> None:
    """Write ``image`` as PNG to ``target`` through a temporary file of this thread (a
    concurrent reader or writer never sees half a file)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    image.save(tmp, format="PNG")
    os.replace(tmp, target)
