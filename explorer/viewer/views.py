"""What the viewer shows for one image of the loaded analysis, and which files its route
may serve. Functions of content ids: the browser sends ids, never paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from dash import html

from compute.ingest import ImageDecodeError
from compute.ingest.decode import STRETCH_PERCENTILES
from compute.ingest.thumbnails import full_image
from compute.pipeline import Analysis
from explorer.config import AppConfig
from explorer.figures import empty_figure
from explorer.serving import full_image_url, parse_full_image_name, regular_file
from explorer.state import (
    CLUSTER_COLUMN,
    find_image,
    load_analysis,
    load_page,
    parse_projection_key,
)
from explorer.viewer import ids
from explorer.viewer.figures import image_figure, scale_bar

log = logging.getLogger(__name__)
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ShownImage:
    """One image as the viewer shows it: its URL, size in pixels (without the data bar
    unless asked), the picture part (left, top, right, bottom) and the pixel size."""

    url: str
    width: int
    height: int
    picture: Box
    nm_per_pixel: float | None
    data_bar: bool = False


def full_image_file(app_config: AppConfig, name: str) -> Path | None:
    """The PNG the route ``/images/<name>`` answers with: a full-resolution image this
    server rendered (when the viewer showed it, in any of its processes), or renders now
    for a content id of an analysis loaded in this process. None for any other name, an
    id of no loaded analysis, a file that no longer decodes, or a planted link."""
    parsed = parse_full_image_name(name)
    if parsed is None:
        return None
    rendered = app_config.full_image_dir / name
    if rendered.exists() or rendered.is_symlink():
        return regular_file(rendered)
    found = find_image(app_config, parsed[0])
    return _render(app_config, *found, data_bar=parsed[1]) if found else None


def _render(app_config: AppConfig, analysis: Analysis, row: int, *,
            data_bar: bool) -> Path | None:
    """Render (once) the full image of ``row``; None if the file no longer decodes."""
    record = analysis.dataset.usable[row]
    try:
        path = full_image(analysis.dataset, record, app_config.full_image_dir,
                          keep_data_bar=data_bar)
    except ImageDecodeError as exc:
        log.warning("no full image for %s: %s", record.path, exc)
        return None
    return regular_file(path)


def shown_image(analysis: Analysis, row: int, *, data_bar: bool) -> ShownImage:
    """How row ``row`` of ``analysis`` is shown, with its data bar (when it has one and
    ``data_bar``) or without."""
    record = analysis.dataset.usable[row]
    width, height = int(record.width or 1), int(record.height or 1)
    crop: Box | None = record.crop_box
    reading = analysis.scales[row] if analysis.scales is not None else None
    nm = reading.nm_per_pixel if reading is not None and reading.ok else None
    if crop is None:
        return ShownImage(full_image_url(record.id), width, height, (0, 0, width, height), nm)
    if data_bar:
        return ShownImage(full_image_url(record.id, data_bar=True), width, height, crop, nm,
                          data_bar=True)
    left, top, right, bottom = crop
    w, h = right - left, bottom - top
    return ShownImage(full_image_url(record.id), w, h, (0, 0, w, h), nm)


def image_facts(analysis: Analysis, row: int, cluster: str | None = None) -> list[tuple]:
    """(name, value) rows of the image's metadata: file, size, bit depth, pixel size and
    scale status, known label, cluster."""
    record = analysis.dataset.usable[row]
    facts = [("file", record.path), ("size", f"{record.width} x {record.height} px")]
    if record.crop_box is not None:
        left, top, right, bottom = record.crop_box
        facts.append(("without data bar", f"{right - left} x {bottom - top} px"))
    depth = f"{record.bit_depth}-bit {record.mode}"
    if (record.bit_depth or 8) > 8:
        low, high = STRETCH_PERCENTILES
        depth += f" (shown stretched: {low:g}-{high:g} percentiles to 8 bits)"
    facts.append(("bit depth", depth))
    if (record.pages or 1) > 1:
        facts.append(("pages", f"{record.pages} (page {analysis.dataset.page} shown)"))
    reading = analysis.scales[row] if analysis.scales is not None else None
    if reading is not None:
        facts += _scale_facts(reading)
    facts += [("known label", record.label or "-"), ("cluster", cluster or "-"),
              ("id", record.id)]
    return facts


def _scale_facts(reading) -> list[tuple]:
    if reading.ok:
        spread = f" ± {100 * reading.uncertainty:.2g} %" if reading.uncertainty else ""
        facts = [("nm/px", f"{reading.nm_per_pixel:.4g}{spread} ({reading.source})")]
    else:
        facts = [("nm/px", "-")]
    facts.append(("scale", reading.status.replace("_", " ")
                  + (f": {reading.message}" if reading.message else "")))
    if reading.label:
        facts.append(("scale label", reading.label))
    if reading.magnification:
        facts.append(("magnification", f"{reading.magnification:g} x"))
    return facts


def facts_table(facts: list[tuple]) -> html.Table:
    return html.Table(className="meta viewer-meta", children=[
        html.Tr([html.Th(name), html.Td(str(value))]) for name, value in facts])


def viewer_view(app_config: AppConfig, pkey: str | None, request: dict | None,
                pinned: str | None, options: list[str] | None, view: dict | None):
    """(title, main figure, main facts, compare figure, compare facts, compare hidden)
    for a request ``{"id", "compare"}``; the compare slot shows the request's ``compare``
    id (e.g. a cluster's peak), else the ``pinned`` one, never the image itself."""
    if not request or not pkey:
        return "", empty_figure(""), None, empty_figure(""), None, True
    analysis = load_analysis(app_config, parse_projection_key(pkey)[0])
    rows = {r.id: i for i, r in enumerate(analysis.dataset.usable)}
    options = options or []
    main = rows.get(request.get("id"))
    if main is None:
        return ("not in this analysis", empty_figure("this image is not in the analysis"),
                None, empty_figure(""), None, True)
    other = rows.get(request.get("compare") or pinned)
    other = None if other == main else other
    clusters = _clusters(app_config, pkey, view)
    title = analysis.dataset.usable[main].path
    panes = [_pane(app_config, analysis, r, options, clusters)
             for r in (main, other) if r is not None]
    if other is None:
        return title, *panes[0], empty_figure(""), None, True
    return title, *panes[0], *panes[1], False


def _pane(app_config: AppConfig, analysis: Analysis, row: int, options: list[str],
          clusters) -> tuple:
    shown = shown_image(analysis, row, data_bar=ids.DATA_BAR in options)
    if _render(app_config, analysis, row, data_bar=shown.data_bar) is None:
        return (empty_figure("this file no longer decodes (see the server log)"),
                facts_table(image_facts(analysis, row)))
    bar = scale_bar(shown.nm_per_pixel, shown.width) if ids.SCALE_BAR in options else None
    cluster = str(clusters.iloc[row]) if clusters is not None else None
    return (image_figure(shown.url, shown.width, shown.height, bar=bar, picture=shown.picture),
            facts_table(image_facts(analysis, row, cluster)))


def _clusters(app_config: AppConfig, pkey: str, view: dict | None):
    """The page's cluster column at its cut (None where the rows have none)."""
    columns = load_page(app_config, parse_projection_key(pkey)[0], view).columns
    return columns.get(CLUSTER_COLUMN)
