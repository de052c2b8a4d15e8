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


def table_records(data: ExplorerData, rows: np.ndarray,
                  limit: int = TABLE_LIMIT) -> tuple[list[str], list[dict]]:
    """(columns, records) of the first ``limit`` selected ``rows``."""
    table = selection_table(data, np.asarray(rows, dtype=np.int64)[:limit])
    columns = [c for c in TABLE_COLUMNS if c in table.columns]
    table = table[columns]
    if "log-density" in table:
        table["log-density"] = table["log-density"].astype(float).round(3)
    return columns, table.astype(object).where(table.notna(), None).to_dict("records")


def table_view(data: ExplorerData, rows: np.ndarray) -> html.Details:
    """A folded, sortable, filterable table of the selection."""
    columns, records = table_records(data, rows)
    note = (f"the first {TABLE_LIMIT} of {len(rows)} (Export CSV has all)"
            if len(rows) > TABLE_LIMIT else f"{len(rows)} images")
    return html.Details(className="selection-table", children=[
        html.Summary(f"Table ({note}): click a heading to sort"),
        dash_table.DataTable(
            id=SELECTION_TABLE, data=records, page_size=15, sort_action="native",
            filter_action="native",
            columns=[{"name": c, "id": c, "type": "numeric" if c in ("row", "cluster",
                                                                      "log-density")
                      else "text"} for c in columns],
            style_table={"overflowX": "auto"},
            style_cell={"fontSize": "12px", "padding": "2px 4px", "maxWidth": "180px",
                        "overflow": "hidden", "textOverflow": "ellipsis"}),
    ])
