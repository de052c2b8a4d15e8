"""Small image folders for the ingestion, embedding, thumbnail and CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[2]
NANOWIRES = REPO.parent / "shared" / "data" / "sem-nanowires"
NANOWIRES_REASON = f"real SEM images not found at {NANOWIRES} (CI clones shared/ beside the repo)"


def texture(h: int, w: int, seed: int) -> np.ndarray:
    """A noisy uint8 texture (an SEM-like picture without a data bar)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 110 + 60 * np.sin(xx / (5.0 + seed)) * np.cos(yy / 7.0)
    return np.clip(base + rng.normal(0, 15, (h, w)), 0, 255).astype(np.uint8)


def sem_frame(h: int = 200, w: int = 256, bar: int = 40, seed: int = 0) -> np.ndarray:
    """A ``(h + bar, w)`` uint8 frame: texture on top, a black data bar with text below."""
    frame = Image.new("L", (w, h + bar), color=0)
    frame.paste(Image.fromarray(texture(h, w, seed)), (0, 0))
    draw = ImageDraw.Draw(frame)
    font = ImageFont.load_default(size=14)
    draw.text((6, h + 6), "EHT = 5.00 kV  Mag = 8 KX", fill=255, font=font)
    draw.rectangle((w - 80, h + 26, w - 20, h + 30), fill=255)
    return np.asarray(frame)


def write_good_images(folder: Path) -> dict[str, Path]:
    """Readable images of every supported kind; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "gray": folder / "gray.png",
        "rgb": folder / "colour.jpg",
        "rgba": folder / "alpha.png",
        "tiff16": folder / "deep" / "sixteen.tif",
        "bmp": folder / "old.bmp",
        "sem": folder / "sem" / "frame.tif",
    }
    paths["tiff16"].parent.mkdir(parents=True, exist_ok=True)
    paths["sem"].parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(texture(40, 48, 1)).save(paths["gray"])
    rgb = np.stack([texture(36, 52, s) for s in (2, 3, 4)], axis=2)
    Image.fromarray(rgb).save(paths["rgb"], quality=90)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])
    Image.fromarray(rgba, mode="RGBA").save(paths["rgba"])
    deep = (1000 + texture(44, 40, 5).astype(np.uint16) * 3)  # values 1000..1765 of 65535
    Image.fromarray(deep).save(paths["tiff16"])  # Pillow writes mode I;16
    Image.fromarray(texture(30, 30, 6)).convert("RGB").save(paths["bmp"])
    Image.fromarray(sem_frame()).save(paths["sem"])
    return paths


def write_bad_files(folder: Path, duplicate_of: Path) -> dict[str, Path]:
    """A truncated JPEG, a zero-byte file, a text file named .png, an exact duplicate."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"truncated": folder / "truncated.jpg", "empty": folder / "empty.png",
             "text": folder / "notes.png", "duplicate": folder / "later" / "same.png"}
    full = folder / "_full.jpg"
    Image.fromarray(texture(64, 64, 9)).save(full, quality=95)
    data = full.read_bytes()
    full.unlink()
    paths["truncated"].write_bytes(data[: len(data) // 2])
    paths["empty"].write_bytes(b"")
    paths["text"].write_text("this is not an image\n")
    paths["duplicate"].parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(duplicate_of, paths["duplicate"])
    return paths


def pixel_config(**fields):
    """A :class:`compute.pipeline.PipelineConfig` on the pixel baseline: fast, for tests
    about the other steps (scales, the UI) rather than the representation."""
    from compute.pipeline import PipelineConfig

    return PipelineConfig(backbone="pixels", **fields)
