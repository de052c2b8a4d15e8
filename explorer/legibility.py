"""A legible page at 50 clusters: which labels a figure can draw without overlap, and the
"Colour by" menu in groups with the file internals folded away.

Labels are spaced by computation, not by eye: a figure's plot area is taken at its
nominal size on the page (:data:`PLOT_WIDTH_PX` x :data:`PLOT_HEIGHT_PX`, the hierarchy
row's three graphs), a label's box from its characters (:data:`CHAR_PX` wide,
:data:`LINE_PX` tall), and a label is drawn only where its box is clear of every label
already kept (the most important first). Every mark keeps its name in its hover text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

PLOT_WIDTH_PX = 380    # plot area of one of the hierarchy row's three graphs
PLOT_HEIGHT_PX = 300
CHAR_PX = 7.0          # mean width of a character at Plotly's 12 px font
LINE_PX = 14.0         # height of a line of text at that font
MAX_LABEL_CHARS = 18   # longer names are cut with an ellipsis (the hover has them whole)


def short(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``label`` cut to ``limit`` characters with an ellipsis."""
    return label if len(label) <= limit else label[:limit - 1] + "…"


def spaced_ticks(n: int, *, length_px: float = PLOT_HEIGHT_PX,
                 min_gap_px: float = LINE_PX) -> list[int]:
    """Which of ``n`` evenly spaced ticks along ``length_px`` to label so that labelled
    ticks are at least ``min_gap_px`` apart: every k-th, k as small as that allows."""
    if n <= 0:
        return []
    step = int(np.ceil(min_gap_px / (length_px / n)))
    return list(range(0, n, max(step, 1)))


def clear_labels(xy_px: np.ndarray, labels: Sequence[str], priority: Sequence[float], *,
                 char_px: float = CHAR_PX, line_px: float = LINE_PX) -> np.ndarray:
    """Bool (n,): which labels to draw, centred at ``xy_px`` (n, 2) in pixels, so that no
    two drawn boxes (``len(label) * char_px`` x ``line_px``) overlap; higher ``priority``
    first (ties: input order). Empty labels are never drawn."""
    xy = np.asarray(xy_px, dtype=np.float64)
    half_w = np.array([len(s) * char_px / 2 for s in labels])
    keep = np.zeros(len(xy), dtype=bool)
    kept: list[int] = []
    for i in np.argsort(-np.asarray(priority, dtype=np.float64), kind="stable"):
        if not labels[i]:
            continue
        if all(abs(xy[i, 0] - xy[j, 0]) >= half_w[i] + half_w[j]
               or abs(xy[i, 1] - xy[j, 1]) >= line_px for j in kept):
            keep[i] = True
            kept.append(int(i))
    return keep


def to_pixels(xy: np.ndarray, *, width_px: float = PLOT_WIDTH_PX,
              height_px: float = PLOT_HEIGHT_PX, equal_scale: bool = False) -> np.ndarray:
    """(n, 2) data coordinates mapped onto the plot area (Plotly's autorange, roughly);
    ``equal_scale`` as with ``scaleanchor`` (one data unit the same on both axes)."""
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) == 0:
        return xy.reshape(0, 2)
    lo, span = xy.min(axis=0), np.ptp(xy, axis=0)
    span = np.where(span > 0, span, 1.0)
    scale = np.array([width_px, height_px]) / span
    if equal_scale:
        scale[:] = scale.min()
    return (xy - lo) * scale


def overlaps(xy_px: np.ndarray, labels: Sequence[str], *, char_px: float = CHAR_PX,
             line_px: float = LINE_PX) -> int:
    """How many pairs of non-empty labels centred at ``xy_px`` overlap (tests use it)."""
    xy = np.asarray(xy_px, dtype=np.float64)
    shown = [i for i, s in enumerate(labels) if s]
    count = 0
    for a, i in enumerate(shown):
        for j in shown[a + 1:]:
            wide = abs(xy[i, 0] - xy[j, 0]) < (len(labels[i]) + len(labels[j])) * char_px / 2
            count += bool(wide and abs(xy[i, 1] - xy[j, 1]) < line_px)
    return count


# "Colour by", in groups: what the analysis found, what the user knows, what the files say.
ANALYSIS_COLUMNS = ("cluster", "halo", "log-density", "near-duplicate group")
TECHNICAL_COLUMNS = ("size_bytes", "mode", "bit_depth", "pages", "crop_box", "data_bar",
                     "data_bar_kind", "scale bar px", "scale source", "scale confidence",
                     "scale status", "scale message")
IMAGE_COLUMNS = ("folder", "width", "height", "scale group", "scale label", "nm/px",
                 "magnification", "data bar")
GROUPS = ("analysis", "known labels", "image metadata", "image metadata (technical)")


def colour_groups(columns: Iterable[str]) -> dict[str, list[str]]:
    """The columns a point can be coloured by, by group (see :data:`GROUPS`): the analysis'
    own, the known labels (``label`` and any other column of the labels CSV), the image
    metadata, and the file internals last."""
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    for column in columns:
        if column in ANALYSIS_COLUMNS:
            groups["analysis"].append(column)
        elif column in TECHNICAL_COLUMNS:
            groups["image metadata (technical)"].append(column)
        elif column in IMAGE_COLUMNS:
            groups["image metadata"].append(column)
        else:
            groups["known labels"].append(column)
    groups["analysis"].sort(key=ANALYSIS_COLUMNS.index)
    return groups


def colour_menu(columns: Iterable[str]) -> list[dict]:
    """Dropdown options: a disabled heading per group, then its columns; the file
    internals last, under their own heading, out of the way of the science."""
    options = []
    for group, names in colour_groups(columns).items():
        if not names:
            continue
        options.append({"label": f"— {group} —", "value": f"__group__{group}",
                        "disabled": True})
        options += [{"label": name, "value": name} for name in names]
    return options
