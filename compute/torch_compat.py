"""Import torchvision safely next to a CPU-only torch.

The registry's torchvision 0.28.0 is a CUDA build; with the CPU torch 2.13.0 its import
fails with ``operator torchvision::nms does not exist`` because its compiled ops did not
load. Declaring the two op schemas it registers fake kernels for (``nms``, ``qnms``) lets
the import finish; models and ``transforms.v2`` then work (``torchvision.ops`` kernels and
``torchvision.io`` decoding do not: decode with Pillow). On a matching install the plain
import succeeds and nothing is declared.

Also: checks that a torch device name is usable here, with a message that says what to do.
"""

from __future__ import annotations

import logging
import re
from types import ModuleType

log = logging.getLogger(__name__)
_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_library = None  # keeps the declared schemas alive for the life of the process


def import_torchvision() -> ModuleType:
    """Return the ``torchvision`` module, declaring missing op schemas only if needed."""
    global _library
    try:
        import torchvision
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
        import sys

        import torch

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        log.info("torchvision's compiled ops are missing (CPU torch with a CUDA torchvision); "
                 "declaring nms/qnms schemas so models and transforms import")
        _library = torch.library.Library("torchvision", "DEF")
        for schema in _SCHEMAS:
            _library.define(schema)
        import torchvision
    return torchvision


_DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps")


def check_device_name(device: str) -> None:
    """ValueError unless ``device`` names a torch device this project supports ("cpu",
    "cuda", "cuda:N", "mps"); touches no device, so it is safe before a fork."""
    if not _DEVICE.fullmatch(device):
        raise ValueError(f"unknown device {device!r}: use cpu, cuda, cuda:N or mps")


def check_device(device: str, *, option: str = "") -> None:
    """ValueError saying what to do unless torch can use ``device`` here; ``option`` is
    the flag the user chose it with (e.g. "--device"), for the message. Initialises CUDA
    for a cuda device: call it where the work runs (a job's worker), not in a process that
    forks workers afterwards."""
    import torch

    check_device_name(device)
    chosen = f"{option or 'device'} {device}"
    use_cpu = f"use {option} cpu" if option else "use cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"{chosen}: this torch has no usable CUDA device; {use_cpu}")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ValueError(f"{chosen}: there are only {torch.cuda.device_count()} CUDA "
                             "devices (cuda:0 ...)")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{chosen}: this machine has no usable Apple GPU; {use_cpu}")
