"""Features shipped with a folder: ``<folder>/.topograph/features-<key>.npz``.

A folder can carry the vectors of one embedding model (the demo set carries those of the
default representation, so ``python app.py`` shows its first page at once on a laptop).
They are used only where everything matches: the file's model key (backbone, weights,
features, preprocessing and code version, :attr:`compute.embed.EmbeddingModel.key`) is the
model's, and a vector is taken only for an image whose content id (MD5 of its bytes) is in
the file; every other image is embedded as usual. Vectors are stored as float16 (the
file stays a few MB; relative rounding 5e-4) and go into the feature store as float32.
The scan skips hidden folders, so ``.topograph`` is never taken for images.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from compute.embed.store import FeatureStore

log = logging.getLogger(__name__)
SEED_FOLDER = ".topograph"


def seed_path(root: str | Path, model_key: str) -> Path:
    """Where a folder keeps the shipped features of one model key."""
    return Path(root) / SEED_FOLDER / f"features-{model_key[:20]}.npz"


def write_seed(root: str | Path, model_key: str, ids: Sequence[str],
               vectors: np.ndarray) -> Path:
    """Write the features ``vectors`` (len(ids), D) of the images ``ids`` for ``model_key``."""
    if vectors.shape[0] != len(ids):
        raise ValueError(f"{len(ids)} ids for {vectors.shape[0]} vectors")
    path = seed_path(root, model_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, key=np.array(model_key), ids=np.array(list(ids)),
                        vectors=np.asarray(vectors, dtype=np.float16))
    return path


def seed_store(store: FeatureStore, root: str | Path, model_key: str,
               ids: Sequence[str]) -> int:
    """Put the shipped vectors of those ``ids`` that ``store`` lacks into it; returns how
    many. Nothing when the folder ships no file for ``model_key`` or the file was made for
    another key."""
    path = seed_path(root, model_key)
    if not path.is_file():
        return 0
    missing = store.missing(ids)
    if not missing:
        return 0
    with np.load(path, allow_pickle=False) as data:
        if str(data["key"]) != model_key or data["vectors"].shape[1:] != (store.dim,):
            log.info("ignoring %s: made for another model", path)
            return 0
        row_of = {image_id: row for row, image_id in enumerate(data["ids"].tolist())}
        rows = [(i, row_of[i]) for i in missing if i in row_of]
        if rows:
            store.put([i for i, _ in rows],
                      data["vectors"][[r for _, r in rows]].astype(np.float32))
    log.info("%d of %d vectors taken from %s", len(rows), len(ids), path)
    return len(rows)
