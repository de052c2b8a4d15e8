"""Tesseract OCR of data-bar text, through pytesseract (Debian package ``tesseract-ocr``).

Crops are prepared the way Tesseract reads best: ink mapped to black on white, upscaled
so that text is about :data:`TARGET_TEXT_PX` pixels high, padded with a white margin.
Every call is bounded by a timeout, and any Tesseract failure (missing binary, crash,
timeout) comes back as :class:`OcrError`, never as an exception from deep inside.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from compute.scale.band import BandInk, Box

log = logging.getLogger(__name__)

TARGET_TEXT_PX = 36.0          # glyph height for a label: Tesseract reads these best
FIELDS_TEXT_PX = 24.0          # ...for a whole band: smaller page, faster, as accurate
LABEL_WHITELIST = "0123456789.,nmuµμ "
OCR_TIMEOUT_S = 20.0
_env_lock = threading.Lock()
_active_calls = 0  # Tesseract calls running now, across threads
_we_set_it = False  # whether OMP_THREAD_LIMIT is ours to remove


class OcrError(RuntimeError):
    """Tesseract could not be run or did not answer; the message says why."""


@dataclass(frozen=True)
class OcrText:
    """Recognised text and Tesseract's mean word confidence in [0, 1]."""

    text: str
    confidence: float


def prepare_crop(ink: BandInk, box: Box, *, pad_px: int | None = None,
                 text_px: float = TARGET_TEXT_PX) -> np.ndarray:
    """The box's pixels as uint8, dark text on white, scaled so text is ``text_px`` high.

    Returns shape (h', w'); never shrinks (scale factor between 1 and 6).
    """
    from PIL import Image

    h = max(ink.text_height, 4.0)
    pad = int(pad_px if pad_px is not None else round(0.3 * h))
    rows, cols = ink.gray.shape
    crop = ink.gray[max(0, box.top - pad):min(rows, box.bottom + pad),
                    max(0, box.left - pad):min(cols, box.right + pad)]
    span = ink.ink - ink.background
    ink_frac = np.clip((crop - ink.background) / span, 0.0, 1.0) if abs(span) > 1e-6 \
        else np.zeros_like(crop)
    page = (255.0 * (1.0 - ink_frac)).astype(np.uint8)
    scale = float(np.clip(text_px / h, 1.0, 6.0))
    image = Image.fromarray(page)
    if scale > 1.0:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.BICUBIC)
    margin = int(text_px // 2)
    return np.pad(np.asarray(image), margin, constant_values=255)


def run_tesseract(page: np.ndarray, *, psm: int, whitelist: str | None = None,
                  timeout_s: float = OCR_TIMEOUT_S) -> OcrText:
    """OCR one prepared page (uint8, dark text on white) with page segmentation ``psm``.

    Raises OcrError when Tesseract or pytesseract is unavailable or fails.
    """
    try:
        import pytesseract
    except ImportError as exc:
        raise OcrError("pytesseract is not installed: pip install -r requirements.txt "
                       "(and apt-get install tesseract-ocr)") from exc
    from PIL import Image

    config = f"--psm {psm}"
    if whitelist:
        config += f" -c tessedit_char_whitelist={whitelist.replace(' ', '')}"
        config += " -c preserve_interword_spaces=1"
    try:
        with _single_threaded_children():
            data = pytesseract.image_to_data(Image.fromarray(page), lang="eng", config=config,
                                             timeout=timeout_s,
                                             output_type=pytesseract.Output.DICT)
    except (pytesseract.TesseractError, pytesseract.TesseractNotFoundError,
            RuntimeError, OSError) as exc:
        raise OcrError(f"tesseract failed: {str(exc).strip() or type(exc).__name__}") from exc
    return _join_words(data)


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    """Start Tesseract with OMP_THREAD_LIMIT=1 (small crops run faster on one thread).

    pytesseract passes this process's environment on, so the variable is set only while
    calls are running (counted across threads) and restored after, keeping it away from
    anything else here that reads OpenMP settings; a value the user set is kept.
    """
    global _active_calls, _we_set_it
    with _env_lock:
        if _active_calls == 0 and "OMP_THREAD_LIMIT" not in os.environ:
            os.environ["OMP_THREAD_LIMIT"] = "1"
            _we_set_it = True
        _active_calls += 1
    try:
        yield
    finally:
        with _env_lock:
            _active_calls -= 1
            if _active_calls == 0 and _we_set_it:
                os.environ.pop("OMP_THREAD_LIMIT", None)
                _we_set_it = False


def _join_words(data: dict[str, list]) -> OcrText:
    """Words back into lines, and the mean confidence of the recognised words."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    confs = []
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        if not word:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
        conf = float(data["conf"][i])
        if conf >= 0:
            confs.append(conf / 100.0)
    text = "\n".join(" ".join(words) for _, words in sorted(lines.items()))
    return OcrText(text=text, confidence=float(np.mean(confs)) if confs else 0.0)


def read_label_text(ink: BandInk, box: Box, *, whitelist: bool = False) -> OcrText:
    """OCR a scale-bar label as one line; ``whitelist`` limits it to digits and units."""
    return run_tesseract(prepare_crop(ink, box), psm=7,
                         whitelist=LABEL_WHITELIST if whitelist else None)


def read_band_text(ink: BandInk) -> OcrText:
    """OCR all the text of a band (the instrument fields) as a column of lines.

    Page segmentation 4 keeps each field's words together even with the wide spaces of
    monospaced fonts (mode 11, sparse text, scatters them; mode 6 drops short lines).
    """
    whole = Box(0, ink.gray.shape[0], 0, ink.gray.shape[1])
    return run_tesseract(prepare_crop(ink, whole, pad_px=0, text_px=FIELDS_TEXT_PX), psm=4)
