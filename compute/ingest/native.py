"""Native microscope formats: Gatan DM3/DM4, FEI/Thermo TIA SER and EMD, Nanonis SXM.

Each file is read by a kept reader from PyPI, its pixel size taken from its own
metadata:

- ``.sxm`` (Nanonis scanning-probe images): ``nanonispy2`` (MIT, in requirements.txt).
- ``.dm3``, ``.dm4`` (Gatan DigitalMicrograph), ``.ser`` (FEI TIA, with its ``.emi``),
  ``.emd`` (Thermo Velox and Berkeley EMD): RosettaSciIO, HyperSpy's readers, GPL-3, an
  optional extra: ``pip install -r requirements-native.txt``. Without it these files are
  listed with an error that says so, and the rest of the folder is used.

Which image of a file is used (one image per file, like the first page of a TIFF):

- DM, SER, EMD: the first two-dimensional image in the file's own order (a Velox file
  with HAADF, BF and EDS maps gives its first image signal; spectra and line profiles are
  skipped); of an image stack or series, frame ``page`` (default the first).
- SXM: the topography channel ``Z`` if recorded, else the first channel of the header's
  list; always the forward scan; rows flipped for scans recorded bottom-up, so the image
  shows the sample as the Nanonis viewer does. Points not yet scanned (NaN) are ignored
  by the 8-bit stretch.

Pixel sizes come from the calibrated axes (DM, SER, EMD) or ``SCAN_RANGE / SCAN_PIXELS``
(SXM), in any length unit (m, mm, um, nm, A, pm); reciprocal units (diffraction patterns)
and values outside :data:`PLAUSIBLE_PIXEL_NM` give no pixel size. A TIA ``name_N.ser`` is
read through its ``name.emi`` when that is beside it (the .emi says what the data is).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SXM_SUFFIXES = frozenset({".sxm"})
RSCIIO_SUFFIXES = frozenset({".dm3", ".dm4", ".ser", ".emd"})
NATIVE_SUFFIXES = SXM_SUFFIXES | RSCIIO_SUFFIXES
NATIVE_EXTRA = "pip install -r requirements-native.txt (RosettaSciIO, GPL-3, optional)"
_LENGTH_NM = {"m": 1e9, "mm": 1e6, "um": 1e3, "µm": 1e3, "μm": 1e3, "micron": 1e3,
              "nm": 1.0, "a": 0.1, "å": 0.1, "angstrom": 0.1, "pm": 1e-3}
PREFERRED_SXM_CHANNEL = "Z"
PLAUSIBLE_PIXEL_NM = (1e-4, 1e8)  # 0.1 pm to 10 cm: anything else is a misread calibration


class NativeReadError(ValueError):
    """A native file that cannot be used as an image; the message says why and what to do."""


@dataclass(frozen=True)
class NativeImage:
    """One image of a native file: ``array`` (H, W) as stored (any numeric dtype, NaN
    allowed); ``nm_per_pixel`` from its metadata (None when uncalibrated); ``frames``
    the number of frames the chosen signal holds; ``channel`` what was picked, in words."""

    array: np.ndarray
    nm_per_pixel: float | None
    frames: int
    channel: str
    kind: str


def is_native(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` has a native microscope format's suffix."""
    return Path(path).suffix.lower() in NATIVE_SUFFIXES


def read_native(path: str | os.PathLike[str], *, page: int = 0) -> NativeImage:
    """The image of a native file (see the module's rules); raises NativeReadError with a
    one-line reason (missing reader, no image inside, damaged file)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in SXM_SUFFIXES:
            return _read_sxm(path)
        if suffix in RSCIIO_SUFFIXES:
            return _read_rsciio(path, page=page)
    except NativeReadError:
        raise
    except Exception as exc:  # the readers raise many types for damaged files
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise NativeReadError(f"{suffix} file could not be read ({type(exc).__name__}"
                              f"{': ' + text if text else ''})") from exc
    raise NativeReadError(f"{suffix} is not a native format read here")


def _read_sxm(path: Path) -> NativeImage:
    try:
        from nanonispy2.read import Scan
    except ImportError as exc:
        raise NativeReadError("reading .sxm needs nanonispy2: pip install -r "
                              "requirements.txt") from exc
    scan = Scan(str(path))
    channels = list(scan.signals)
    if not channels:
        raise NativeReadError(".sxm file holds no channel")
    name = PREFERRED_SXM_CHANNEL if PREFERRED_SXM_CHANNEL in channels else channels[0]
    signal = scan.signals[name]
    array = np.asarray(signal["forward"] if isinstance(signal, dict) else signal, float)
    header = scan.header
    if str(header.get("scan_dir", "")).strip().lower() == "up":
        array = array[::-1]  # recorded bottom-up: put the first scanned line at the bottom
    scan_range = np.asarray(header.get("scan_range", ()), float).ravel()
    pixels = np.asarray(header.get("scan_pixels", ()), float).ravel()
    nm = None
    if scan_range.size and pixels.size and pixels[0] > 0 and scan_range[0] > 0:
        nm = float(scan_range[0] * 1e9 / pixels[0])  # Nanonis writes metres
        nm = nm if PLAUSIBLE_PIXEL_NM[0] <= nm <= PLAUSIBLE_PIXEL_NM[1] else None
    return NativeImage(array=array, nm_per_pixel=nm, frames=1,
                       channel=f"{name} forward", kind="sxm")


def _read_rsciio(path: Path, *, page: int) -> NativeImage:
    suffix = path.suffix.lower()
    try:
        if suffix in (".dm3", ".dm4"):
            from rsciio.digitalmicrograph import file_reader
        elif suffix == ".ser":
            from rsciio.tia import file_reader
        else:
            from rsciio.emd import file_reader
    except ImportError as exc:
        raise NativeReadError(f"reading {suffix} needs the optional native-formats extra: "
                              f"{NATIVE_EXTRA}") from exc
    if suffix == ".emd":  # Velox files also hold EDS spectrum images: read only images
        signals = file_reader(str(path), select_type="images")
    elif suffix == ".ser" and (emi := _emi_of(path)) is not None:
        # the .emi says what the .ser holds (a diffraction pattern's axes are in 1/nm;
        # the .ser alone would give them as nm)
        emi_path, number = emi
        signals = file_reader(str(emi_path))[number - 1:number]
    else:
        signals = file_reader(str(path))
    for index, signal in enumerate(signals):
        found = _image_of(signal, page=page)
        if found is not None:
            array, nm, frames = found
            title = (signal.get("metadata", {}).get("General", {}).get("title") or "").strip()
            kind = "dm" if suffix in (".dm3", ".dm4") else suffix.lstrip(".")
            return NativeImage(array=array, nm_per_pixel=nm, frames=frames, kind=kind,
                               channel=f"signal {index}" + (f" ({title})" if title else ""))
    raise NativeReadError(f"{suffix} file holds no two-dimensional image (spectra or line "
                          "profiles only)")


def _emi_of(path: Path) -> tuple[Path, int] | None:
    """(the TIA ``.emi`` beside ``name_N.ser``, N), or None without one."""
    stem, _, number = path.stem.rpartition("_")
    if not stem or not number.isdigit() or int(number) < 1:
        return None
    for suffix in (".emi", ".EMI"):
        emi = path.with_name(stem + suffix)
        if emi.is_file():
            return emi, int(number)
    return None


def _image_of(signal: dict, *, page: int) -> tuple[np.ndarray, float | None, int] | None:
    """(frame, nm per pixel, frames) of a signal with two signal axes, else None."""
    data = np.asarray(signal.get("data"))
    axes = signal.get("axes") or []
    signal_axes = [a for a in axes if not a.get("navigate", False)]
    if data.ndim < 2 or len(signal_axes) != 2 or data.dtype.kind not in "uif":
        return None
    frames = int(np.prod(data.shape[:-2])) if data.ndim > 2 else 1
    if not 0 <= page < frames:
        raise NativeReadError(f"has {frames} frame(s); frame {page} does not exist")
    frame = data.reshape((frames, *data.shape[-2:]))[page] if data.ndim > 2 else data
    x_axis = signal_axes[-1]  # signal axes are stored (y, x)
    per_unit = _LENGTH_NM.get(str(x_axis.get("units", "")).strip().lower())
    scale = abs(float(x_axis.get("scale") or 0.0))  # a flipped axis has a negative scale
    nm = scale * per_unit if per_unit and scale > 0 else None
    if nm is not None and not PLAUSIBLE_PIXEL_NM[0] <= nm <= PLAUSIBLE_PIXEL_NM[1]:
        nm = None  # a calibration in other units read as a length: no pixel size at all
    return frame, nm, frames
