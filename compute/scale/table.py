"""Scale readings as table columns: the CSV files the commands write and the dashboard's
per-image columns.

CSV columns beyond the reading itself: ``uncertainty`` (relative, of nm_per_pixel),
``bar_px_uncertainty`` (px), the independent readings ``nm_per_pixel_bar`` /
``nm_per_pixel_metadata`` / ``nm_per_pixel_magnification`` / ``nm_per_pixel_field``
(the printed field width ``field_width_nm`` over the image width; what disagreed in a
``conflict``), ``maker``, ``data_bar_kind`` (stripe, box, overlay) and ``data_bar``
("left top right bottom" in image pixels)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from compute.scale.reader import NO_DATA_BAR, ScaleReading
from compute.spreadsheet import neutralise

CSV_COLUMNS = ("status", "source", "label", "label_nm", "bar_px", "nm_per_pixel",
               "magnification", "eht_kv", "wd_mm", "confidence", "group", "message",
               "uncertainty", "bar_px_uncertainty", "nm_per_pixel_bar",
               "nm_per_pixel_metadata", "nm_per_pixel_magnification", "nm_per_pixel_field",
               "field_width_nm", "maker",
               "data_bar_kind", "data_bar")
# Dashboard column -> reading attribute (the group column says "no scale (why)" if none).
DISPLAY_COLUMNS = {"scale group": "group_or_reason", "scale label": "label",
                   "scale bar px": "bar_px", "nm/px": "nm_per_pixel",
                   "magnification": "magnification", "scale source": "source",
                   "scale confidence": "confidence", "scale status": "status",
                   "data bar": "data_bar_kind",
                   "scale message": "message"}
GROUP_COLUMN = "scale group"


def csv_cell(value: object) -> str:
    """A CSV cell: empty for None, 6 significant digits for floats, text a spreadsheet
    could run as a formula neutralised (:func:`compute.spreadsheet.neutralise`)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):  # a box: "left top right bottom"
        return " ".join(str(v) for v in value)
    return neutralise(value) if isinstance(value, str) else str(value)


def write_scales_csv(out: str | os.PathLike[str], rows: Iterable[tuple[dict, ScaleReading]],
                     *, keys: Sequence[str]) -> Path:
    """Write one CSV row per ``(leading cells, reading)``: the ``keys`` of the leading
    cells (e.g. path, row) first, then :data:`CSV_COLUMNS`. Returns the path written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*keys, *CSV_COLUMNS])
        for lead, reading in rows:
            writer.writerow([csv_cell(lead.get(k)) for k in keys]
                            + [csv_cell(getattr(reading, c)) for c in CSV_COLUMNS])
    return out


def display_columns(readings: Sequence[ScaleReading]) -> dict[str, list]:
    """The dashboard's scale columns, one value per reading.

    The group column always; the others only when some image has a data bar or metadata,
    and then only those with a value somewhere (a folder without data bars gets the one
    column, "no scale (no data bar)" throughout).
    """
    group = DISPLAY_COLUMNS[GROUP_COLUMN]
    columns = {GROUP_COLUMN: [getattr(r, group) for r in readings]}
    if all(r.status == NO_DATA_BAR and r.source is None for r in readings):
        return columns
    for name, attribute in DISPLAY_COLUMNS.items():
        values = [getattr(r, attribute) for r in readings]
        if name != GROUP_COLUMN and any(v is not None for v in values):
            columns[name] = values
    return columns
