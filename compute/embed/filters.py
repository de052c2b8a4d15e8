"""Fixed (non-trainable) input filters a network can be trained and embedded with.

Training (:mod:`compute.train`) puts them in front of a backbone; embedding reads the
filter's name from a checkpoint's metadata and puts the same one in front again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

INPUT_FILTERS = ("none", "sobel")


def SobelFilter() -> nn.Module:  # noqa: N802 - a module factory
    """Fixed (non-trainable) layer: normalised RGB -> grayscale -> (|grad|, gy, gx)."""
    import torch
    from torch import nn

    class _Sobel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            gx = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
            self.register_buffer("kernel", torch.stack([gx.T, gx])[:, None])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            gray = x.mean(dim=1, keepdim=True)
            g = nn.functional.conv2d(gray, self.kernel, padding=1)
            return torch.cat([g.norm(dim=1, keepdim=True), g], dim=1)

    return _Sobel()
