"""Habits of the browser: the back button restores the previous selection, arrow keys
page through the selection (or, in the image viewer, step through the grid it was opened
from). The keys live in ``assets/habits.js``; this module records each selection in the
browser's history (a clientside callback: no request to the server).

A history entry holds ``{"rows", "focus", "node"}``: the lasso's rows (the
:data:`explorer.ids.SELECTED_POINTS` store), the image on the Point panel
(:data:`explorer.ids.FOCUS_ROW`) and the node on the hierarchy card
(:data:`explorer.hierarchy.ids.SELECTED`). Going back puts them back into those stores.
"""

from __future__ import annotations

from dash import Dash, Input, Output, dcc

from explorer import ids
from explorer.hierarchy import ids as hier

HISTORY_MARK = "history-mark"  # store: how many entries this page pushed (for tests)
REMEMBER_JS = """function (rows, focus, node) {
    return window.topographHabits ? window.topographHabits.remember(rows, focus, node)
                                  : window.dash_clientside.no_update;
}"""


def habits_store() -> dcc.Store:
    """The store the history callback writes (a callback needs an output)."""
    return dcc.Store(id=HISTORY_MARK, data=0)


def register_habits(app: Dash) -> None:
    """Push a history entry whenever the selection, the focused image or the card's node
    changes (not when the change came from going back)."""
    app.clientside_callback(REMEMBER_JS, Output(HISTORY_MARK, "data"),
                            Input(ids.SELECTED_POINTS, "data"), Input(ids.FOCUS_ROW, "data"),
                            Input(hier.SELECTED, "data"))
