"""The batch output of an embedding run and the merge of cluster shards.

An output folder holds:

- ``embeddings.npy``: (N, D) float32, written through a memory map (RAM stays bounded);
- ``manifest.csv``: every scanned file (:mod:`compute.ingest.manifest`); ``row`` is the
  file's row in ``embeddings.npy``; files without a row are duplicates (``duplicate_of``)
  or failures (``error`` says why);
- ``embedding.json``: backbone, weights, features, model key, dimension, shard, source.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from compute.ingest import Dataset, ImageRecord, mark_duplicates, read_manifest, write_manifest
from compute.progress import ProgressFn, report

EMBEDDINGS_FILE = "embeddings.npy"
MANIFEST_FILE = "manifest.csv"
META_FILE = "embedding.json"
_COPY_ROWS = 4096


def write_output(out_dir: str | os.PathLike[str], records: Sequence[ImageRecord], *,
                 embedded: Sequence[ImageRecord], dim: int,
                 fill: Callable[[list[str], np.ndarray], None],
                 meta: dict[str, Any]) -> Path:
    """Write the three files; ``embedded`` are the records with a row, in row order.

    ``fill(ids, out)`` writes the vectors of ``ids`` into the (len(ids), dim) slice ``out``
    of the memory-mapped matrix (e.g. ``FeatureStore.get``), in chunks.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{EMBEDDINGS_FILE}.tmp"
    matrix = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32,
                                       shape=(len(embedded), dim))
    ids = [r.id for r in embedded]
    for start in range(0, len(ids), _COPY_ROWS):
        fill(ids[start:start + _COPY_ROWS], matrix[start:start + _COPY_ROWS])
    matrix.flush()
    del matrix
    os.replace(tmp, out / EMBEDDINGS_FILE)
    write_manifest(records, out / MANIFEST_FILE,
                   rows={r.path: i for i, r in enumerate(embedded)})
    meta = {**meta, "rows": len(embedded), "dim": dim, "files": len(records)}
    (out / META_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return out


def merge_outputs(shard_dirs: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
                  *, progress: ProgressFn | None = None) -> tuple[int, int]:
    """Merge shard output folders into one; returns (rows, files).

    Files are put back in path order and exact duplicates are found again across shards
    (the first path keeps its row). Raises ValueError if the shards used different models.
    """
    shards = [_read_shard(Path(d)) for d in shard_dirs]
    if not shards:
        raise ValueError("no shard folders given: pass the --out folders of the shard runs")
    _check_same_model([meta for meta, _, _, _ in shards], shard_dirs)
    source: dict[str, tuple[np.ndarray, int]] = {}
    records: list[ImageRecord] = []
    for _, shard_records, rows, matrix in shards:
        records.extend(shard_records)
        source.update((path, (matrix, row)) for path, row in rows.items())
    records = mark_duplicates(sorted(records, key=lambda r: r.path))
    embedded = [r for r in records if r.error is None and r.duplicate_of is None]
    by_id = {r.id: source[r.path] for r in embedded}
    done = 0

    def fill(ids: list[str], out: np.ndarray) -> None:
        nonlocal done
        for k, image_id in enumerate(ids):
            matrix, row = by_id[image_id]
            out[k] = matrix[row]
        done += len(ids)
        report(progress, done, len(embedded))

    summary = Dataset(root=Path(shards[0][0].get("root", ".")), records=tuple(records)).summary()
    meta = {**shards[0][0], "shard": None, "summary": summary,
            "merged_from": [str(d) for d in shard_dirs]}
    write_output(out_dir, records, embedded=embedded, dim=int(meta["dim"]), fill=fill,
                 meta=meta)
    return len(embedded), len(records)


def _read_shard(folder: Path) -> tuple[dict[str, Any], list[ImageRecord], dict[str, int],
                                       np.ndarray]:
    files = [folder / name for name in (META_FILE, MANIFEST_FILE, EMBEDDINGS_FILE)]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a finished embedding output ({missing} "
                                "missing): re-run that shard")
    meta = json.loads(files[0].read_text())
    records, rows = read_manifest(files[1])
    return meta, records, rows, np.load(files[2], mmap_mode="r")


def _check_same_model(metas: list[dict[str, Any]], dirs: Sequence[Any]) -> None:
    keys = {m.get("key") for m in metas}
    if len(keys) != 1:
        detail = ", ".join(f"{d}: {m.get('backbone')} / {m.get('weights')}"
                           for d, m in zip(dirs, metas, strict=True))
        raise ValueError(f"the shards were embedded with different models ({detail}); "
                         "re-run them with the same --model/--weights/--features")
