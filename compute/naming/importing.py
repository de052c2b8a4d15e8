"""Names from an earlier labelled export, as the dashboard imports them: read the files a
user uploads (the export's zip, or its CSV with its tree CSV, or the tree CSV alone),
anchor each name to this folder's images, and plan what the import would do (the preview)
before :func:`compute.naming.export.import_names` applies it, as ``python -m compute
import-names`` does.

A tree CSV alone has no members: its named clusters are placed on this run's cluster with
the same peak image (content id); its named inner nodes need the per-image CSV.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compute.naming.clustering import LabelledClustering
from compute.naming.export import (
    ImportedName,
    names_from_frames,
    read_images_csv,
    read_tree_csv,
    same_name,
)
from compute.naming.store import Anchor, NameRecord, RunInfo, belongs_to

# What each planned name will do.
CREATE, UPDATE, UNCHANGED, SKIP = "create", "update", "unchanged", "skip"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # an export of 1 M images is about 150 MB of CSV
WHAT_TO_UPLOAD = ("upload the export's .zip, or its .csv together with its .tree.csv "
                  "(or the .tree.csv alone)")


@dataclass(frozen=True)
class ExportUpload:
    """The texts of an uploaded export; ``images_csv`` and ``sidecar_json`` may be missing."""

    tree_csv: str
    images_csv: str | None = None
    sidecar_json: str | None = None

    def run(self) -> RunInfo | None:
        """The run the names were given in (from the sidecar), if it was uploaded."""
        if self.sidecar_json is None:
            return None
        try:
            return RunInfo(**json.loads(self.sidecar_json)["run"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the export's .json sidecar is not one of Topograph's ({exc}); "
                             "upload the export without it") from None


def read_upload(files: Mapping[str, bytes]) -> ExportUpload:
    """The export in ``files`` (file name -> bytes): one .zip holding it, or the .csv,
    .tree.csv and .json files themselves. ValueError saying what to upload otherwise."""
    if sum(len(b) for b in files.values()) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB; "
                         "import it with python -m compute import-names instead")
    zips = [name for name in files if name.lower().endswith(".zip")]
    if zips:
        files = _unzipped(files[zips[0]], zips[0])
    texts = {}
    for name, data in files.items():
        kind = _kind_of(name)
        if kind is None:
            continue
        try:
            texts[kind] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(f"{name} is not UTF-8 text; {WHAT_TO_UPLOAD}") from None
    if "tree" not in texts:
        raise ValueError(f"no .tree.csv among {sorted(files) or 'the files'}: {WHAT_TO_UPLOAD}")
    return ExportUpload(tree_csv=texts["tree"], images_csv=texts.get("images"),
                        sidecar_json=texts.get("sidecar"))


def _kind_of(name: str) -> str | None:
    lower = name.lower().rsplit("/", 1)[-1]
    if lower.endswith(".tree.csv"):
        return "tree"
    if lower.endswith(".csv") and not lower.endswith("-selection.csv"):
        return "images"
    return "sidecar" if lower.endswith(".json") else None


def _unzipped(data: bytes, name: str) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > MAX_UPLOAD_BYTES:
                raise ValueError(f"{name} unpacks to more than {MAX_UPLOAD_BYTES // 2**20} MB")
            return {m.filename: archive.read(m) for m in members}
    except zipfile.BadZipFile:
        raise ValueError(f"{name} is not a readable zip file; {WHAT_TO_UPLOAD}") from None


@dataclass(frozen=True)
class PlacedNames:
    """The uploaded names anchored to images, and those that could not be (with why)."""

    names: tuple[ImportedName, ...]
    not_placed: tuple[tuple[str, str], ...] = ()


def place_names(upload: ExportUpload, clustering: LabelledClustering) -> PlacedNames:
    """Anchor the uploaded names: by the per-image CSV when uploaded, else (tree CSV alone)
    each named cluster on this run's cluster with the same peak image."""
    try:
        tree = read_tree_csv(io.StringIO(upload.tree_csv))
        if upload.images_csv is not None:
            images = read_images_csv(io.StringIO(upload.images_csv))
            return PlacedNames(tuple(names_from_frames(images, tree)))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"this is not a Topograph export ({type(exc).__name__}: {exc}); "
                         f"{WHAT_TO_UPLOAD}") from None
    leaf_of_peak = {clustering.ids[int(clustering.peak_rows[leaf])]: leaf
                    for leaf in range(clustering.n_clusters)}
    placed, not_placed = [], []
    for row in tree[tree["name"] != ""].itertuples():
        leaf = leaf_of_peak.get(row.peak_id) if row.kind == "cluster" else None
        if leaf is None:
            why = ("an inner node: upload the per-image .csv too" if row.kind != "cluster"
                   else "its peak image is no cluster's peak here: upload the per-image .csv")
            not_placed.append((row.name, why))
            continue
        placed.append(ImportedName(kind="cluster", name=row.name, note=row.note,
                                   anchor=clustering.anchor(leaf)))
    return PlacedNames(tuple(placed), tuple(not_placed))


@dataclass(frozen=True)
class PlannedName:
    """What importing one name will do: ``action`` is :data:`CREATE`, :data:`UPDATE`
    (``current`` is the name it replaces), :data:`UNCHANGED` or :data:`SKIP` (``why``)."""

    item: ImportedName
    action: str
    members_here: int
    current: str | None = None
    why: str = ""


def plan_import(live: Sequence[NameRecord], placed: PlacedNames,
                dataset_ids: frozenset[str]) -> list[PlannedName]:
    """The preview: for each placed name, what :func:`compute.naming.export.import_names`
    would do with it; names whose images are not this folder's are skipped (a name belongs
    to its images), and so are the names that could not be placed."""
    plan = []
    for item in placed.names:
        here = sum(1 for m in item.anchor.members if m in dataset_ids)
        same = same_name(live, item)
        if not belongs_to(item.anchor, dataset_ids):
            plan.append(PlannedName(item, SKIP, here, why="its images are not this folder's"))
        elif same is None:
            plan.append(PlannedName(item, CREATE, here))
        elif (same.name, same.note) == (item.name, item.note):
            plan.append(PlannedName(item, UNCHANGED, here, current=same.name))
        else:
            plan.append(PlannedName(item, UPDATE, here, current=same.name))
    for name, why in placed.not_placed:
        plan.append(PlannedName(ImportedName(kind="node", name=name, note="",
                                             anchor=Anchor(frozenset())), SKIP, 0, why=why))
    return plan


def to_apply(plan: Sequence[PlannedName]) -> list[ImportedName]:
    """The names an import saves (created or updated)."""
    return [p.item for p in plan if p.action in (CREATE, UPDATE)]
