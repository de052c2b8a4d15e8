"""Synthetic SEM-like frames with a rendered data bar whose scale is known exactly.

Shared by the scale-bar tests (``tests/compute/scale``) and ``benchmarks/bench_scale.py``.
Each frame is a textured "micrograph" above (or below) an instrument data bar holding a
scale-bar segment of a known length in pixels, its label ("200 nm", "2 µm", "1 mm"), and
the usual fields (EHT, WD, Mag, ...). Styles vary as real instruments do: dark, light and
grey bars, several fonts and sizes, the label above, below or beside the segment, end ticks
or none, the scale cell left, centre or right, the micro sign written as µ, μ or u.

Nothing here is product code: it only draws test data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype")
FONT_FILES = (
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSansMono.ttf",
    "dejavu/DejaVuSerif.ttf",
    "liberation/LiberationSans-Regular.ttf",
    "liberation/LiberationSans-Bold.ttf",
    "liberation/LiberationSerif-Regular.ttf",
    "liberation/LiberationMono-Regular.ttf",
)
BUILTIN_FONT = "pil-default"  # Pillow's bundled font, always available

# Scale-bar labels an instrument picks: 1-2-3-5 steps from 10 nm to 2 mm.
_NICE = (1, 2, 3, 5)
LABEL_LENGTHS_NM = tuple(sorted({m * 10**e for e in range(1, 7) for m in _NICE
                                 if 10 <= m * 10**e <= 2_000_000}))
MICRO_SPELLINGS = ("µm", "μm", "um")  # U+00B5 micro sign, U+03BC Greek mu, ASCII
BAND_TONES = ("dark", "light", "grey")
LABEL_PLACES = ("above", "below", "right")
DISPLAY_WIDTH_NM = 114e6  # print width the magnification refers to (Polaroid 545 style)


@dataclass(frozen=True)
class FrameTruth:
    """What was drawn: the answer a scale reader must find.

    ``band`` is ``(top, bottom, left, right)`` in pixels, ``bottom``/``right`` exclusive.
    ``bar_px`` is the length of the scale-bar segment in pixels (the number of columns of a
    plain bar; tick centre to tick centre of a bar with end ticks), so
    ``nm_per_pixel = label_nm / bar_px`` exactly.
    """

    label: str            # canonical ASCII form, e.g. "2 um"
    drawn_label: str      # as rendered, e.g. "2 μm"
    label_nm: float
    bar_px: int
    nm_per_pixel: float
    magnification: float  # the true one; the bar prints it rounded, when it prints it
    printed_magnification: float | None  # as printed in the bar, None if not drawn
    band: tuple[int, int, int, int] | None
    font: str
    font_px: int
    tone: str
    label_place: str


@dataclass(frozen=True)
class SyntheticFrame:
    image: np.ndarray     # (H, W) uint8
    truth: FrameTruth


def canonical_label(length_nm: float) -> tuple[float, str]:
    """(value, unit) in the largest unit that keeps the value >= 1, units nm/um/mm."""
    for unit, scale in (("mm", 1e6), ("um", 1e3)):
        if length_nm >= scale:
            return length_nm / scale, unit
    return length_nm, "nm"


def format_label(length_nm: float, *, micro: str = "um") -> tuple[str, str]:
    """(canonical ASCII label, label as drawn with the given micro spelling)."""
    value, unit = canonical_label(length_nm)
    text = f"{value:g} {unit}"
    drawn = text.replace("um", micro) if unit == "um" else text
    return text, drawn


@lru_cache(maxsize=64)
def load_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    if name == BUILTIN_FONT:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(FONT_DIR / name), size=size)


def available_fonts() -> tuple[str, ...]:
    """The font files present on this machine, plus Pillow's built-in font."""
    return tuple(f for f in FONT_FILES if (FONT_DIR / f).exists()) + (BUILTIN_FONT,)


def sem_texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A grey (H, W) uint8 field of blurred noise with bright particles and wires."""
    from scipy.ndimage import gaussian_filter

    small = rng.standard_normal((height // 4 + 1, width // 4 + 1), dtype=np.float32)
    small = gaussian_filter(small, sigma=rng.uniform(0.5, 2.0))
    small = 90 + 25 * small / (small.std() + 1e-9)
    base = Image.fromarray(small, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    img = Image.fromarray(np.clip(np.asarray(base), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(20, 120))):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(2, 12)
        shade = int(rng.integers(150, 255))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=shade)
        else:
            angle = rng.uniform(0, math.pi)
            length = rng.uniform(10, 80)
            draw.line((x, y, x + length * math.cos(angle), y + length * math.sin(angle)),
                      fill=shade, width=max(1, int(r / 3)))
    noise = rng.integers(-12, 13, size=(height, width), dtype=np.int16)
    return np.clip(np.asarray(img, dtype=np.int16) + noise, 0, 255).astype(np.uint8)


def _tones(tone: str, rng: np.random.Generator) -> tuple[int, int]:
    """(background, ink) grey levels of the data bar."""
    if tone == "dark":
        return int(rng.integers(0, 30)), int(rng.integers(220, 256))
    if tone == "light":
        return int(rng.integers(225, 256)), int(rng.integers(0, 40))
    return int(rng.integers(60, 110)), int(rng.integers(225, 256))


def _pick_scale(rng: np.random.Generator, width: int, min_px: int,
                label_nm: float | None = None) -> tuple[float, int]:
    """(label length in nm, bar length in px >= ``min_px``) for a random pixel size
    (for a random label, or the given ``label_nm``)."""
    if label_nm is not None:
        return float(label_nm), int(rng.integers(min_px, int(0.3 * width) + 1))
    while True:
        nm_per_px = 10 ** rng.uniform(math.log10(0.2), math.log10(4000))
        fits = [L for L in LABEL_LENGTHS_NM if min_px <= L / nm_per_px <= 0.3 * width]
        if fits:
            label_nm = float(fits[int(rng.integers(len(fits)))])
            return label_nm, int(round(label_nm / nm_per_px))


def _format_mag(mag: float) -> tuple[str, float]:
    """The Zeiss-style field and the value it states."""
    if mag >= 1000:
        return f"Mag = {mag / 1000:.2f} K X", round(mag / 1000, 2) * 1000
    return f"Mag = {mag:.0f} X", float(round(mag))


def _fields(rng: np.random.Generator, mag: float, nm_per_px: float) -> list[str]:
    eht = rng.choice([1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0])
    wd = rng.uniform(2, 15)
    fields = [f"EHT = {eht:.2f} kV", f"WD = {wd:.1f} mm", _format_mag(mag)[0],
              f"Signal A = {rng.choice(['InLens', 'SE2', 'BSD'])}",
              f"Date :{int(rng.integers(1, 29))} Mar {int(rng.integers(2005, 2024))}"]
    if rng.random() < 0.3:
        fields.append(f"Pixel Size = {nm_per_px:.3g} nm")  # a length that is not the label
    return fields


def _draw_bar(draw: ImageDraw.ImageDraw, x0: int, y0: int, length: int, thick: int,
              ink: int, ticks: bool, font_px: int) -> None:
    """A ``length``-pixel bar from column ``x0``; end ticks straddle its ends as Zeiss,
    FEI and Philips draw them, so the length is tick centre to tick centre (the line then
    reaches the ticks' outer edges)."""
    if not ticks:
        draw.rectangle((x0, y0, x0 + length - 1, y0 + thick - 1), fill=ink)
        return
    tick_h = max(thick + 4, font_px // 2)
    tick_w = max(1, thick // 2)
    top = y0 + thick // 2 - tick_h // 2
    half = tick_w // 2
    draw.rectangle((x0 - half, y0, x0 + length - half + tick_w - 1, y0 + thick - 1), fill=ink)
    for x in (x0 - half, x0 + length - half):  # centres exactly `length` apart
        draw.rectangle((x, top, x + tick_w - 1, top + tick_h - 1), fill=ink)


def _text_size(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int]:
    """(width, height, top offset) of the drawn ink of ``text``."""
    left, top, right, bottom = font.getbbox(text)
    return right - left, bottom - top, top


def render_frame(rng: np.random.Generator, *, width: int | None = None,
                 font: str | None = None, tone: str | None = None,
                 label_place: str | None = None, micro: str | None = None,
                 band_at_top: bool = False, label_nm: float | None = None) -> SyntheticFrame:
    """One frame with a data bar; unspecified styles (and the scale-bar label, unless
    ``label_nm`` is given) are drawn at random from ``rng``."""
    width = width or int(rng.choice([768, 1024, 1024, 1280, 2048]))
    height = int(width * 0.75)
    font = font or str(rng.choice(available_fonts()))
    tone = tone or str(rng.choice(BAND_TONES))
    label_place = label_place or str(rng.choice(LABEL_PLACES))
    micro = micro or str(rng.choice(MICRO_SPELLINGS))
    if font == BUILTIN_FONT:
        micro = "um"  # Pillow's built-in font has no micro sign or mu (draws a box)
    font_px = int(round(width / 1024 * rng.uniform(13, 26)))
    fnt = load_font(font, font_px)
    band_h = int(round(font_px * rng.uniform(3.6, 4.6)))
    label_nm, bar_px = _pick_scale(rng, width, max(40, 2 * font_px), label_nm)
    nm_per_px = label_nm / bar_px
    mag = DISPLAY_WIDTH_NM / (nm_per_px * width)
    label, drawn = format_label(label_nm, micro=micro)

    bg, ink = _tones(tone, rng)
    image = sem_texture(rng, height, width)
    band_top = 0 if band_at_top else height - band_h
    band = Image.new("L", (width, band_h), bg)
    draw = ImageDraw.Draw(band)

    # scale cell: segment plus label, placed left, centre or right
    thick = int(rng.integers(2, max(3, font_px // 3) + 1))
    ticks = bool(rng.random() < 0.4)
    lw, lh, ltop = _text_size(fnt, drawn)
    gap = max(3, font_px // 3)
    cell_w = bar_px + (lw + 2 * gap if label_place == "right" else 0)
    cell_w = max(cell_w, lw)
    cell_x = {0: gap * 2, 1: (width - cell_w) // 2, 2: width - cell_w - gap * 2}[
        int(rng.integers(3))]
    bar_x = cell_x + (max(0, lw - bar_px) // 2 if label_place != "right" else 0)
    mid = band_h // 2
    if label_place == "above":
        text_y, bar_y = mid - lh - gap // 2, mid + gap // 2 + 1
    elif label_place == "below":
        bar_y, text_y = mid - thick - gap // 2 - 1, mid + gap // 2
    else:
        bar_y, text_y = mid - thick // 2, mid - lh // 2
    text_x = (bar_x + bar_px // 2 - lw // 2 if label_place != "right"
              else bar_x + bar_px + 2 * gap)
    _draw_bar(draw, bar_x, bar_y, bar_px, thick, ink, ticks, font_px)
    draw.text((text_x, text_y - ltop), drawn, fill=ink, font=fnt)

    drawn_fields = _draw_fields(draw, rng, fnt, ink, width, band_h,
                                (cell_x - gap, cell_x + cell_w + gap), _fields(rng, mag, nm_per_px))
    mag_text, mag_value = _format_mag(mag)
    image[band_top:band_top + band_h] = np.asarray(band)
    truth = FrameTruth(label=label, drawn_label=drawn, label_nm=label_nm, bar_px=bar_px,
                       nm_per_pixel=nm_per_px, magnification=mag,
                       printed_magnification=mag_value if mag_text in drawn_fields else None,
                       band=(band_top, band_top + band_h, 0, width), font=font,
                       font_px=font_px, tone=tone, label_place=label_place)
    return SyntheticFrame(image=image, truth=truth)


def _draw_fields(draw: ImageDraw.ImageDraw, rng: np.random.Generator,
                 fnt: ImageFont.FreeTypeFont, ink: int, width: int, band_h: int,
                 taken: tuple[int, int], fields: list[str]) -> list[str]:
    """Lay the fields out in two rows, in columns that avoid the scale cell; the drawn ones."""
    rng.shuffle(fields)
    col_w = max(_text_size(fnt, f)[0] for f in fields) + fnt.size
    rows = (band_h // 4 - fnt.size // 2, 3 * band_h // 4 - fnt.size // 2)
    x, i = fnt.size, 0
    while i < len(fields) and x + col_w < width:
        if x + col_w > taken[0] and x < taken[1]:
            x = taken[1] + fnt.size
            continue
        for row, text in zip(rows, fields[i:i + 2], strict=False):
            draw.text((x, row), text, fill=ink, font=fnt)
        x, i = x + col_w, i + 2
    return fields[:i]


def render_plain_frame(rng: np.random.Generator, *, width: int = 1024) -> np.ndarray:
    """A micrograph with no data bar at all: (H, W) uint8."""
    return sem_texture(rng, int(width * 0.75), width)


def synthetic_set(n: int, *, random_state: int = 0) -> list[SyntheticFrame]:
    """``n`` frames with data bars, reproducible from ``random_state``."""
    rng = np.random.default_rng(random_state)
    return [render_frame(rng) for _ in range(n)]


def write_sem_folder(folder: Path, labels_nm: dict[str, float], *, per_label: int,
                     plain: int = 0, width: int = 768, random_state: int = 0) -> dict[str, str]:
    """Write PNG frames with data bars into ``folder``: ``per_label`` frames for each
    ``name -> label length (nm)``, plus ``plain`` frames without a data bar.

    Returns ``{file name: canonical label}`` ("" for plain frames).
    """
    rng = np.random.default_rng(random_state)
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for name, length in labels_nm.items():
        for i in range(per_label):
            frame = render_frame(rng, width=width, label_nm=length)
            file = f"{name}-{i}.png"
            Image.fromarray(frame.image).save(folder / file)
            truth[file] = frame.truth.label
    for i in range(plain):
        Image.fromarray(render_plain_frame(rng, width=width)).save(folder / f"plain-{i}.png")
        truth[f"plain-{i}.png"] = ""
    return truth
