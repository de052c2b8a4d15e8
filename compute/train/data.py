"""Images in memory for training: uint8 stacks, label codes, splits and batch tensors.

Images are held as one uint8 array ``(N, C, S, S)`` (C = 1 for grayscale, 3 for colour) at
the *resize* size S; every batch is cropped to the network's input size, expanded to three
channels and normalised with the ImageNet mean and standard deviation (the seeds'
preprocessing: resize 256, centre crop 224; :class:`Preprocessing` keeps that 256/224 ratio
for other input sizes).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compute.cache import fingerprint_array
from compute.embed.preprocess import Preprocessing, preprocessing_for
from compute.progress import ProgressFn, report

if TYPE_CHECKING:
    import torch

    from compute.ingest import Dataset

log = logging.getLogger(__name__)
AUTO_INPUT_SIZES = (32, 64, 96, 128, 160, 224)  # the smallest that covers the images wins


def preprocessing_for_input(input_size: int, resize: int | None = None) -> Preprocessing:
    """The embedder's recipe for ``input_size`` crops (resize = input_size x 256/224, the
    seeds' 256 -> 224, unless ``resize`` is given)."""
    prep = preprocessing_for("resnet", input_size=input_size, fit="crop")  # as trained
    if resize is None:
        return prep
    if resize < input_size:
        raise ValueError(f"resize {resize} is smaller than the input size {input_size}: "
                         "pass --resize >= --input-size")
    return replace(prep, resize=resize)


@dataclass(frozen=True)
class ImageStack:
    """Images ready for training.

    pixels: (N, C, S, S) uint8, C in {1, 3}, S = ``preprocessing.resize``.
    labels: (N,) int64 class codes, -1 where the label is unknown.
    classes: class names; ``labels[i] == j`` means ``classes[j]``.
    source: the image folder's name ("" if not from a folder), recorded in checkpoints so a
        user sees which images weights were trained on.
    """

    pixels: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    preprocessing: Preprocessing
    source: str = ""

    @property
    def n_labelled(self) -> int:
        return int((self.labels >= 0).sum())

    @property
    def fingerprint(self) -> str:
        """Content digest of the pixels and labels (goes into checkpoint metadata)."""
        return fingerprint_array(self.pixels) + fingerprint_array(self.labels)[:8]


def encode_labels(labels: Sequence[str | None] | None,
                  n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class codes (N,) int64 (-1 for None/empty) and the sorted class names."""
    if labels is None:
        return np.full(n, -1, dtype=np.int64), ()
    if len(labels) != n:
        raise ValueError(f"got {len(labels)} labels for {n} images: give one label (or None) "
                         "per image")
    names = [None if lab is None or str(lab) == "" else str(lab) for lab in labels]
    classes = tuple(sorted({lab for lab in names if lab is not None}))
    code = {c: i for i, c in enumerate(classes)}
    codes = np.array([code[lab] if lab is not None else -1 for lab in names], dtype=np.int64)
    return codes, classes


def stack_from_arrays(images: np.ndarray, labels: Sequence[str | None] | None = None, *,
                      preprocessing: Preprocessing) -> ImageStack:
    """Stack (N, H, W) grayscale or (N, H, W, 3) colour uint8 images (resized as needed)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"images must be a non-empty uint8 array (N, H, W) or (N, H, W, 3); "
                         f"got {images.dtype} {images.shape}")
    size = preprocessing.resize
    if images.shape[1:3] == (size, size):
        pixels = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
    else:
        pixels = np.stack([_square(im, size) for im in images])
    codes, classes = encode_labels(labels, len(images))
    return ImageStack(np.ascontiguousarray(pixels), codes, classes, preprocessing)


def stack_from_folder(images: str | os.PathLike[str], labels: str | os.PathLike[str] | None,
                      *, input_size: int | None = None, resize: int | None = None,
                      scan_cache: str | os.PathLike[str] | None = None,
                      progress: ProgressFn | None = None) -> ImageStack:
    """Scan an image folder (``labels``: optional CSV) and load it for training.

    ``input_size`` None: chosen from the image sizes (:func:`auto_input_size`).
    Progress: the scan 0-50 %, loading 50-100 %."""
    from compute.ingest import scan_folder
    from compute.progress import scaled

    dataset = scan_folder(images, labels_csv=labels, cache_dir=scan_cache,
                          progress=scaled(progress, 0.0, 0.5))
    size = input_size or auto_input_size([(r.width or 0, r.height or 0) for r in dataset.usable])
    stack, _ = stack_from_dataset(dataset, preprocessing=preprocessing_for_input(size, resize),
                                  progress=scaled(progress, 0.5, 1.0))
    return replace(stack, source=Path(images).resolve().name)


def auto_input_size_of_folder(images: str | os.PathLike[str],
                              scan_cache: str | os.PathLike[str] | None = None) -> int:
    """:func:`auto_input_size` of the usable images of a folder (the scan is cached)."""
    from compute.ingest import scan_folder

    dataset = scan_folder(images, cache_dir=scan_cache)
    return auto_input_size([(r.width or 0, r.height or 0) for r in dataset.usable])


def auto_input_size(widths_heights: Sequence[tuple[int, int]]) -> int:
    """The network input side for images of these sizes: the smallest of
    :data:`AUTO_INPUT_SIZES` not below the median shorter side (224 for large images), so
    that 28 x 28 images train at 32 px, not at 224 (49 times the work)."""
    sides = sorted(min(w, h) for w, h in widths_heights if w and h)
    if not sides:
        return AUTO_INPUT_SIZES[-1]
    median = sides[len(sides) // 2]
    return next((s for s in AUTO_INPUT_SIZES if s >= median), AUTO_INPUT_SIZES[-1])


def stack_from_dataset(dataset: Dataset, *, preprocessing: Preprocessing,
                       progress: ProgressFn | None = None) -> tuple[ImageStack, tuple[str, ...]]:
    """Load every usable image of a scanned folder; returns the stack and the image ids.

    Pixels come from :func:`compute.ingest.load_image` (the embedder's decoder: 16-bit
    TIFFs stretched to 8 bits, SEM data bars cut off).
    Non-square images keep their central square after the shorter side is resized.
    Grayscale folders stay one channel; any colour image makes the stack three channels.
    """
    from compute.ingest import load_image

    usable = dataset.usable
    if not usable:
        raise ValueError(f"no readable images in {dataset.root}: {dataset.summary()}")
    arrays = []
    for i, record in enumerate(usable):
        image = load_image(dataset, record)  # 8-bit L or RGB, SEM data bar cut off
        arrays.append(_square(np.asarray(image), preprocessing.resize))
        report(progress, i + 1, len(usable))
    if any(a.shape[0] == 3 for a in arrays):
        arrays = [np.repeat(a, 3, axis=0) if a.shape[0] == 1 else a for a in arrays]
    codes, classes = encode_labels([r.label for r in usable], len(usable))
    stack = ImageStack(np.stack(arrays), codes, classes, preprocessing)
    return stack, tuple(r.id for r in usable)


def _square(image: np.ndarray, size: int) -> np.ndarray:
    """(C, size, size) uint8: shorter side resized to ``size`` (bilinear), centre square."""
    from PIL import Image

    im = Image.fromarray(image)
    w, h = im.size
    scale = size / min(w, h)
    im = im.resize((max(size, round(w * scale)), max(size, round(h * scale))),
                   Image.Resampling.BILINEAR)
    left, top = (im.size[0] - size) // 2, (im.size[1] - size) // 2
    arr = np.asarray(im.crop((left, top, left + size, top + size)))
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def stratified_split(labels: np.ndarray, *, validation: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) of the labelled rows, ``validation`` of each class held out."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels[labels >= 0]):
        rows = rng.permutation(np.flatnonzero(labels == c))
        n_val = int(round(validation * len(rows))) if len(rows) > 1 else 0
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def require_labels(stack: ImageStack, strategy: str, *, min_classes: int = 2) -> None:
    """Raise a ValueError that says what to do when a supervised strategy lacks labels."""
    n_classes = len(np.unique(stack.labels[stack.labels >= 0]))
    if n_classes < min_classes:
        raise ValueError(f"strategy {strategy!r} needs labels for at least {min_classes} classes "
                         f"(found {stack.n_labelled} labelled images in {n_classes} classes): "
                         "pass --labels CSV, or use an unsupervised strategy "
                         "(deepcluster, simclr)")


BatchTransform = Callable[["torch.Tensor"], "torch.Tensor"]


def batch_tensor(stack: ImageStack, rows: np.ndarray, *,
                 augment: BatchTransform | None = None) -> torch.Tensor:
    """A float32 batch (B, 3, crop, crop) of ``rows``, normalised with the stack's
    preprocessing mean and std (ImageNet's unless changed).

    Without ``augment`` the images are centre-cropped (evaluation); with it, ``augment``
    maps the float [0, 1] batch (B, 3, S, S) to (B, 3, crop, crop).
    """
    import torch

    x = torch.from_numpy(stack.pixels[rows])
    x = x.float().div_(255.0)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    x = centre_crop(x, stack.preprocessing.crop) if augment is None else augment(x)
    mean = torch.tensor(stack.preprocessing.mean).view(1, 3, 1, 1)
    std = torch.tensor(stack.preprocessing.std).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def centre_crop(x: torch.Tensor, crop: int) -> torch.Tensor:
    """Centre crop of a (B, C, S, S) batch to (B, C, crop, crop)."""
    size = x.shape[-1]
    top = (size - crop) // 2
    return x[..., top:top + crop, top:top + crop]


def batches(n: int, batch_size: int, *, rng: np.random.Generator | None = None,
            drop_last: bool = False) -> list[np.ndarray]:
    """Row indices in batches; shuffled when ``rng`` is given."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]
