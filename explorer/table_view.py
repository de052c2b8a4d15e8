"""The selection as a sortable table (beside its grid of images): one row per selected
image with its file, cluster and name, halo, known label and log-density; the same rows
and values as the selection's CSV (:func:`explorer.selection.selection_table`)."""

from __future__ import annotations

import numpy as np
from dash import dash_table, html

from explorer.selection import selection_table
from explorer.state import ExplorerData

TABLE_COLUMNS = ("row", "path", "cluster", "cluster_name", "halo", "label", "log-density")
TABLE_LIMIT = 2000  # rows sent to the browser; the CSV has them all
SELECTION_TABLE = "selection-table"
#: The table's heading (a click opens it, and the first one fills it) and its body:
#: pattern ids, as the table lives in the selection panel the server redraws.
TABLE_OPENER = {"type": "selection-table-open", "index": 0}
TABLE_BODY = {"type": "selection-table-body", "index": 0}


def table_records(data: ExplorerData, rows: np.ndarray,
                  limit: int = TABLE_LIMIT) -> tuple[list[str], list[dict]]:
    """(columns, records) of the first ``limit`` selected ``rows``."""
    table = selection_table(data, np.asarray(rows, dtype=np.int64)[:limit])
    columns = [c for c in TABLE_COLUMNS if c in table.columns]
    table = table[columns]
    if "log-density" in table:
        table["log-density"] = table["log-density"].astype(float).round(3)
    return columns, table.astype(object).where(table.notna(), None).to_dict("records")


def table_view(n_rows: int) -> html.Details:
    """The folded, sortable, filterable table of a selection of ``n_rows`` images; its
    rows come from the server when it is first opened (:func:`table_body`), so a new
    selection does not send (nor the page draw) up to ``TABLE_LIMIT`` rows nobody asked
    to see (they were ~250 kB of every lasso's answer)."""
    note = (f"the first {TABLE_LIMIT} of {n_rows} (Export CSV has all)"
            if n_rows > TABLE_LIMIT else f"{n_rows} images")
    return html.Details(className="selection-table", children=[
        html.Summary(f"Table ({note}): click a heading to sort", id=TABLE_OPENER, n_clicks=0),
        html.Div(id=TABLE_BODY)])


def table_body(data: ExplorerData, rows: np.ndarray) -> dash_table.DataTable:
    """The table of the selected ``rows`` (the first ``TABLE_LIMIT``)."""
    columns, records = table_records(data, rows)
    return dash_table.DataTable(
        id=SELECTION_TABLE, data=records, page_size=15, sort_action="native",
        filter_action="native",
        columns=[{"name": c, "id": c, "type": "numeric" if c in ("row", "cluster",
                                                                  "log-density")
                  else "text"} for c in columns],
        style_table={"overflowX": "auto"},
        style_cell={"fontSize": "12px", "padding": "2px 4px", "maxWidth": "180px",
                    "overflow": "hidden", "textOverflow": "ellipsis"})
