"""Hypothesis strategies for pathological arrays and the property every compute function
must have on them: a ValueError raised by our own validation (so its message says what to
do), or a valid result. Never IndexError, ZeroDivisionError, a numba or faiss crash, an
error from deep inside numpy/scikit-learn, or a silent NaN.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

COMPUTE = Path(__file__).resolve().parents[2] / "compute"
# Deterministic by default (the same examples on every run, no flaky CI); set
# HYPOTHESIS_EXPLORE=<n> to search n fresh random examples per test instead.
_EXPLORE = int(os.environ.get("HYPOTHESIS_EXPLORE", "0"))
FAST = settings(max_examples=_EXPLORE or 60, deadline=None, database=None,
                derandomize=not _EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# (choice, probability): the mix keeps most examples usable, so results get checked too.
KINDS = (("normal", 0.3), ("grid", 0.1), ("constant", 0.1), ("duplicated", 0.1),
         ("near-duplicates", 0.1), ("huge", 0.1), ("tiny", 0.1), ("one-outlier", 0.1))
DTYPES = ((np.float64, 0.35), (np.float32, 0.25), (np.float16, 0.1), (np.int32, 0.1),
          (np.int64, 0.1), (np.bool_, 0.1))
LAYOUTS = (("c", 0.55), ("fortran", 0.15), ("strided", 0.15), ("transposed", 0.15))
SHAPES = (("2d", 0.9), ("1d", 0.05), ("3d", 0.05))
# Interesting values for a real-valued option (a dimension, Z, a radius...).
ODD_FLOATS = st.sampled_from([0.0, -1.0, 1e-300, 0.5, 1.0, 1.65, 3.0, 1e6, 1e300,
                              float("nan"), float("inf"), -float("inf")])


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` about four times in five, else ``odd`` (so later steps get exercised too;
    a drawn float decides, as Hypothesis spreads one_of branches evenly)."""
    return st.floats(0, 1).flatmap(lambda u: odd if u > 0.8 else usual)


def _values(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=(n, d))
    if kind == "grid":  # many exact duplicates and ties
        return rng.integers(0, 3, (n, d)).astype(np.float64)
    if kind == "constant":
        return np.full((n, d), rng.normal() * 100)
    if kind == "duplicated":
        base = rng.normal(size=(max(1, n // 3), d))
        return base[rng.integers(0, len(base), n)]
    if kind == "near-duplicates":  # distinct in float64, equal once rounded to float32
        return 1.0 + rng.normal(size=(n, d)) * 1e-12
    if kind == "huge":
        return rng.normal(size=(n, d)) * 10.0 ** rng.integers(30, 300)
    if kind == "tiny":
        return rng.normal(size=(n, d)) * 10.0 ** -rng.integers(30, 300)
    x = rng.normal(size=(n, d)) * 1e-3
    if n:
        x[0] += 1e6
    return x


@st.composite
def points(draw, *, min_rows: int = 0, max_rows: int = 24, max_cols: int = 4,
           non_finite: bool = True) -> np.ndarray:
    """An (N, D) array (sometimes 1-D or 3-D) of every kind, dtype and memory layout.

    Everything follows from one drawn seed, with the probabilities of :data:`KINDS`,
    :data:`DTYPES`, :data:`LAYOUTS` and :data:`SHAPES` (Hypothesis shrinks the seed).
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if rng.random() < 0.85:  # usable sizes; otherwise tiny or empty ones
        n, d = int(rng.integers(max(min_rows, 5), max_rows + 1)), int(rng.integers(1, max_cols + 1))
    else:
        n, d = int(rng.integers(min_rows, 5)), int(rng.integers(0, max_cols + 1))
    x = _values(_pick(KINDS, rng), n, d, rng)
    if non_finite and x.size and rng.random() < 0.12:
        x.flat[rng.integers(0, x.size, rng.integers(1, 3))] = rng.choice([np.nan, np.inf, -np.inf])
    with np.errstate(all="ignore"):
        x = x.astype(_pick(DTYPES, rng))
    shape = _pick(SHAPES, rng)
    if shape == "1d":
        return x.ravel()
    if shape == "3d":
        return x[None]
    return _layout(x, _pick(LAYOUTS, rng))


def _pick(choices, rng: np.random.Generator):
    values, weights = zip(*choices, strict=True)
    return values[rng.choice(len(values), p=np.asarray(weights) / sum(weights))]


def _layout(x: np.ndarray, layout: str) -> np.ndarray:
    if layout == "fortran":
        return np.asfortranarray(x)
    if layout == "strided":
        return np.repeat(x, 2, axis=1)[:, ::2]
    if layout == "transposed":
        return np.ascontiguousarray(x.T).T
    return x


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or None if it raised a ValueError from our own code.

    A ValueError must be raised in ``compute/`` (our validation, whose message says what to
    do) and carry a message; any other exception propagates and fails the test.
    """
    name = getattr(fn, "__name__", "call")
    try:
        result = fn(*args, **kwargs)
    except ValueError as exc:
        event(f"{name}: ValueError")
        origin = traceback.extract_tb(exc.__traceback__)[-1].filename
        assert Path(origin).resolve().is_relative_to(COMPUTE), (
            f"ValueError raised deep inside {origin}, not by compute's validation: {exc}")
        assert len(str(exc)) > 20, f"unhelpful message: {exc!r}"
        return None
    event(f"{name}: result")
    return result


def assert_labels(labels: np.ndarray, n_points: int, n_clusters: int, *,
                  noise: bool = False) -> None:
    """(N,) integer labels in 0..K-1 (or -1 for noise when allowed), every cluster used."""
    labels = np.asarray(labels)
    assert labels.shape == (n_points,) and labels.dtype.kind == "i"
    low = -1 if noise else 0
    assert ((labels >= low) & (labels < n_clusters)).all(), (labels, n_clusters)
    assert set(np.unique(labels[labels >= 0])) == set(range(n_clusters))
