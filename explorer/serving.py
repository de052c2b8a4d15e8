"""The one route that serves files: pre-rendered thumbnails, by content id.

Policy: the server never serves a file of the image folder by its path. It serves only
the thumbnails the pipeline rendered into ``<cache>/thumbnails``, named by the image's
content id (32 lowercase hex digits + ``.png``). A name of any other shape is a 404 before
the disk is touched, so ``../``, absolute paths, URL-encoded or double-encoded separators,
backslashes, NUL bytes and overlong names never reach the file system. A thumbnail that is
a symbolic link (or resolves outside the thumbnail folder) is refused too: the pipeline
writes regular files only, so a link there was planted and may point anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

THUMBNAIL_ROUTE = "/thumbnails/<name>"
THUMBNAIL_NAME = re.compile(r"[0-9a-f]{32}\.png")
THUMBNAIL_MAX_AGE = 86400  # seconds: a content id never changes its picture


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
    path = Path(folder) / name
    if path.is_symlink() or not path.is_file():
        return None
    return path
