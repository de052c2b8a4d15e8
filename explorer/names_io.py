"""Names in and out of the page: the labelled export as one zip, and the import of an
earlier export (its zip, its CSV with its tree CSV, or the tree CSV alone) with a preview
of what will be created or updated before anything is saved.

The import is :func:`compute.naming.export.import_names`, the same as ``python -m compute
import-names``; what it would do is planned by :mod:`compute.naming.importing`.
"""

from __future__ import annotations

import base64
import io
import zipfile

from dash import Dash, Input, Output, State, dcc, html, no_update

from compute.naming.export import export_texts, import_names
from compute.naming.importing import (
    CREATE,
    SKIP,
    UNCHANGED,
    UPDATE,
    PlannedName,
    place_names,
    plan_import,
    read_upload,
    to_apply,
)
from explorer import ids as main_ids
from explorer.config import AppConfig
from explorer.hierarchy import ids as hier_ids
from explorer.state import View, load_match, load_run, names_store

UPLOAD = "names-import-upload"
PREVIEW = "names-import-preview"
APPLY = "names-import-apply"
STATUS = "names-import-status"
ACTION_WORDS = {CREATE: "new", UPDATE: "renames", UNCHANGED: "already saved",
                SKIP: "skipped"}


def import_section() -> html.Details:
    """The import form (goes beside the naming form)."""
    return html.Details(className="names-import", children=[
        html.Summary("Import names from an earlier export"),
        dcc.Upload(id=UPLOAD, multiple=True, className="upload", children=html.Div(
            "Drop the export's .zip (or its .csv with its .tree.csv) here, or click to "
            "choose")),
        html.Div(id=PREVIEW),
        html.Button("Import these names", id=APPLY, n_clicks=0, disabled=True),
        html.Div(id=STATUS, className="status", role="status"),
    ])


def uploaded_files(contents: list[str] | None, filenames: list[str] | None) -> dict[str, bytes]:
    """Dash Upload's data URLs as {file name: bytes}."""
    files = {}
    for content, name in zip(contents or [], filenames or [], strict=False):
        _, _, data = (content or "").partition(",")
        files[name] = base64.b64decode(data)
    return files


def _plan(config: AppConfig, key: str, view, files: dict[str, bytes]):
    run = load_run(config, key, View.of(view))
    upload = read_upload(files)
    placed = place_names(upload, run.clustering)
    store = names_store(config.names_db)
    plan = plan_import(store.live(), placed, frozenset(run.clustering.ids))
    return plan, upload.run() or run.clustering.run, store


def preview_view(config: AppConfig, key: str | None, view, contents, filenames):
    """(preview, Import button disabled?) for the uploaded files."""
    if not contents:
        return "", True
    if not key:
        return html.Div("Compute an analysis first.", className="job-error"), True
    try:
        plan, _, _ = _plan(config, key, view, uploaded_files(contents, filenames))
    except ValueError as exc:
        return html.Div(f"Cannot import: {exc}", className="job-error", role="alert"), True
    return preview_table(plan), not to_apply(plan)


def preview_table(plan: list[PlannedName]) -> html.Div:
    """One row per name: its name, kind, images in this folder, and what the import does."""
    counts = {a: sum(p.action == a for p in plan) for a in ACTION_WORDS}
    rows = [html.Tr([html.Td(p.item.name), html.Td(p.item.kind), html.Td(str(p.members_here)),
                     html.Td(_action_text(p), className=f"import-{p.action}")]) for p in plan]
    return html.Div(className="import-preview", children=[
        html.Div(f"{len(plan)} names: {counts[CREATE]} to create, {counts[UPDATE]} to update, "
                 f"{counts[UNCHANGED]} already saved, {counts[SKIP]} skipped.",
                 className="summary import-counts"),
        html.Table(className="meta", children=[
            html.Thead(html.Tr([html.Th("name"), html.Th("kind"), html.Th("images here"),
                                html.Th("import")])), html.Tbody(rows)]),
    ])


def _action_text(p: PlannedName) -> str:
    if p.action == UPDATE:
        return f"renames '{p.current}'"
    if p.action == SKIP:
        return f"skipped: {p.why}"
    return ACTION_WORDS[p.action]


def apply_view(config: AppConfig, key: str | None, view, contents, filenames, user: str | None):
    """(status, names version bump?) after importing the previewed names as ``user``."""
    if not key or not contents:
        return "Upload an export first.", False
    if not (user or "").strip():
        return "Type your name (above, in the naming form) first: it goes in the history.", False
    try:
        plan, run, store = _plan(config, key, view, uploaded_files(contents, filenames))
        summary = import_names(store, to_apply(plan), user=user.strip(), run=run)
    except ValueError as exc:
        return f"Not imported: {exc}", False
    return (f"Imported: {summary.created} created, {summary.updated} updated, "
            f"{summary.unchanged} unchanged."), True


def export_zip(config: AppConfig, key: str, view, stem: str) -> dict:
    """The labelled export (``STEM.csv``, ``STEM.tree.csv``, ``STEM.json``) as one zip
    download ``STEM.zip``."""
    clustering = load_run(config, key, View.of(view)).clustering
    texts = export_texts(clustering, load_match(config, key, View.of(view)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for suffix, text in ((".csv", texts.images_csv), (".tree.csv", texts.tree_csv),
                             (".json", texts.sidecar_json)):
            archive.writestr(f"{stem}{suffix}", text)
    return dcc.send_bytes(buffer.getvalue(), f"{stem}.zip")


def register_names_io_callbacks(app: Dash, config: AppConfig) -> None:
    @app.callback(Output(PREVIEW, "children"), Output(APPLY, "disabled"),
                  Output(STATUS, "children"),
                  Input(UPLOAD, "contents"), State(UPLOAD, "filename"),
                  State(main_ids.RUN_KEY, "data"), State(main_ids.VIEW, "data"),
                  prevent_initial_call=True)
    def _preview(contents, filenames, key, view):
        return (*preview_view(config, key, view, contents, filenames), "")

    @app.callback(Output(STATUS, "children", allow_duplicate=True),
                  Output(hier_ids.NAMES_VERSION, "data", allow_duplicate=True),
                  Output(APPLY, "disabled", allow_duplicate=True),
                  Input(APPLY, "n_clicks"), State(UPLOAD, "contents"),
                  State(UPLOAD, "filename"), State(hier_ids.USER_INPUT, "value"),
                  State(main_ids.RUN_KEY, "data"), State(main_ids.VIEW, "data"),
                  State(hier_ids.NAMES_VERSION, "data"), prevent_initial_call=True)
    def _apply(_clicks, contents, filenames, user, key, view, version):
        message, saved = apply_view(config, key, view, contents, filenames, user)
        return message, (version or 0) + 1 if saved else no_update, saved or no_update
