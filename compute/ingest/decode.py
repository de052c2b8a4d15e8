"""Decoding image files with Pillow (tifffile for TIFFs Pillow cannot read).

Every reader of pixels (scan, network input, thumbnails) goes through
:func:`decode_image`, so a file decodes the same way everywhere: first page of a
multi-page TIFF unless told otherwise, a pixel limit against decompression bombs, and
high-bit-depth or float data mapped to 8 bits by a percentile stretch.
"""

from __future__ import annotations

import os
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from compute.ingest.native import NativeReadError, is_native, read_native

if TYPE_CHECKING:
    from collections.abc import Iterator

    from PIL import Image as PILImage

DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own default limit (about 0.18 gigapixels)
STRETCH_PERCENTILES = (0.5, 99.5)
EIGHT_BIT_MODES = frozenset({"L", "P", "RGB", "RGBA", "LA", "PA", "CMYK", "YCbCr", "LAB",
                             "HSV", "RGBX", "RGBa", "La"})
GRAY_MODES = frozenset({"1", "L", "LA", "La"})
TIFF_SUFFIXES = frozenset({".tif", ".tiff"})


class ImageDecodeError(ValueError):
    """A file that cannot be used as an image; the message is the reason, for a manifest."""


class _LossyTiffError(Exception):
    """Pillow would decode this TIFF lossily: read it with tifffile."""


@dataclass(frozen=True)
class ImageInfo:
    """What a file holds: size in pixels, Pillow mode (or ``tifffile:<dtype>``), bits per
    sample and number of pages (frames)."""

    width: int
    height: int
    mode: str
    bit_depth: int
    pages: int


@dataclass(frozen=True)
class DecodedImage:
    """One page of a file: ``image`` is an 8-bit Pillow image in mode ``L`` or ``RGB``;
    :attr:`gray` the original intensities as a 2-D array (any dtype) for analysis."""

    image: PILImage.Image
    info: ImageInfo
    raw_gray: np.ndarray | None = None  # kept when the file is not 8-bit
    # scale readings of native microscope formats (compute.scale.metadata.MetadataScale)
    metadata: tuple = ()

    @property
    def gray(self) -> np.ndarray:
        if self.raw_gray is not None:
            return self.raw_gray
        return np.asarray(self.image if self.image.mode == "L" else self.image.convert("L"))


def stretch_to_uint8(array: np.ndarray, *,
                     percentiles: tuple[float, float] = STRETCH_PERCENTILES) -> np.ndarray:
    """Map ``array`` (any numeric dtype, (H, W) or (H, W, C)) to uint8 by a percentile clip.

    Values at or below the low percentile become 0, at or above the high one 255 (over all
    channels together, NaN/inf ignored and set to 0). A constant image maps to 0.
    """
    a = np.asarray(array, dtype=np.float64)
    finite = np.isfinite(a)
    sample = a[finite][:: max(1, int(finite.sum()) // 1_000_000)]
    if sample.size == 0:
        return np.zeros(a.shape, np.uint8)
    lo, hi = np.percentile(sample, percentiles)
    if hi <= lo:
        lo, hi = float(sample.min()), float(sample.max())
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    out = np.clip((np.where(finite, a, lo) - lo) * scale, 0, 255)
    return np.rint(out).astype(np.uint8)


def decode_image(path: str | os.PathLike[str], *, page: int = 0,
                 max_pixels: int | None = DEFAULT_MAX_PIXELS) -> DecodedImage:
    """Decode page ``page`` of the image file at ``path``.

    Raises :class:`ImageDecodeError` (a ValueError) with a one-line reason for a broken,
    unsupported or oversized file (more than ``max_pixels`` pixels; None: no limit).
    """
    path = Path(path)
    if is_native(path):
        return _decode_native(path, page, max_pixels)
    try:
        return _decode_with_pillow(path, page, max_pixels)
    except ImageDecodeError:
        raise
    except Exception as exc:  # Pillow raises many types for broken or unusual files
        if path.suffix.lower() in TIFF_SUFFIXES:
            return _decode_with_tifffile(path, page, max_pixels, pillow_error=exc)
        raise ImageDecodeError(_friendly_reason(exc)) from exc


def _decode_with_pillow(path: Path, page: int, max_pixels: int | None) -> DecodedImage:
    from PIL import Image

    with _pixel_limit(max_pixels), Image.open(path) as im:
        pages = int(getattr(im, "n_frames", 1))
        _check_page(page, pages)
        if page:
            im.seek(page)
        _check_pixels(im.width, im.height, max_pixels)
        if im.format == "TIFF" and im.mode in EIGHT_BIT_MODES and _tiff_bits(im) > 8:
            raise _LossyTiffError(f"Pillow reads {_tiff_bits(im)}-bit {im.mode} as 8 bits")
        im.load()
        info = ImageInfo(width=im.width, height=im.height, mode=im.mode,
                         bit_depth=_bit_depth(im.mode), pages=pages)
        if im.mode in EIGHT_BIT_MODES or im.mode == "1":
            mode = "L" if im.mode in GRAY_MODES or _is_gray_palette(im) else "RGB"
            return DecodedImage(image=im if im.mode == mode else im.convert(mode), info=info)
        gray = np.asarray(im)  # I;16*, I, F: keep the values for analysis, stretch for display
        if gray.ndim != 2:
            raise ImageDecodeError(f"unsupported Pillow mode {im.mode} with shape {gray.shape}")
    return DecodedImage(image=Image.fromarray(stretch_to_uint8(gray), mode="L"), info=info,
                        raw_gray=gray)


def _decode_native(path: Path, page: int, max_pixels: int | None) -> DecodedImage:
    """DM3/DM4, SER, EMD and SXM files through :mod:`compute.ingest.native`."""
    from PIL import Image

    from compute.scale.metadata import MetadataScale
    from compute.scale.text import InstrumentFields

    try:
        native = read_native(path, page=page)
    except NativeReadError as exc:
        raise ImageDecodeError(str(exc)) from exc
    array = np.asarray(native.array)
    if array.ndim != 2 or min(array.shape) < 1:
        raise ImageDecodeError(f"unsupported {native.kind} layout: shape {array.shape}")
    height, width = (int(n) for n in array.shape)
    _check_pixels(width, height, max_pixels)
    info = ImageInfo(width=width, height=height, mode=f"{native.kind}:{array.dtype}",
                     bit_depth=array.dtype.itemsize * 8, pages=native.frames)
    metadata = ()
    if native.nm_per_pixel is not None:
        metadata = (MetadataScale(nm_per_pixel=native.nm_per_pixel, source=native.kind,
                                  fields=InstrumentFields(), confidence=1.0,
                                  uncertainty=0.005, note=f"channel: {native.channel}"),)
    image = Image.fromarray(stretch_to_uint8(array), mode="L")
    return DecodedImage(image=image, info=info, raw_gray=array, metadata=metadata)


def _decode_with_tifffile(path: Path, page: int, max_pixels: int | None,
                          pillow_error: Exception) -> DecodedImage:
    """TIFFs Pillow cannot decode (16-bit RGB, float64, unusual compressions)."""
    from PIL import Image

    try:
        import tifffile

        with tifffile.TiffFile(path) as tif:
            pages = len(tif.pages)
            _check_page(page, pages)
            shape = tif.pages[page].shape
            _check_pixels(int(shape[-1] if len(shape) == 2 else shape[1]), int(shape[0]),
                          max_pixels)
            array = tif.pages[page].asarray()
    except ImageDecodeError:
        raise
    except Exception as exc:
        raise ImageDecodeError(f"{_friendly_reason(pillow_error)} (tifffile: {_reason(exc)})"
                               ) from exc
    array = np.squeeze(array)
    if array.ndim == 3 and array.shape[0] in (3, 4) and array.shape[-1] not in (3, 4):
        array = np.moveaxis(array, 0, -1)  # planar (C, H, W) -> (H, W, C)
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in (3, 4))):
        raise ImageDecodeError(f"unsupported TIFF layout: array shape {array.shape} "
                               "(expected (H, W) or (H, W, 3|4))")
    channels = 1 if array.ndim == 2 else 3
    array = array if channels == 1 else array[..., :3]
    info = ImageInfo(width=int(array.shape[1]), height=int(array.shape[0]),
                     mode=f"tifffile:{array.dtype}" + ("" if channels == 1 else "x3"),
                     bit_depth=array.dtype.itemsize * 8, pages=pages)
    eight = stretch_to_uint8(array) if array.dtype != np.uint8 else array
    image = Image.fromarray(eight, mode="L" if channels == 1 else "RGB")
    return DecodedImage(image=image, info=info, raw_gray=array if channels == 1 else None)


@contextmanager
def _pixel_limit(max_pixels: int | None) -> Iterator[None]:
    """Make Pillow's decompression-bomb check use ``max_pixels`` while a file is opened."""
    from PIL import Image

    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    except Image.DecompressionBombError as exc:
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        raise ImageDecodeError(_bomb_message(f"{claimed[1] if claimed else 'its'} pixels",
                                             max_pixels)) from exc
    finally:
        Image.MAX_IMAGE_PIXELS = old


def _check_pixels(width: int, height: int, max_pixels: int | None) -> None:
    if max_pixels is not None and width * height > max_pixels:
        raise ImageDecodeError(_bomb_message(f"{width}x{height} = {width * height} pixels",
                                             max_pixels))


def _bomb_message(size: str, max_pixels: int | None) -> str:
    return (f"refused as a possible decompression bomb: {size} is above the limit of "
            f"{max_pixels} pixels; raise the pixel limit (max_pixels, --max-pixels) if the "
            "image is genuine")


def _check_page(page: int, pages: int) -> None:
    if not 0 <= page < pages:
        raise ImageDecodeError(f"has {pages} page(s); page {page} does not exist")


def _bit_depth(mode: str) -> int:
    if mode == "1":
        return 1
    if mode.startswith("I;16"):
        return 16
    return 32 if mode in ("I", "F") else 8


def _tiff_bits(im: PILImage.Image) -> int:
    bits = getattr(im, "tag_v2", {}).get(258, 8)  # BitsPerSample
    return int(max(bits)) if isinstance(bits, tuple) else int(bits)


def _is_gray_palette(im: PILImage.Image) -> bool:
    if im.mode not in ("P", "PA"):
        return False
    palette = np.asarray(im.getpalette() or [], dtype=np.int16).reshape(-1, 3)
    return bool(palette.size) and bool((palette == palette[:, :1]).all())


def _friendly_reason(exc: BaseException) -> str:
    """The reason a user can act on, for the usual Pillow errors (no absolute paths)."""
    from PIL import UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return ("not a recognised image format (PNG, JPEG, TIFF, BMP, GIF): the content is "
                "something else or badly damaged")
    if "truncated" in str(exc).lower():
        return ("the file is truncated (an interrupted copy or save?): copy it again from "
                "its source")
    return _reason(exc)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
