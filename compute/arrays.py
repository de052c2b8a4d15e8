"""Checks and conversions of data matrices shared by every step over arrays.

``as_points`` validates an (N, D) matrix (shape, dtype, NaN) and returns it contiguous;
``metric_points`` also applies the distance choice (cosine: rows L2-normalised);
``unit_scale`` is the exact power-of-two rescaling that keeps squared distances finite.
"""

from __future__ import annotations

import numpy as np

METRICS: tuple[str, ...] = ("euclidean", "cosine")


def metric_points(x: np.ndarray, metric: str = "euclidean", *, name: str = "x") -> np.ndarray:
    """``x`` validated (:func:`as_points`) and made ready for Euclidean neighbours.

    metric: "euclidean" returns the points as they are; "cosine" divides each row by its
    L2 norm, so that Euclidean distances between rows are sqrt(2 (1 - cosine similarity))
    (same neighbours as the cosine distance; densities and dimension on the unit sphere).
    Useful for CNN features, whose norm carries little class information. A row of zeros
    has no direction: a ValueError says which rows and what to do.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    points = as_points(x, name=name)
    if metric == "euclidean":
        return points
    norms = np.linalg.norm(points.astype(np.float64), axis=1)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(f"{zero.size} row(s) of {name} are all zeros (first: row "
                         f"{int(zero[0])}) and have no direction for the cosine metric; "
                         "drop them or use metric 'euclidean'")
    return (points / norms[:, None]).astype(points.dtype)


def as_points(x: np.ndarray, *, name: str = "x") -> np.ndarray:
    """Check a data matrix and return it as a C-contiguous float32 or float64 (N, D) array.

    float32 and float64 are kept; float16, integer and boolean input is converted to
    float32 / float64 (integers and booleans to float64); non-contiguous arrays are copied.
    ``-0.0`` becomes ``0.0`` so that equal vectors are bytewise equal.

    Raises ValueError (with the fix) for: not 2-D, no rows or columns, NaN or infinite
    values (naming the first offending rows), complex or non-numeric dtypes.
    """
    arr = np.asarray(x)
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must be a 2-D (N points, D features) array, got shape {arr.shape}; "
            f"for N scalar values use {name}.reshape(-1, 1), for one vector {name}.reshape(1, -1)"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (N points, D features) array, got shape "
                         f"{arr.shape}; flatten each point's features into one row")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): it needs points and features")
    if arr.dtype.kind == "f":
        dtype = np.float64 if arr.dtype == np.float64 else np.float32
    elif arr.dtype.kind in "iub":
        dtype = np.float64
    else:
        raise ValueError(f"{name} has dtype {arr.dtype}; convert it to a real float array")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        shown = ", ".join(str(i) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
        raise ValueError(f"{name} has NaN or infinite values in {bad.size} row(s) ({shown}); "
                         "drop or impute those rows first")
    return arr + dtype(0.0)  # a fresh copy with -0.0 turned into 0.0


def unit_scale(x: np.ndarray) -> float:
    """The power of two ``s`` with ``max |x| / s`` in [0.5, 1) (1.0 for all-zero ``x``).

    Dividing by it is exact in floating point (no rounding, so duplicates stay duplicates
    and distance ratios are unchanged) and keeps squared distances away from float32 and
    float64 overflow and underflow, whatever the units of the embedding (1e-200 .. 1e300).
    """
    largest = float(np.max(np.abs(x))) if x.size else 0.0
    return float(np.ldexp(1.0, int(np.frexp(largest)[1]))) if largest > 0.0 else 1.0
