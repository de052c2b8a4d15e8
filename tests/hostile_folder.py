"""A hostile image folder: every odd file an instrument, a user or an attacker may leave.

:func:`write_hostile_folder` writes good images in every supported flavour (odd
extensions, 16-bit, float, CMYK, animated, multi-page, 1x1, extreme aspect ratios, a
name with a newline, no extension) next to bad files (truncated, empty, not images, huge
header, decompression bomb, unreadable, symlink loops, dangling links, a FIFO, a link to
a device, a non-UTF-8 name) and things that must be ignored (hidden files, a directory
symlink loop, text files). It returns what a scan must make of each file, so the tests
and ``benchmarks/robustness_hostile.py`` check the same expectations.

Permissions: the tests run as root, which reads a ``chmod 000`` file anyway. So the scan
runs in a child process whose capability bounding set lacks ``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH`` (see :func:`without_root_file_access`): it stays uid 0 (the
Python under /root stays importable) but obeys file permission bits like any user.
"""

from __future__ import annotations

import ctypes
import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

BOMB_SIDE = 16_000  # 256 M pixels > the default limit of 179 M; the PNG is ~250 KB
HUGE_HEADER_SIDE = 60_000  # a PNG header claiming 60000 x 60000 in a file of a few bytes
NON_UTF8_NAME = b"caf\xe9-latin1.png"  # "cafe" with e-acute in Latin-1: invalid UTF-8

# Reason fragments a scan must give (matched case-sensitively inside the manifest error).
NOT_USABLE = "not a usable image"  # truncated: the exact reason depends on where it ends
NOT_AN_IMAGE = "not a recognised image format"
EMPTY = "empty file (0 bytes)"
BOMB = "decompression bomb"
UNREADABLE = "permission denied"
BROKEN_LINK = "broken symbolic link"
NOT_REGULAR = "not a regular file"
BAD_NAME = "not valid UTF-8"
UNSUPPORTED = "unsupported format"


@dataclass(frozen=True)
class HostileFolder:
    """What is on disk under ``root`` and what a scan must report.

    ``good``: paths (relative, as the manifest shows them) that must be embedded;
    ``bad``: path -> a fragment of its reason; ``duplicates``: path -> the path it
    duplicates; ``ignored``: names on disk that a scan must not list at all;
    ``unreadable``: the chmod-000 file (only refused when the scan lacks root's powers).
    """

    root: Path
    good: tuple[str, ...]
    bad: dict[str, str] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    unreadable: str = "locked/secret.png"

    @property
    def n_listed(self) -> int:
        return len(self.good) + len(self.bad) + len(self.duplicates)


def texture(h: int, w: int, seed: int) -> np.ndarray:
    """A distinct noisy uint8 picture (no two seeds give the same bytes)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 120 + 60 * np.sin(xx / (3.0 + seed % 7)) * np.cos(yy / (4.0 + seed % 5))
    return np.clip(base + rng.normal(0, 20, (h, w)), 0, 255).astype(np.uint8)


def write_hostile_folder(root: Path, *, n_good: int = 12, seed: int = 0,
                         bomb_side: int = BOMB_SIDE) -> HostileFolder:
    """Write the hostile folder under ``root`` (created); ``n_good`` plain good images
    (cycling through PNG, JPEG, TIFF, BMP and odd-case extensions) plus the special ones."""
    root.mkdir(parents=True, exist_ok=True)
    good = _write_plain_good(root, n_good, seed) + _write_special_good(root, seed + n_good)
    bad = {**_write_broken(root, seed + n_good + 100), **_write_links_and_specials(root)}
    bad.update(_write_bombs(root, bomb_side))
    duplicates = _write_duplicates(root, good[0])
    ignored = _write_ignored(root, seed + n_good + 200)
    return HostileFolder(root=root, good=tuple(sorted(good)), bad=bad,
                         duplicates=duplicates, ignored=ignored)


def _write_plain_good(root: Path, n: int, seed: int) -> list[str]:
    kinds = [("png", "png"), ("jpg", "jpeg"), ("tif", "tiff"), ("bmp", "bmp"),
             ("TIF", "tiff"), ("jpeg", "jpeg"), ("Png", "png"), ("tiff", "tiff"),
             ("JPG", "jpeg")]
    names = []
    for i in range(n):
        suffix, fmt = kinds[i % len(kinds)]
        rel = f"good/{i // 50:02d}/img{i:04d}.{suffix}"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = texture(40 + i % 9, 48 + i % 11, seed + i)
        Image.fromarray(pixels).save(path, format=fmt, **({"quality": 92} if fmt == "jpeg"
                                                           else {}))
        names.append(rel)
    return names


def _write_special_good(root: Path, seed: int) -> list[str]:
    """Unusual but genuine images: each must be embedded."""
    d = root / "special"
    d.mkdir(parents=True, exist_ok=True)
    t = texture(48, 64, seed)
    tifffile.imwrite(d / "sixteen-bit.tif", 1000 + t.astype(np.uint16) * 40)
    Image.fromarray(300 + t.astype(np.uint16) * 7).save(d / "sixteen-bit.png")
    tifffile.imwrite(d / "float32.tif", t.astype(np.float32) / 255 - 0.5)
    with_nan = t.astype(np.float32)
    with_nan[:4, :4] = np.nan
    with_nan[-1, -1] = np.inf
    tifffile.imwrite(d / "float32-nan-inf.tif", with_nan)
    tifffile.imwrite(d / "float64.tiff", t.astype(np.float64) * 1e-9)
    tifffile.imwrite(d / "constant-float.tif", np.full((32, 32), 3.25, np.float32))
    Image.fromarray(np.array([[77]], np.uint8)).save(d / "one-pixel.png")
    tifffile.imwrite(d / "one-pixel.tif", np.array([[4000]], np.uint16))
    Image.fromarray(texture(1, 3000, seed + 1)).save(d / "strip-1x3000.png")
    Image.fromarray(texture(2000, 2, seed + 2)).save(d / "strip-2000x2.png")
    rgb = np.stack([t, t[::-1], t[:, ::-1]], axis=2)
    Image.fromarray(rgb).convert("CMYK").save(d / "cmyk.jpg", quality=90)
    Image.fromarray(np.dstack([rgb, t])).save(d / "rgba.png")
    Image.fromarray(t).convert("P").save(d / "palette.png")
    Image.fromarray(t > 128).save(d / "one-bit.png")
    frames = [Image.fromarray(texture(40, 40, seed + 10 + k)) for k in range(3)]
    frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=80,
                   loop=0)
    frames[0].save(d / "animated.png", save_all=True, append_images=frames[1:], duration=80)
    tifffile.imwrite(d / "multi-page.tif", np.stack([texture(30, 30, seed + 20 + k)
                                                     for k in range(4)]),
                     photometric="minisblack")
    tifffile.imwrite(d / "rgb16-planar.tif", np.stack([t.astype(np.uint16) * 200] * 3),
                     photometric="rgb", planarconfig="separate")
    (d / "no-extension").write_bytes(_png_bytes(texture(36, 36, seed + 30)))
    (d / "ifd-loop.tif").write_bytes(_tiff_with_ifd_loop(texture(24, 24, seed + 35)))
    (d / "really-a-png.jpg").write_bytes(_png_bytes(texture(36, 37, seed + 31)))
    Image.fromarray(texture(33, 33, seed + 32)).save(d / "line\nbreak.png")
    Image.fromarray(texture(34, 34, seed + 33)).save(d / "=cmd|' calc'!A1.png")
    Image.fromarray(texture(35, 35, seed + 34)).save(d / "ünïcødé 名前.png")
    return [f"special/{p.name}" for p in sorted(d.iterdir())]


TRUNCATIONS = (0.1, 0.5, 0.9)  # fractions of a file kept in its truncated copies


def _write_broken(root: Path, seed: int) -> dict[str, str]:
    """Files that look like images by name but are not usable."""
    d = root / "broken"
    d.mkdir(parents=True, exist_ok=True)
    t = texture(64, 64, seed)
    reasons = {}
    for fmt, suffix in (("jpeg", "jpg"), ("png", "png"), ("tiff", "tif"), ("bmp", "bmp"),
                        ("gif", "gif")):
        buf = io.BytesIO()
        Image.fromarray(t).save(buf, format=fmt)
        for fraction in TRUNCATIONS:
            name = f"truncated-{round(100 * fraction)}.{suffix}"
            (d / name).write_bytes(buf.getvalue()[: int(len(buf.getvalue()) * fraction)])
            reasons[f"broken/{name}"] = NOT_USABLE
        (d / f"zero-bytes.{suffix}").write_bytes(b"")
        reasons[f"broken/zero-bytes.{suffix}"] = EMPTY
        (d / f"text.{suffix}").write_text("this is not an image\n")
        reasons[f"broken/text.{suffix}"] = NOT_AN_IMAGE
    (d / "html.jpg").write_text("<html><body>404 Not Found</body></html>\n")
    (d / "random.tif").write_bytes(np.random.default_rng(seed).bytes(4096))
    (d / "pdf.tiff").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (d / "old.czi").write_bytes(b"\0" * 64)
    (d / "zeros.dm3").write_bytes(b"\0" * 64)  # a native format, but no DM file inside
    reasons.update({f"broken/{n}": NOT_AN_IMAGE for n in ("html.jpg", "random.tif", "pdf.tiff")})
    reasons["broken/old.czi"] = UNSUPPORTED
    reasons["broken/zeros.dm3"] = NOT_USABLE
    return reasons


def _write_links_and_specials(root: Path) -> dict[str, str]:
    """Unreadable, looping and dangling links, a FIFO, a device, a non-UTF-8 name."""
    d = root / "links"
    d.mkdir(parents=True, exist_ok=True)
    os.symlink("loop-b.png", d / "loop-a.png")
    os.symlink("loop-a.png", d / "loop-b.png")
    os.symlink("does-not-exist.png", d / "dangling.png")
    os.symlink("/dev/zero", d / "device.png")
    os.mkfifo(d / "fifo.png")
    locked = root / "locked"
    locked.mkdir(exist_ok=True)
    Image.fromarray(texture(20, 20, 999)).save(locked / "secret.png")
    (locked / "secret.png").chmod(0)
    os.makedirs(os.fsencode(root / "names"), exist_ok=True)
    with open(os.fsencode(root / "names") + b"/" + NON_UTF8_NAME, "wb") as fh:
        fh.write(_png_bytes(texture(30, 30, 998)))
    bad_name = "names/" + NON_UTF8_NAME.decode("utf-8", "backslashreplace")
    return {"links/loop-a.png": BROKEN_LINK, "links/loop-b.png": BROKEN_LINK,
            "links/dangling.png": BROKEN_LINK, "links/device.png": NOT_REGULAR,
            "links/fifo.png": NOT_REGULAR, "locked/secret.png": UNREADABLE,
            bad_name: BAD_NAME}


def _write_bombs(root: Path, bomb_side: int) -> dict[str, str]:
    d = root / "bombs"
    d.mkdir(parents=True, exist_ok=True)
    (d / "huge-header.png").write_bytes(
        _png_header(HUGE_HEADER_SIDE, HUGE_HEADER_SIDE) + _png_chunk(b"IEND", b""))
    (d / "bomb.png").write_bytes(_zero_png(bomb_side, bomb_side))
    (d / "giant.gif").write_bytes(  # a GIF screen and frame of 65535 x 65535 in 33 bytes
        b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0\0\0," +
        struct.pack("<HHHH", 0, 0, 65535, 65535) + b"\0\x02\x02\x44\x01\0;")
    return {"bombs/huge-header.png": BOMB, "bombs/bomb.png": BOMB, "bombs/giant.gif": BOMB}


def _write_duplicates(root: Path, original: str) -> dict[str, str]:
    (root / "z-copies").mkdir(parents=True, exist_ok=True)
    (root / "z-copies" / "copy.png").write_bytes((root / original).read_bytes())
    os.symlink(Path("..") / original, root / "z-copies" / "link-to-good.png")
    return {"z-copies/copy.png": original, "z-copies/link-to-good.png": original}


def _write_ignored(root: Path, seed: int) -> tuple[str, ...]:
    (root / ".hidden.png").write_bytes(_png_bytes(texture(20, 20, seed)))
    (root / ".thumbs").mkdir(exist_ok=True)
    (root / ".thumbs" / "x.png").write_bytes(_png_bytes(texture(20, 21, seed)))
    (root / "notes.txt").write_text("a text file")
    (root / "README").write_text("an extension-less text file")
    (root / "good" / "loop").symlink_to("..", target_is_directory=True)
    (root / "elsewhere").symlink_to("/", target_is_directory=True)
    return (".hidden.png", ".thumbs/x.png", "notes.txt", "README", "good/loop", "elsewhere")


def _tiff_with_ifd_loop(pixels: np.ndarray) -> bytes:
    """A one-page TIFF whose "next page" pointer points back at its own page."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="tiff")  # little-endian, one IFD
    data = bytearray(buf.getvalue())
    ifd = struct.unpack("<I", data[4:8])[0]
    next_pointer = ifd + 2 + 12 * struct.unpack("<H", data[ifd:ifd + 2])[0]
    data[next_pointer:next_pointer + 4] = struct.pack("<I", ifd)
    return bytes(data)


def _png_bytes(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="png")
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)


def _zero_png(width: int, height: int) -> bytes:
    """A valid all-black PNG of ``width`` x ``height`` compressed from zeros (a bomb)."""
    packer = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte + pixels
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return _png_header(width, height) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def without_root_file_access() -> Callable[[], None] | None:
    """A ``preexec_fn`` for subprocess that makes a root child obey file permissions.

    It drops ``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH`` from the bounding set, so
    the exec'd program never regains them. None when not root (permissions apply anyway).
    """
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")

    return drop
