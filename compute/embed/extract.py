"""Streaming feature extraction: worker processes decode, the model runs in batches.

Memory is bounded by ``batch_size`` x (``workers`` x 2 prefetched batches + 1), whatever
the number of images: vectors go to the :class:`FeatureStore` batch by batch.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compute._parallel import usable_cores
from compute.embed.preprocess import Preprocessing
from compute.embed.store import FeatureStore
from compute.ingest import Dataset, ImageRecord, load_image
from compute.progress import ProgressFn, report

log = logging.getLogger(__name__)


def default_workers() -> int:
    """Decoding processes: one per core beyond the first, at most 4 (0 on one core)."""
    return min(4, usable_cores() - 1)


@dataclass(frozen=True)
class _ImageInputs:
    """A map-style dataset for torch's DataLoader: item i -> (i, array or None, error)."""

    dataset: Dataset
    records: tuple[ImageRecord, ...]
    preprocessing: Preprocessing

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> tuple[int, np.ndarray | None, str]:
        try:
            image = load_image(self.dataset, self.records[i],
                               keep_data_bar=self.preprocessing.keep_data_bar)
            return i, self.preprocessing(image), ""
        except Exception as exc:  # the file changed or vanished since the scan
            return i, None, f"not a usable image at embedding time: {type(exc).__name__}: {exc}"


def _collate(items: list[tuple[int, np.ndarray | None, str]]):
    import torch

    good = [(i, x) for i, x, _ in items if x is not None]
    errors = [(i, e) for i, x, e in items if x is None]
    batch = torch.from_numpy(np.stack([x for _, x in good])) if good else None
    return [i for i, _ in good], batch, errors


def extract_missing(dataset: Dataset, records: Sequence[ImageRecord], *, model,
                    preprocessing: Preprocessing, store: FeatureStore, batch_size: int = 32,
                    workers: int = 0, device: str = "cpu",
                    progress: ProgressFn | None = None) -> dict[str, str]:
    """Embed the ``records`` whose ids ``store`` lacks and store their vectors.

    Returns ``{path: error}`` for files that no longer decode. ``progress`` counts all
    ``records`` (the stored ones count as done at once).
    """
    import torch

    todo_ids = set(store.missing([r.id for r in records]))
    todo = tuple(r for r in records if r.id in todo_ids)
    done, total = len(records) - len(todo), len(records)
    report(progress, done, total)
    if not todo:
        return {}
    workers = _usable_workers(workers)
    log.info("embedding %d of %d images (%d already stored) with %d decoding workers",
             len(todo), total, done, workers)
    loader = torch.utils.data.DataLoader(
        _ImageInputs(dataset, todo, preprocessing), batch_size=batch_size, shuffle=False,
        num_workers=workers, collate_fn=_collate, prefetch_factor=2 if workers else None)
    model = model.to(device)
    errors: dict[str, str] = {}
    with torch.inference_mode():
        for indices, batch, failed in loader:
            if batch is not None:
                vectors = model(batch.to(device)).float().cpu().numpy()
                store.put([todo[i].id for i in indices], vectors.reshape(len(indices), -1))
            errors.update((todo[i].path, error) for i, error in failed)
            done += len(indices) + len(failed)
            report(progress, done, total)
    for path, error in errors.items():
        log.warning("%s: %s", path, error)
    return errors


def _usable_workers(workers: int) -> int:
    """Daemonic processes (e.g. some dashboard job runners) may not start children."""
    if workers and multiprocessing.current_process().daemon:
        log.info("running inside a daemonic process: decoding in this process instead of "
                 "%d workers", workers)
        return 0
    return workers


def store_path(cache_root: Path, backbone: str, key: str) -> Path:
    """Where the feature store of one model key lives under a cache folder."""
    return cache_root / "features" / f"{backbone}-{key[:20]}.sqlite"
