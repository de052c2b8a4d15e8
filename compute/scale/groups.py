"""Scale groups: images binned by the length their scale bar stands for.

Images at very different magnifications show different objects, so analyses are run
within a group. The groups are the seeds' bins, named by a scale-bar label: 100 nm,
200 nm, 1 um, 2 um, 10 um, 20 um, 100 um, 200 um. A label between two bins goes to the
nearer one on a log scale (300 nm -> 200 nm, 500 nm -> 1 um); labels far outside the
range go to "<100 nm" or ">200 um"; no label and no field of view gives "unknown".
Combined groups span several bins: "1-2 um" is the seeds' main set (1 um and 2 um).

An image with a known pixel size but no label (metadata only) is placed by the bar its
instrument would draw: the largest 1-2-5 length not above :data:`BAR_FRACTION` of the
field of view.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

GROUP_LABELS_NM = {"100 nm": 100.0, "200 nm": 200.0, "1 um": 1e3, "2 um": 2e3,
                   "10 um": 1e4, "20 um": 2e4, "100 um": 1e5, "200 um": 2e5}
COMBINED_GROUPS = {"1-2 um": ("1 um", "2 um")}
BELOW, ABOVE, UNKNOWN = "<100 nm", ">200 um", "unknown"
BAR_FRACTION = 0.2
_RANGE_FACTOR = math.sqrt(5.0)  # how far past the first/last bin a label still belongs


def all_groups() -> tuple[str, ...]:
    """Every group name, fine bins first (small to large), then combined groups."""
    return (BELOW, *GROUP_LABELS_NM, ABOVE, *COMBINED_GROUPS, UNKNOWN)


def bar_length_for_field(field_of_view_nm: float, *, fraction: float = BAR_FRACTION) -> float:
    """The 1-2-5 length (nm) an instrument would put on a bar for this field of view."""
    target = field_of_view_nm * fraction
    decade = 10.0 ** math.floor(math.log10(target))
    return max(m * decade for m in (1.0, 2.0, 5.0) if m * decade <= target * (1 + 1e-9))


def scale_group(*, label_nm: float | None = None,
                field_of_view_nm: float | None = None) -> str:
    """The group of an image from its scale-bar label (nm) or else its field of view (nm).

    Returns one of :func:`all_groups` except the combined ones (use
    :func:`in_group` to test membership of "1-2 um").
    """
    length = label_nm
    if length is None or not length > 0:
        if field_of_view_nm is None or not field_of_view_nm > 0:
            return UNKNOWN
        length = bar_length_for_field(field_of_view_nm)
    names = list(GROUP_LABELS_NM)
    logs = np.log(np.array(list(GROUP_LABELS_NM.values())))
    if length < GROUP_LABELS_NM[names[0]] / _RANGE_FACTOR:
        return BELOW
    if length > GROUP_LABELS_NM[names[-1]] * _RANGE_FACTOR:
        return ABOVE
    return names[int(np.argmin(np.abs(logs - math.log(length))))]


def in_group(groups: Sequence[str], group: str) -> np.ndarray:
    """Boolean mask (N,) of the images in ``group``; combined groups include their bins.

    Use it to colour or filter a projection, or to restrict an embedding/clustering run
    to one group: ``rows = np.flatnonzero(in_group(groups, "1-2 um"))``.
    Raises ValueError for a name that is not a group.
    """
    if group not in all_groups():
        raise ValueError(f"unknown scale group {group!r}: choose one of "
                         f"{', '.join(all_groups())}")
    return in_any_group(groups, [group])


def canonical_group(name: str) -> str:
    """The group called ``name``, written loosely: case, spaces and the micro sign do not
    matter ("1-2um", "1-2 µm", "2UM" -> "1-2 um", "2 um").

    Raises ValueError listing the valid names when ``name`` is none of them.
    """
    wanted = _squash(name)
    for group in all_groups():
        if _squash(group) == wanted:
            return group
    raise ValueError(f"unknown scale group {name!r}: choose one of "
                     f"{', '.join(repr(g) for g in all_groups())}")


def _squash(name: str) -> str:
    return re.sub(r"\s+", "", str(name)).lower().replace("\u00b5", "u").replace("\u03bc", "u")


def in_any_group(groups: Sequence[str], selected: Iterable[str]) -> np.ndarray:
    """Boolean mask (N,) of the images whose group is one of ``selected``.

    Combined groups ("1-2 um") include their bins; other names (a group, or a
    no-scale label such as "no scale (no data bar)") match exactly. Nothing selected
    gives an all-False mask.
    """
    members = set()
    for name in selected:
        members.update(COMBINED_GROUPS.get(name, (name,)))
    return np.fromiter((g in members for g in groups), dtype=bool, count=len(groups))


def group_sort_key(name: str) -> tuple[int, str]:
    """Sort key that lists groups small to large, combined and unknown last, then any
    other name (e.g. "no scale (no data bar)") alphabetically."""
    order = all_groups()
    return (order.index(name), "") if name in order else (len(order), name)


def group_choices(groups: Sequence[str]) -> list[tuple[str, int]]:
    """(name, number of images) of each group present in ``groups`` (one name per image),
    plus each combined group with a bin present, in :func:`group_sort_key` order: the
    choices of a filter by scale group."""
    from collections import Counter

    counts = Counter(groups)
    for name, bins in COMBINED_GROUPS.items():
        inside = sum(counts.get(b, 0) for b in bins)
        if inside:
            counts[name] = inside
    return sorted(counts.items(), key=lambda item: group_sort_key(item[0]))
