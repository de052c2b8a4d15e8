"""Network input: resize, centre crop, normalise (as torchvision's ImageNet recipe).

Pillow does the resizing (torchvision.io decoding does not work next to the CPU torch
here); the arithmetic is numpy, so a worker process never needs torch threads.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from compute.cache import fingerprint_params

log = logging.getLogger(__name__)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Pillow first shrinks by an integer factor (box filter) while the image stays at least
# this many times the target, then resamples: 3x faster on SEM frames, visually the same.
REDUCING_GAP = 2.0
# Longer sides beyond this many times the shorter one are cut (centred) before resizing:
# the centre crop never reaches them, and a 1 x 60000 strip would otherwise be resized to
# 256 x 15 million pixels. Images up to this aspect ratio are not affected.
MAX_ASPECT = 4


@dataclass(frozen=True)
class Preprocessing:
    """How an 8-bit Pillow image becomes a float32 (C, crop, crop) array.

    Resize so the shorter side is ``resize`` (bilinear, antialiased; see
    :data:`REDUCING_GAP`), centre-crop ``crop``,
    scale to [0, 1]; then, for ``channels == 3``, replicate grayscale to RGB and normalise
    with ``mean``/``std``; for ``channels == 1`` (the pixel baseline), convert to grayscale
    and leave [0, 1]. ``keep_data_bar`` is part of the recipe (it changes the input).
    """

    resize: int = 256
    crop: int = 224
    channels: int = 3
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    keep_data_bar: bool = False

    @property
    def fingerprint(self) -> str:
        return fingerprint_params(asdict(self))

    def __call__(self, image) -> np.ndarray:
        """``image``: a Pillow image in mode L or RGB -> float32 (channels, crop, crop)."""
        from PIL import Image

        mode = "L" if self.channels == 1 or image.mode == "L" else "RGB"
        image = _cut_to_aspect(image if image.mode == mode else image.convert(mode))
        width, height = image.size
        short, long = min(width, height), max(width, height)
        new_long = max(self.resize, int(self.resize * long / short))
        size = (self.resize, new_long) if width <= height else (new_long, self.resize)
        if (width, height) != size:
            image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=REDUCING_GAP)
        left = int(round((size[0] - self.crop) / 2.0))
        top = int(round((size[1] - self.crop) / 2.0))
        x = np.asarray(image.crop((left, top, left + self.crop, top + self.crop)),
                       dtype=np.float32)
        if self.channels == 1:
            return x[None] * np.float32(1 / 255)
        out = np.empty((3, self.crop, self.crop), np.float32)
        for c in range(3):  # (x / 255 - mean) / std, grayscale replicated to 3 channels
            scale = np.float32(1 / (255 * self.std[c]))
            np.multiply(x if x.ndim == 2 else x[:, :, c], scale, out=out[c])
            out[c] -= np.float32(self.mean[c] / self.std[c])
        return out


def _cut_to_aspect(image):
    """The centred part of ``image`` whose long side is at most :data:`MAX_ASPECT` times
    its short side (the image itself when it already is)."""
    width, height = image.size
    limit = MAX_ASPECT * min(width, height)
    if max(width, height) <= limit:
        return image
    w, h = min(width, limit), min(height, limit)
    left, top = (width - w) // 2, (height - h) // 2
    return image.crop((left, top, left + w, top + h))


def preprocessing_for(family: str, *, keep_data_bar: bool = False,
                      input_size: int = 224) -> Preprocessing:
    """The recipe a backbone family expects: ``input_size`` crops of images resized to
    ``input_size * 256 / 224`` (ImageNet's 256 -> 224); the pixel baseline: 28x28 gray."""
    if family == "pixels":
        return Preprocessing(resize=28, crop=28, channels=1, keep_data_bar=keep_data_bar)
    if input_size < 32:
        raise ValueError(f"input_size {input_size} is too small for a CNN: use >= 32 (224 "
                         "is what ImageNet weights were trained on)")
    return Preprocessing(resize=round(input_size * 256 / 224), crop=input_size,
                         keep_data_bar=keep_data_bar)


def preprocessing_for_checkpoint(metadata: dict[str, Any], *, input_size: int | None = None,
                                 keep_data_bar: bool = False) -> Preprocessing | None:
    """The recipe a trained checkpoint was made with, from its metadata (``input_size``,
    ``resize``, ``mean``, ``std``; see compute.train.checkpoint.CheckpointMetadata); None
    when the metadata does not say (e.g. a bare state dict).

    An explicit ``input_size`` that differs from the checkpoint's wins (the resize scales
    with it) and is logged as a WARNING, since the network was trained at another size.
    """
    trained = metadata.get("input_size")
    if trained is None:
        return None
    trained = int(trained)
    prep = Preprocessing(resize=int(metadata.get("resize") or round(trained * 256 / 224)),
                         crop=trained, mean=tuple(metadata.get("mean") or IMAGENET_MEAN),
                         std=tuple(metadata.get("std") or IMAGENET_STD),
                         keep_data_bar=keep_data_bar)
    if input_size is None or input_size == trained:
        return prep
    if input_size < 32:
        raise ValueError(f"input_size {input_size} is too small for a CNN: use >= 32, or drop "
                         f"it to use the checkpoint's {trained}")
    log.warning("the checkpoint was trained on %d-pixel inputs; embedding at %d pixels as "
                "asked (drop --input-size to use the checkpoint's size)", trained, input_size)
    return replace(prep, crop=input_size, resize=round(input_size * prep.resize / trained))
