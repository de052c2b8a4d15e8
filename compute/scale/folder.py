"""Scales of every image in a folder, one cached reading per file content."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from compute.cache import StepCache
from compute.progress import ProgressFn, report
from compute.scale.reader import UNREADABLE_IMAGE, ScaleReading, read_scale_file

log = logging.getLogger(__name__)

SCALE_STEP, SCALE_VERSION = "scale", "2"  # 2: data bars anywhere, sidecars, cross-checks
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ImageScale:
    """One file's scale reading; ``path`` is relative to the folder (POSIX form)."""

    path: str
    reading: ScaleReading


def read_folder_scales(root: str | os.PathLike[str], *, read_fields: bool = True,
                       cache: StepCache | None = None, jobs: int = 1,
                       progress: ProgressFn | None = None) -> list[ImageScale]:
    """Read the scale of every image below ``root`` (recursive, sorted by path).

    Each reading is cached under the file's MD5, so renamed or moved files are not read
    again. Unreadable files give ``unreadable_image`` rows; nothing raises per file.
    ``jobs`` files are read at once in threads: the work is mostly Tesseract processes,
    which run outside Python, so threads scale with the CPU cores.
    Raises FileNotFoundError when ``root`` is not a folder, ValueError when ``jobs < 1``.
    """
    from compute.ingest import list_image_files

    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist: pass an existing folder")
    cache = cache or StepCache(None)
    files = list_image_files(root)

    def read_one(file: Path) -> ImageScale:
        reading = _cached_reading(file, cache=cache, read_fields=read_fields)
        return ImageScale(path=file.relative_to(root).as_posix(), reading=reading)

    results = map_in_threads(read_one, files, jobs=jobs, progress=progress)
    ok = sum(r.reading.ok for r in results)
    log.info("read scales of %d images in %s: %d with a pixel size", len(results), root, ok)
    return results


def _cached_reading(file: Path, *, cache: StepCache, read_fields: bool) -> ScaleReading:
    from compute.ingest import md5_of_file

    try:
        digest = md5_of_file(file)
    except OSError as exc:
        return ScaleReading(status=UNREADABLE_IMAGE,
                            message=f"cannot read file: {exc.strerror or exc}")
    params = {"read_fields": read_fields, "sidecar": sidecar_digest(file)}
    return cache.cached(SCALE_STEP, inputs=digest, params=params,
                        version=SCALE_VERSION,
                        compute=lambda: read_scale_file(file, read_fields=read_fields))


def sidecar_digest(file: Path) -> str | None:
    """MD5 of the instrument's text file beside ``file`` (None: none), so that a reading
    cached by image content is read again when a sidecar appears or changes."""
    from compute.ingest import md5_of_file
    from compute.scale.metadata import sidecar_path

    sidecar = sidecar_path(file)
    try:
        return md5_of_file(sidecar) if sidecar is not None else None
    except OSError:
        return None


def map_in_threads(read: Callable[[T], R], items: Sequence[T], *, jobs: int,
                   progress: ProgressFn | None = None) -> list[R]:
    """``[read(item) for item in items]`` with ``jobs`` threads, in order, reporting
    progress per item. Raises ValueError when ``jobs < 1``."""
    from concurrent.futures import ThreadPoolExecutor

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    results: list[R] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for item in pool.map(read, items):
            results.append(item)
            report(progress, len(results), len(items))
    return results
