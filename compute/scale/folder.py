"""Scales of every image in a folder, one cached reading per file content."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from compute.cache import StepCache
from compute.progress import ProgressFn, report
from compute.scale.reader import UNREADABLE_IMAGE, ScaleReading, read_scale_file

log = logging.getLogger(__name__)

SCALE_STEP, SCALE_VERSION = "scale", "1"


@dataclass(frozen=True)
class ImageScale:
    """One file's scale reading; ``path`` is relative to the folder (POSIX form)."""

    path: str
    reading: ScaleReading


def read_folder_scales(root: str | os.PathLike[str], *, read_fields: bool = True,
                       cache: StepCache | None = None,
                       progress: ProgressFn | None = None) -> list[ImageScale]:
    """Read the scale of every image below ``root`` (recursive, sorted by path).

    Each reading is cached under the file's MD5, so renamed or moved files are not read
    again. Unreadable files give ``unreadable_image`` rows; nothing raises per file.
    Raises FileNotFoundError when ``root`` is not a folder.
    """
    from compute.ingest import list_image_files, md5_of_file

    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist: pass an existing folder")
    cache = cache or StepCache(None)
    files = list_image_files(root)
    results = []
    for i, file in enumerate(files):
        try:
            digest = md5_of_file(file)
        except OSError as exc:
            reading = ScaleReading(status=UNREADABLE_IMAGE,
                                   message=f"cannot read file: {exc.strerror or exc}")
        else:
            reading = cache.cached(SCALE_STEP, inputs=digest,
                                   params={"read_fields": read_fields}, version=SCALE_VERSION,
                                   compute=lambda f=file: read_scale_file(
                                       f, read_fields=read_fields))
        results.append(ImageScale(path=file.relative_to(root).as_posix(), reading=reading))
        report(progress, i + 1, len(files))
    ok = sum(r.reading.ok for r in results)
    log.info("read scales of %d images in %s: %d with a pixel size", len(results), root, ok)
    return results
