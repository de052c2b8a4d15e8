"""Pre-rendered thumbnails: small PNG files named ``<image id>.png`` in a cache folder."""

from __future__ import annotations

import os
from pathlib import Path

from compute.ingest import Dataset
from compute.progress import ProgressFn, report

THUMB_SIZE = 128


def render_thumbnails(dataset: Dataset, out_dir: str | os.PathLike[str], *,
                      size: int = THUMB_SIZE, progress: ProgressFn | None = None) -> Path:
    """Write a thumbnail (longest side ``size`` px) for every usable image missing one."""
    from PIL import Image

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    usable = dataset.usable
    for i, record in enumerate(usable):
        target = out / f"{record.id}.png"
        if not target.exists():
            with Image.open(dataset.root / record.path) as im:
                im = im.convert("L") if im.mode in ("I;16", "I", "F") else im.convert("RGB")
                im.thumbnail((size, size), Image.Resampling.LANCZOS)
                tmp = target.with_suffix(".tmp")
                im.save(tmp, format="PNG")
                os.replace(tmp, target)
        if i % 64 == 0 or i + 1 == len(usable):
            report(progress, i + 1, len(usable))
    return out
