"""Real native microscope files for the tests, and a Nanonis SXM writer.

DM3/DM4, SER and EMD files are HyperSpy's own test files as Debian ships them in
``python3-hyperspy`` (GPL-3.0-or-later, copyright the HyperSpy developers): read by the
tests only, never committed here. ``.ci/install-test-deps`` extracts them into
``data/cache/native-testdata`` (or set ``TOPOGRAPH_NATIVE_TESTDATA``); without them, or
without the optional reader (requirements-native.txt), the tests that need them skip.

No package ships a real Nanonis ``.sxm`` file, so :func:`write_sxm` writes one as the
Nanonis manual lays the format out (text header ending in ``:SCANIT_END:``, then
``\\x1a\\x04`` and big-endian float32 data, every channel forward then backward).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
NATIVE_TESTDATA = Path(os.environ.get("TOPOGRAPH_NATIVE_TESTDATA",
                                      REPO / "data" / "cache" / "native-testdata"))


def native_file(relative: str) -> Path:
    """A file of the extracted test data (skip when absent or when RosettaSciIO is not
    installed)."""
    pytest.importorskip("rsciio", reason="the optional native-formats extra is not "
                        "installed: pip install -r requirements-native.txt")
    path = NATIVE_TESTDATA / relative
    if not path.is_file():
        pytest.skip(f"{path} not found: run .ci/install-test-deps as root to extract "
                    "HyperSpy's test files from Debian's python3-hyperspy")
    return path


def write_sxm(path: Path, channels: dict[str, np.ndarray], *, range_m: tuple[float, float],
              scan_dir: str = "down") -> Path:
    """Write a Nanonis scan: ``channels`` maps a name to its forward (H, W) image (the
    backward scan is written mirrored); ``range_m`` is the scan's (width, height) in m."""
    height, width = next(iter(channels.values())).shape
    rows = "".join(f"\t{i}\t{name}\tm\tboth\t1.000E+0\t0.000E+0\n"
                   for i, name in enumerate(channels))
    header = (":NANONIS_VERSION:\n2\n:SCANIT_TYPE:\n              FLOAT            MSBFIRST\n"
              ":REC_DATE:\n 07.12.2026\n:REC_TIME:\n12:00:00\n:REC_TEMP:\n      290.0000000000\n"
              ":ACQ_TIME:\n       120.0\n"
              f":SCAN_PIXELS:\n       {width}       {height}\n"
              ":SCAN_FILE:\nC:\\data\\scan.sxm\n"
              ":SCAN_TIME:\n             5.000E-1             5.000E-1\n"
              f":SCAN_RANGE:\n           {range_m[0]:.6E}           {range_m[1]:.6E}\n"
              ":SCAN_OFFSET:\n             0.000000E+0         0.000000E+0\n"
              f":SCAN_ANGLE:\n            0.000E+0\n:SCAN_DIR:\n{scan_dir}\n"
              ":BIAS:\n            1.000E-1\n"
              ":DATA_INFO:\n\tChannel\tName\tUnit\tDirection\tCalibration\tOffset\n"
              f"{rows}\n:SCANIT_END:\n")
    data = b"".join(np.stack([image, image[:, ::-1]]).astype(">f4").tobytes()
                    for image in channels.values())
    path.write_bytes(header.encode("ascii") + b"\n\n\x1a\x04" + data)
    return path
