"""Validation of the text users type: names, notes and user names.

Text is stored and shown as plain text (never HTML); these checks keep it short and free
of control characters, so a name cannot break a table, a CSV row or a log line.
"""

from __future__ import annotations

import unicodedata

MAX_NAME = 80
MAX_NOTE = 2000
MAX_USER = 40
# Bidirectional overrides and isolates: they make text display in another order than it
# is stored (a name could then read differently in a table than in the export).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: str | None, *, field: str, max_len: int, required: bool,
               multiline: bool = False) -> str:
    """``value`` stripped and checked; raises ValueError saying what to change.

    Control characters and bidirectional overrides are refused (newlines and tabs are
    allowed where ``multiline``).
    """
    text = (value or "").strip()
    if required and not text:
        raise ValueError(f"the {field} is empty: type a {field}")
    if len(text) > max_len:
        raise ValueError(f"the {field} is {len(text)} characters long; shorten it to at most "
                         f"{max_len}")
    allowed = {"\n", "\t"} if multiline else set()
    bad = sorted({c for c in text if (unicodedata.category(c) == "Cc" and c not in allowed)
                  or c in BIDI_CONTROLS})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(f"the {field} contains control characters ({shown}); remove them")
    return text


def clean_name(value: str | None) -> str:
    return clean_text(value, field="name", max_len=MAX_NAME, required=True)


def clean_note(value: str | None) -> str:
    return clean_text(value, field="note", max_len=MAX_NOTE, required=False, multiline=True)


def clean_user(value: str | None) -> str:
    return clean_text(value, field="user name", max_len=MAX_USER, required=True)
