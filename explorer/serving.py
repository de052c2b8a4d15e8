"""The two routes that serve files: pre-rendered thumbnails and the viewer's
full-resolution images, both by content id.

Policy: the server never serves a file of the image folder by its path. It serves only
the thumbnails the pipeline rendered into ``<cache>/thumbnails``, named by the image's
content id (32 lowercase hex digits + ``.png``), and the full-resolution PNGs it renders
into ``<cache>/full`` (``<id>.png``, or ``<id>-bar.png`` with the data bar) for an id of
the dataset loaded in this server (:func:`explorer.viewer.views.full_image_file`). A
name of any other shape is a 404 before the disk is touched, so ``../``, absolute paths,
URL-encoded or double-encoded separators, backslashes, NUL bytes and overlong names never
reach the file system. A cached file that is a symbolic link (or resolves outside its
folder) is refused too: the server writes regular files only, so a link there was
planted and may point anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

THUMBNAIL_ROUTE = "/thumbnails/<name>"
THUMBNAIL_NAME = re.compile(r"[0-9a-f]{32}\.png")
THUMBNAIL_MAX_AGE = 86400  # seconds: a content id never changes its picture
FULL_IMAGE_ROUTE = "/images/<name>"
FULL_IMAGE_NAME = re.compile(r"([0-9a-f]{32})(-bar)?\.png")


def thumbnail_url(image_id: str) -> str:
    """The URL of the thumbnail of the image with content id ``image_id``."""
    return f"/thumbnails/{image_id}.png"


def thumbnail_file(folder: Path, name: str) -> Path | None:
    """The regular file ``folder / name`` if ``name`` is a thumbnail name, else None.

    None as well for a symbolic link, a folder or a missing file. (``name`` has no
    separator, so the file lies directly in ``folder``.)
    """
    if not THUMBNAIL_NAME.fullmatch(name):
        return None
    return regular_file(Path(folder) / name)


def regular_file(path: Path) -> Path | None:
    """``path`` if it is a regular file and not a symbolic link, else None."""
    if path.is_symlink() or not path.is_file():
        return None
    return path


def full_image_url(image_id: str, *, data_bar: bool = False) -> str:
    """The URL of the full-resolution image of ``image_id`` (with its data bar or not)."""
    return f"/images/{image_id}{'-bar' if data_bar else ''}.png"


def parse_full_image_name(name: str) -> tuple[str, bool] | None:
    """``(content id, with data bar)`` of a full-image file name; None for any other."""
    match = FULL_IMAGE_NAME.fullmatch(name)
    return (match[1], match[2] is not None) if match else None
