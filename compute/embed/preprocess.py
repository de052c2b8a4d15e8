"""Network input: the whole image fitted to the network's square (letterbox by default;
torchvision's resize-and-centre-crop for trained checkpoints), normalised as for ImageNet.

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


FITS = ("letterbox", "stretch", "crop")
# How a frame becomes the square network input (issue 15, measured in benchmarks/RESULTS.md,
# "Default representation"): see Preprocessing.fit.
DEFAULT_FIT = "letterbox"


@dataclass(frozen=True)
class Preprocessing:
    """How an 8-bit Pillow image becomes a float32 (C, crop, crop) array.

    ``fit`` says how the frame becomes a ``crop`` x ``crop`` square (bilinear,
    antialiased; see :data:`REDUCING_GAP`):

    - ``"letterbox"``: the whole image, its longer side resized to ``crop`` and its aspect
      kept; the rest of the square is filled with the image's mean grey/colour;
    - ``"stretch"``: the whole image resized to ``crop`` x ``crop`` (aspect not kept);
    - ``"crop"``: torchvision's ImageNet recipe: the shorter side resized to ``resize``, then
      the centred ``crop`` x ``crop`` square (cuts the borders, and the long sides' ends);
      trained checkpoints use it (their training did).

    ``resize`` is used by "crop" only. Then scale to [0, 1]; for ``channels == 3``,
    replicate grayscale to RGB and normalise with ``mean``/``std``; for ``channels == 1``
    (the pixel baseline), convert to grayscale and leave [0, 1]. ``keep_data_bar`` is part
    of the recipe (it changes the input).
    """

    resize: int = 256
    crop: int = 224
    channels: int = 3
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    keep_data_bar: bool = False
    fit: str = "crop"

    def __post_init__(self) -> None:
        if self.fit not in FITS:
            raise ValueError(f"unknown fit {self.fit!r}; choose one of {FITS}")

    @property
    def fingerprint(self) -> str:
        """Keys the feature store: every field (a "crop" recipe keeps its pre-issue-15 key,
        so stores made before ``fit`` existed stay valid)."""
        fields_ = asdict(self)
        if self.fit == "crop":
            del fields_["fit"]
        return fingerprint_params(fields_)

    def describe(self) -> str:
        """In words, e.g. "whole image letterboxed to 224 x 224"."""
        side = f"{self.crop} x {self.crop}"
        return {"letterbox": f"whole image letterboxed to {side}",
                "stretch": f"whole image resized to {side} (aspect not kept)",
                "crop": f"shorter side resized to {self.resize}, centre {side} cropped",
                }[self.fit] + (", data bar kept" if self.keep_data_bar else "")

    def __call__(self, image) -> np.ndarray:
        """``image``: a Pillow image in mode L or RGB -> float32 (channels, crop, crop)."""
        mode = "L" if self.channels == 1 or image.mode == "L" else "RGB"
        image = _cut_to_aspect(image if image.mode == mode else image.convert(mode))
        x = np.asarray(_fitted(image, self.fit, self.crop, self.resize), dtype=np.float32)
        if self.channels == 1:
            return x[None] * np.float32(1 / 255)
        out = np.empty((3, self.crop, self.crop), np.float32)
        for c in range(3):  # (x / 255 - mean) / std, grayscale replicated to 3 channels
            scale = np.float32(1 / (255 * self.std[c]))
            np.multiply(x if x.ndim == 2 else x[:, :, c], scale, out=out[c])
            out[c] -= np.float32(self.mean[c] / self.std[c])
        return out


def _fitted(image, fit: str, side: int, resize: int):
    """``image`` (Pillow) as a ``side`` x ``side`` Pillow image, by ``fit``."""
    from PIL import Image

    width, height = image.size
    if fit == "stretch":
        return _resized(image, (side, side))
    if fit == "letterbox":
        scale = side / max(width, height)
        inner = (max(1, round(width * scale)), max(1, round(height * scale)))
        inner_image = _resized(image, inner)
        fill = tuple(int(round(v)) for v in np.asarray(inner_image).reshape(
            inner[0] * inner[1], -1).mean(axis=0))
        square = Image.new(image.mode, (side, side), fill[0] if image.mode == "L" else fill)
        square.paste(inner_image, ((side - inner[0]) // 2, (side - inner[1]) // 2))
        return square
    short, long = min(width, height), max(width, height)
    new_long = max(resize, int(resize * long / short))
    size = (resize, new_long) if width <= height else (new_long, resize)
    image = _resized(image, size)
    left = int(round((size[0] - side) / 2.0))
    top = int(round((size[1] - side) / 2.0))
    return image.crop((left, top, left + side, top + side))


def _resized(image, size: tuple[int, int]):
    from PIL import Image

    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=REDUCING_GAP)


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


def preprocessing_for(family: str, *, keep_data_bar: bool = False, input_size: int = 224,
                      fit: str = DEFAULT_FIT) -> Preprocessing:
    """The recipe of a backbone family with pretrained (or random) weights: the whole image
    fitted to ``input_size`` squares by ``fit`` (:data:`DEFAULT_FIT`; "crop" resizes to
    ``input_size * 256 / 224`` first, ImageNet's 256 -> 224); the pixel baseline: 28x28 gray."""
    if family == "pixels":
        return Preprocessing(resize=28, crop=28, channels=1, keep_data_bar=keep_data_bar,
                             fit=fit)
    if input_size < 32:
        raise ValueError(f"input_size {input_size} is too small for a CNN: use >= 32 (224 "
                         "is what ImageNet weights were trained on)")
    return Preprocessing(resize=round(input_size * 256 / 224), crop=input_size,
                         keep_data_bar=keep_data_bar, fit=fit)


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
