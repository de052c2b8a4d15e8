"""Small image folders written by tests (shared by several test packages)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image


def write_blob_images(folder: Path, *, per_class: int = 6, size: int = 32,
                      seed: int = 0) -> Path:
    """Two visually distinct classes (bright square top-left / bottom-right) plus labels.csv.

    Returns the labels CSV path (columns path,label).
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for label, corner in (("top-left", (0, 0)), ("bottom-right", (size // 2, size // 2))):
        for i in range(per_class):
            img = rng.integers(0, 40, (size, size), dtype=np.uint8)
            r, c = corner
            img[r:r + size // 2, c:c + size // 2] = 200 + rng.integers(0, 50)
            name = f"{label}-{i}.png"
            Image.fromarray(img).save(folder / name)
            rows.append((name, label))
    labels = folder.parent / f"{folder.name}-labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label"])
        writer.writerows(rows)
    return labels


def write_ray_images(folder: Path, *, per_class: int = 20, size: int = 28,
                     seed: int = 0) -> Path:
    """Two patterns (a bright square top-left / bottom-right on black), each image at a
    dim (x1) or a bright (x8) exposure: as pixel vectors, two *directions* (the class) at
    two *lengths* (exposure, noise). Cosine distance groups by pattern; Euclidean distance
    also by exposure. Returns the labels CSV (path,label: the pattern)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for label, corner in (("top-left", (0, 0)), ("bottom-right", (size // 2, size // 2))):
        for i in range(per_class):
            pattern = np.zeros((size, size))
            r, c = corner
            half = size // 2
            pattern[r:r + half, c:c + half] = 0.7 + 0.3 * rng.random((half, half))  # texture
            exposure = rng.uniform(25, 31) * (8.0 if i % 2 else 1.0)
            name = f"{label}-{i}.png"
            Image.fromarray(np.clip(pattern * exposure, 0, 255).astype(np.uint8)).save(
                folder / name)
            rows.append((name, label))
    labels = folder.parent / f"{folder.name}-labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label"])
        writer.writerows(rows)
    return labels
