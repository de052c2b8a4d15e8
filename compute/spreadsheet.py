"""CSV cells a spreadsheet would run as a formula, made safe (CSV formula injection).

A text cell starting with ``= + - @``, a tab or a carriage return is written with a
leading apostrophe, which spreadsheets show as text; so is a cell that already starts with
an apostrophe, which makes :func:`unneutralise` exact. Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise(text: str) -> str:
    """``text`` made safe for a spreadsheet cell."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unneutralise(text: str) -> str:
    """The inverse of :func:`neutralise`."""
    return text[1:] if text.startswith("'") else text


def neutralise_cell(value: object) -> object:
    """A CSV cell value: text neutralised, anything else (numbers, None) as it is."""
    return neutralise(value) if isinstance(value, str) else value


def neutralised_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None
                      ) -> pd.DataFrame:
    """A copy of ``frame`` with the text of ``columns`` (default: every column that is not
    numeric or boolean) neutralised; numbers and missing values are left alone."""
    import pandas as pd

    frame = frame.copy()
    if columns is None:
        columns = [c for c in frame.columns
                   if not (pd.api.types.is_numeric_dtype(frame[c])
                           or pd.api.types.is_bool_dtype(frame[c]))]
    for column in columns:
        frame[column] = [neutralise_cell(v) for v in frame[column]]
    return frame
