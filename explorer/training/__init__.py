"""The representation panel: train a network on the folder (a background job whose weights
join the Weights menu) and the representation-quality report of the current analysis.

:func:`training_section` and :func:`quality_panel` are the Dash components;
:func:`register_training_callbacks` wires them (see :mod:`explorer.training.callbacks`).
"""

from explorer.training.callbacks import register_training_callbacks
from explorer.training.layout import quality_panel, training_section

__all__ = ["quality_panel", "register_training_callbacks", "training_section"]
