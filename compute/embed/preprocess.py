"""Network input: resize, centre crop, normalise (as torchvision's ImageNet recipe).

Pillow does the resizing (torchvision.io decoding does not work next to the CPU torch
here); the arithmetic is numpy, so a worker process never needs torch threads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from compute.cache import fingerprint_params

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocessing:
    """How an 8-bit Pillow image becomes a float32 (C, crop, crop) array.

    Resize so the shorter side is ``resize`` (bilinear, antialiased), centre-crop ``crop``,
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

        image = image.convert("L" if self.channels == 1 or image.mode == "L" else "RGB")
        width, height = image.size
        short, long = min(width, height), max(width, height)
        new_long = max(self.resize, int(self.resize * long / short))
        size = (self.resize, new_long) if width <= height else (new_long, self.resize)
        if (width, height) != size:
            image = image.resize(size, Image.Resampling.BILINEAR)
        left = int(round((size[0] - self.crop) / 2.0))
        top = int(round((size[1] - self.crop) / 2.0))
        image = image.crop((left, top, left + self.crop, top + self.crop))
        x = np.asarray(image, dtype=np.float32) * np.float32(1 / 255)
        if self.channels == 1:
            return x[None]
        if x.ndim == 2:
            x = np.repeat(x[:, :, None], 3, axis=2)
        x = (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1))


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
