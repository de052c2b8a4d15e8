"""Colour codes per row: what a recolour sends instead of the coordinates.

A categorical column becomes one small integer code per row plus a discrete colour scale;
a numeric column (log-density) becomes float values plus a continuous scale. Codes are
sent to Plotly as a base64 typed array (``{"dtype", "bdata"}``), so a recolour of
150 000 points is ~200 kB of JSON and never touches ``x``/``y``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

MISSING = "(none)"
HIDDEN_COLOUR = "rgba(0,0,0,0)"
MISSING_COLOUR = "#c7c7c7"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
           "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#6baed6", "#fd8d3c",
           "#74c476", "#9e9ac8", "#969696")
CONTINUOUS_SCALE = "Viridis"
MAX_CATEGORIES = 1000
REMOVED_STEP = 0.01  # share of a continuous scale kept (transparent) for removed rows


def typed_array(values: np.ndarray) -> dict[str, str]:
    """A NumPy array as Plotly's base64 typed-array spec (what plotly.py itself sends)."""
    arr = np.ascontiguousarray(values)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    if arr.dtype.kind not in "iuf" or arr.dtype.itemsize > 4:
        raise ValueError(f"typed arrays must be (u)int8-32 or float32; got {arr.dtype}")
    return {"dtype": arr.dtype.str.lstrip("<|="), "bdata": base64.b64encode(arr).decode()}


@dataclass(frozen=True, eq=False)
class Colouring:
    """How to colour every row by one column.

    kind: "categorical" or "continuous".
    values: (N,) categorical -> uint8/uint16 code into ``categories``; continuous ->
        float32 values (NaN where missing).
    categories: names of the codes (categorical), missing last as ``MISSING``.
    colours: one colour per category.
    """

    column: str
    kind: str
    values: np.ndarray
    categories: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    limits: tuple[float, float] | None = None  # continuous: the scale's ends (None: own)

    def subset(self, rows: np.ndarray) -> Colouring:
        """The same colouring of ``rows`` only (e.g. the points a zoomed-in density map
        draws): same column, categories, colours and colour scale, ``values[rows]``."""
        limits = self.value_range() if self.kind == "continuous" else None
        return replace(self, values=self.values[np.asarray(rows, dtype=np.int64)],
                       limits=limits)

    def value_range(self) -> tuple[float, float]:
        """(lo, hi), lo < hi: a continuous colour scale's ends, the 1st and 99th percentiles
        of the values (or ``limits`` when given)."""
        if self.limits is not None:
            return self.limits
        finite = self.values[np.isfinite(self.values)]
        lo, hi = (np.percentile(finite, [1, 99]) if len(finite) else (0.0, 1.0))
        return float(lo), float(hi if hi > lo else lo + 1)

    def rows_in(self, hidden: Collection[str]) -> np.ndarray:
        """Boolean mask (N,) of rows whose category is in ``hidden``."""
        if self.kind != "categorical" or not hidden:
            return np.zeros(len(self.values), dtype=bool)
        codes = [i for i, c in enumerate(self.categories) if c in set(hidden)]
        return np.isin(self.values, codes)

    def marker(self, hidden: Collection[str] = (), *,
               removed: np.ndarray | None = None) -> dict:
        """The ``marker`` properties that colour the main trace: rows of ``hidden``
        categories and rows where ``removed`` (bool (N,), e.g. filtered out by scale group)
        are transparent."""
        if self.kind == "continuous":
            return self._continuous_marker(removed)
        n = len(self.categories)
        codes = self.values
        clear = self.rows_in(hidden)
        if removed is not None:
            clear |= removed
        if clear.any():
            codes = np.where(clear, n, codes).astype(codes.dtype)
        return {"color": typed_array(codes), "colorscale": discrete_scale(self.colours),
                "cmin": -0.5, "cmax": n + 0.5, "showscale": False}

    def _continuous_marker(self, removed: np.ndarray | None) -> dict:
        lo, hi = self.value_range()
        values, scale, top = self.values, CONTINUOUS_SCALE, hi
        if removed is not None and removed.any():
            # Plotly clamps colours to [cmin, cmax] anyway: clamp here, and put the removed
            # rows just above, on a transparent top step of the scale.
            top = hi + (hi - lo) * REMOVED_STEP / (1 - REMOVED_STEP)
            values = np.where(removed, top, np.clip(values, lo, hi)).astype(np.float32)
            scale = continuous_scale_with_clear_top()
        return {"color": typed_array(values), "colorscale": scale, "cmin": lo, "cmax": top,
                "showscale": True, "colorbar": {"title": {"text": self.column},
                                                "thickness": 12}}


def continuous_scale_with_clear_top() -> list[list]:
    """:data:`CONTINUOUS_SCALE` on [0, 1 - REMOVED_STEP], transparent above."""
    from plotly.colors import get_colorscale

    body = [[float(pos) * (1 - REMOVED_STEP), colour]
            for pos, colour in get_colorscale(CONTINUOUS_SCALE)]
    return [*body, [1 - REMOVED_STEP / 2, HIDDEN_COLOUR], [1.0, HIDDEN_COLOUR]]


def discrete_scale(colours: tuple[str, ...]) -> list[list]:
    """A stepped colour scale: code i (of n, plus one transparent 'hidden' code) -> colours[i]."""
    steps = [*colours, HIDDEN_COLOUR]
    n = len(steps)
    scale = []
    for i, colour in enumerate(steps):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def colouring(column: str, values: pd.Series | np.ndarray, *,
              sort_key: Callable[[str], Any] | None = None) -> Colouring:
    """Colour by ``values`` (one per row): numeric with many levels -> continuous.

    Categories are listed in natural order ("2" before "10"), or by ``sort_key``."""
    series = pd.Series(values).reset_index(drop=True)
    numeric = pd.api.types.is_float_dtype(series) or (
        pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        and series.nunique() > 50)
    if numeric:
        return Colouring(column=column, kind="continuous",
                         values=series.to_numpy(dtype=np.float32, na_value=np.nan))
    return _categorical(column, series, sort_key or _natural_key)


def _categorical(column: str, series: pd.Series, sort_key: Callable[[str], Any]) -> Colouring:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)  # missing -> -1
    text = [str(u) for u in uniques]
    names = sorted(set(text), key=sort_key)
    if (codes < 0).any():
        names.append(MISSING)
    if len(names) > MAX_CATEGORIES:
        raise ValueError(f"column {column!r} has {len(names)} distinct values; colour by a "
                         f"column with at most {MAX_CATEGORIES}")
    dtype = np.uint8 if len(names) < 255 else np.uint16
    position = {name: i for i, name in enumerate(names)}
    # one lookup per distinct value, then one vectorised take (the -1s land on MISSING)
    lookup = np.array([position[t] for t in text] + [len(names) - 1], dtype=dtype)
    colours = tuple(MISSING_COLOUR if n == MISSING else PALETTE[i % len(PALETTE)]
                    for i, n in enumerate(names))
    return Colouring(column=column, kind="categorical", values=lookup[codes],
                     categories=tuple(names), colours=colours)


def _natural_key(name: str) -> tuple:
    """Sort "2" before "10" and numbers before words."""
    try:
        return (0, float(name), "")
    except ValueError:
        return (1, 0.0, name)
