"""Scanning a folder: content ids, metadata, data bars, duplicates, labels, broken files.

Each file gets an id that is the MD5 of its bytes, so a moved or renamed file keeps its
identity and exact duplicates share an id. Every file is decoded once (a truncated file
is found here, not in the middle of an embedding run); a file that cannot be used keeps
its record with an ``error`` and never aborts the scan.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from compute.cache import fingerprint_strings
from compute.ingest.decode import DEFAULT_MAX_PIXELS, ImageDecodeError, decode_image
from compute.ingest.labels import folder_label, read_labels_csv
from compute.ingest.native import NATIVE_SUFFIXES
from compute.ingest.records import NOT_USABLE, Dataset, ImageRecord
from compute.ingest.scan_cache import ScanCache
from compute.progress import ProgressFn, report
from compute.scale.databar import crop_box_without_bar, detect_data_bar

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif"}
                           | NATIVE_SUFFIXES)
# Image formats seen in microscopy folders that are listed as unsupported (not ignored).
UNSUPPORTED_SUFFIXES = frozenset({".webp", ".jp2", ".mrc", ".czi", ".nd2", ".lif", ".heic",
                                  ".svg"})
# First bytes of PNG, JPEG, TIFF (II/MM, classic and BigTIFF), BMP and GIF files.
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\0", b"MM\0*", b"II+\0",
                    b"MM\0+", b"BM", b"GIF87a", b"GIF89a")
SCAN_VERSION = "4"  # 4: data bars anywhere (boxes, overlays), recorded with their box


@dataclass(frozen=True)
class _Probe:
    """Options for probing one file (picklable, for worker processes)."""

    page: int
    max_pixels: int | None
    detect_bar: bool


def md5_of_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex MD5 of the file's bytes (the image id).

    Raises OSError for a file that cannot be read, and for a FIFO, device or socket
    (opening a FIFO, or reading /dev/zero, would never return).
    """
    if not stat.S_ISREG(path.stat().st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)", str(path))
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def list_image_files(root: Path) -> list[Path]:
    """Image files below ``root``, sorted: known image suffixes (case-insensitive), the
    unsupported image formats in :data:`UNSUPPORTED_SUFFIXES` (so they are reported) and
    files without an extension whose first bytes are an image signature.

    Recursive; symlinked folders are not followed (no loops, nothing outside ``root``);
    symlinked files are listed (and read through the link); hidden files and folders
    (names starting with ``.``) are skipped; other files (CSV, text) are ignored.
    """
    wanted = IMAGE_SUFFIXES | UNSUPPORTED_SUFFIXES
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            suffix = Path(name).suffix.lower()
            if not name.startswith(".") and (
                    suffix in wanted or (not suffix and _has_image_signature(
                        Path(dirpath) / name))):
                found.append(Path(dirpath) / name)
    return sorted(found)


def _has_image_signature(path: Path) -> bool:
    """Whether a regular file starts like a PNG, JPEG, TIFF, BMP or GIF file."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith(IMAGE_SIGNATURES)


def scan_folder(root: str | os.PathLike[str], *,
                labels_csv: str | os.PathLike[str] | None = None,
                labels_from_folders: bool = False, page: int = 0,
                max_pixels: int | None = DEFAULT_MAX_PIXELS, detect_bars: bool = True,
                shard: tuple[int, int] | None = None, workers: int = 0,
                cache_dir: str | os.PathLike[str] | None = None,
                progress: ProgressFn | None = None) -> Dataset:
    """Scan ``root`` for images: ids, metadata, data bars, duplicates, labels, failures.

    - ``labels_csv``: CSV mapping ``path`` or ``id`` to ``label`` (wins over folder names);
      ``labels_from_folders``: label each file by its top-level sub-folder.
    - ``page``: which page of multi-page TIFFs to use; ``max_pixels``: decompression-bomb
      limit (None: none).
    - ``detect_bars``: look for an SEM data bar and store its crop box per record.
    - ``shard=(i, n)``: scan only files ``i, i+n, i+2n, ...`` of the sorted listing (one
      node of a cluster array job); duplicates are then found within the shard only.
    - ``workers``: processes that hash and decode in parallel (0: this process).
    - ``cache_dir``: remember probes there (``scan.sqlite``), so a rescan only reads new
      or changed files (same path, size and mtime = same file).

    Raises FileNotFoundError if ``root`` is not a folder, ValueError for bad options.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {root} does not exist: pass an existing folder")
    files = list_image_files(root)
    if shard is not None:
        files = files[_check_shard(shard)[0]::shard[1]]
    labels = read_labels_csv(labels_csv) if labels_csv else {}
    probe = _Probe(page=page, max_pixels=max_pixels, detect_bar=detect_bars)
    cache = ScanCache(cache_dir, options=f"v{SCAN_VERSION}:{probe}")
    try:
        records = _probe_with_cache(root, files, probe, workers, cache, progress)
    finally:
        cache.close()
    records = _label(mark_duplicates(records), labels, labels_from_folders)
    fingerprint = fingerprint_strings(
        [f"scan{SCAN_VERSION}:page{page}:bars{detect_bars}"]
        + [f"{r.path}:{r.id}:{r.label}:{r.crop_box}:{r.data_bar}:{r.error}" for r in records])
    dataset = Dataset(root=root, records=tuple(records), fingerprint=fingerprint, page=page,
                      max_pixels=max_pixels)
    log.info("scanned %s: %s", root, dataset.summary())
    return dataset


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)`` with 0 <= i < n (e.g. ``$SLURM_ARRAY_TASK_ID/$COUNT``)."""
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"shard {text!r} is not of the form i/n (e.g. 3/16)") from None
    return _check_shard((i, n))


def _check_shard(shard: tuple[int, int]) -> tuple[int, int]:
    i, n = shard
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"shard {i}/{n} is invalid: need 0 <= i < n (shards count from 0)")
    return i, n


def _probe_with_cache(root: Path, files: list[Path], probe: _Probe, workers: int,
                      cache: ScanCache, progress: ProgressFn | None) -> list[ImageRecord]:
    """Records of ``files`` in order: remembered ones from ``cache``, the rest probed."""
    rels = [file.relative_to(root).as_posix() for file in files]
    keys = [cache.key(file) for file in files]
    records: list[ImageRecord | None] = [cache.get(k, rel) for k, rel in zip(keys, rels,
                                                                              strict=True)]
    todo = [i for i, r in enumerate(records) if r is None]
    done = len(files) - len(todo)
    report(progress, done, len(files))
    fresh = []
    for i, record in zip(todo, _probe_all(root, [files[i] for i in todo], probe, workers),
                         strict=True):
        records[i] = record
        fresh.append((keys[i], record))
        done += 1
        report(progress, done, len(files))
        if len(fresh) >= 512:
            cache.put(fresh)
            fresh = []
    cache.put(fresh)
    return records  # type: ignore[return-value]


def _probe_all(root: Path, files: list[Path], probe: _Probe,
               workers: int) -> Iterator[ImageRecord]:
    jobs = [(root, file, probe) for file in files]
    if workers <= 1 or len(files) < 2 * workers:
        yield from map(_probe_job, jobs)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_probe_job, jobs, chunksize=16)


def _probe_job(job: tuple[Path, Path, _Probe]) -> ImageRecord:
    root, file, probe = job
    return probe_file(file, file.relative_to(root).as_posix(), page=probe.page,
                      max_pixels=probe.max_pixels, detect_bar=probe.detect_bar)


def probe_file(file: Path, rel: str, *, page: int = 0,
               max_pixels: int | None = DEFAULT_MAX_PIXELS,
               detect_bar: bool = True) -> ImageRecord:
    """The record of one file (no label, no duplicate check): id, metadata or error.

    Never raises for a bad file: its record carries the reason in ``error``.
    """
    if not _is_utf8(rel):
        return ImageRecord(path=display_path(rel), id=None, error=(
            "file name is not valid UTF-8 (shown with \\x escapes): rename it to UTF-8, "
            "e.g. convmv -f latin1 -t utf-8 --notest FILE"))
    unreadable = _unreadable_reason(file)
    if unreadable:
        return ImageRecord(path=rel, id=None, error=unreadable)
    try:
        size = file.stat().st_size
        image_id = md5_of_file(file)
    except OSError as exc:
        return ImageRecord(path=rel, id=None, error=_read_error(exc))
    record = ImageRecord(path=rel, id=image_id, size_bytes=size)
    if file.suffix.lower() in UNSUPPORTED_SUFFIXES:
        return replace(record, error=f"unsupported format {file.suffix.lower()}: convert "
                                     "to TIFF, PNG, JPEG or BMP")
    if size == 0:
        return replace(record, error="empty file (0 bytes)")
    try:
        decoded = decode_image(file, page=page, max_pixels=max_pixels)
    except ImageDecodeError as exc:
        return replace(record, error=f"{NOT_USABLE}: {exc}")
    info = decoded.info
    bar = detect_data_bar(decoded.gray) if detect_bar else None
    return replace(record, width=info.width, height=info.height, mode=info.mode,
                   bit_depth=info.bit_depth, pages=info.pages,
                   crop_box=crop_box_without_bar(decoded.gray.shape, bar) if bar else None,
                   data_bar=bar.box if bar else None, data_bar_kind=bar.kind if bar else None)


def display_path(rel: str) -> str:
    """``rel`` with bytes that are not UTF-8 (surrogate escapes) shown as ``\\xNN``."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unreadable_reason(file: Path) -> str | None:
    """Why ``file`` cannot be opened as a regular file (None: it can be tried)."""
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        if file.is_symlink():
            return (f"broken symbolic link ({exc.strerror or exc}: "
                    f"{os.readlink(file)}): fix or remove the link")
        return _read_error(exc)
    if not stat.S_ISREG(mode):
        return ("not a regular file (a FIFO, device or socket; reading it could block "
                "forever): skipped, replace it with the image file itself")
    return None


def _read_error(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return ("permission denied: the user running Topograph cannot read the file; "
                "give it read access (e.g. chmod a+r FILE)")
    return f"cannot read file: {exc.strerror or exc}"


def mark_duplicates(records: Iterable[ImageRecord]) -> list[ImageRecord]:
    """Mark each readable record whose id an earlier readable record has (in the given
    order, normally sorted paths); ``duplicate_of`` names that earlier path."""
    first_by_id: dict[str, str] = {}
    out = []
    for r in records:
        r = replace(r, duplicate_of=None) if r.duplicate_of else r
        if r.error is None and r.id is not None:
            first = first_by_id.setdefault(r.id, r.path)
            if first != r.path:
                r = replace(r, duplicate_of=first)
        out.append(r)
    return out


def _label(records: list[ImageRecord], labels: dict[str, str],
           from_folders: bool) -> list[ImageRecord]:
    def label_of(r: ImageRecord) -> str | None:
        return (labels.get(r.path) or (labels.get(r.id) if r.id else None)
                or (folder_label(r.path) if from_folders else None))

    return [replace(r, label=label_of(r)) for r in records]
