"""The labelled-hierarchy export: per-image CSV, tree CSV and a run sidecar; and import.

For ``OUT.csv`` three files are written:

- ``OUT.csv``: one row per image: id, path, cluster, is_halo, assigned, known_label,
  cluster_name, level_1..level_L (the named nodes from the root down to the image's
  cluster) and hierarchy_path (the levels joined by `` > ``).
- ``OUT.tree.csv``: one row per tree node: node, parent, kind, cluster, height
  (log-density), population, peak_id, name, note, named_by, named_at.
- ``OUT.json``: the run parameters, counts, and the names that lost their node.

Text cells that a spreadsheet could run as a formula (starting with ``= + - @``, a tab or a
carriage return) are written with a leading apostrophe; so are cells that already start
with one, which makes :func:`unneutralise` exact (see :mod:`compute.spreadsheet`). Numbers
are written as numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from compute.naming import (
    PATH_SEPARATOR,
    Anchor,
    LabelledClustering,
    NameMatch,
    NameRecord,
    NameStore,
    RunInfo,
)
from compute.spreadsheet import neutralise, neutralised_frame, unneutralise

IMAGE_TEXT_COLUMNS = ("id", "path", "known_label", "cluster_name", "hierarchy_path")
TREE_TEXT_COLUMNS = ("kind", "peak_id", "name", "note", "named_by", "named_at")


@dataclass(frozen=True)
class ExportFiles:
    images: Path
    tree: Path
    sidecar: Path


def export_paths(out: str | Path) -> ExportFiles:
    """The three files of an export to ``out`` (which should end in .csv)."""
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise ValueError(f"the export file must end in .csv; got {out.name}")
    stem = out.with_suffix("")
    return ExportFiles(images=out, tree=stem.with_name(stem.name + ".tree.csv"),
                       sidecar=stem.with_name(stem.name + ".json"))


def images_frame(clustering: LabelledClustering, names: Mapping[int, str]) -> pd.DataFrame:
    """The per-image table (plain text, not yet neutralised); ``names``: node id -> name."""
    leaf_paths = [clustering.named_path(leaf, names) for leaf in range(clustering.n_clusters)]
    depth = max((len(p) for p in leaf_paths), default=0)
    labels = clustering.labels
    frame = pd.DataFrame({
        "id": list(clustering.ids),
        "path": list(clustering.paths),
        "cluster": labels.astype(np.int64),
        "is_halo": np.asarray(clustering.is_halo, dtype=bool),
        "assigned": np.asarray(clustering.assigned, dtype=bool),
        "known_label": [label or "" for label in clustering.known_labels],
        "cluster_name": [names.get(int(c), "") for c in labels],
    })
    if clustering.log_density is not None:
        frame.insert(4, "log_density", np.asarray(clustering.log_density, dtype=np.float64))
    for level in range(depth):
        column = [p[level] if level < len(p) else "" for p in leaf_paths]
        frame[f"level_{level + 1}"] = [column[c] for c in labels]
    joined = [PATH_SEPARATOR.join(p) for p in leaf_paths]
    frame["hierarchy_path"] = [joined[c] for c in labels]
    return frame


def tree_frame(clustering: LabelledClustering, match: NameMatch) -> pd.DataFrame:
    """One row per node of the tree, with its name (plain text, not yet neutralised)."""
    tree = clustering.tree
    rows = []
    for node in range(tree.n_nodes):
        rec = match.by_node.get(node)
        leaf = tree.is_leaf(node)
        rows.append({
            "node": node, "parent": int(tree.parent[node]),
            "kind": "cluster" if leaf else "node", "cluster": node if leaf else -1,
            "height": float(tree.height[node]), "population": int(tree.population[node]),
            "peak_id": clustering.ids[int(clustering.peak_rows[tree.peak[node]])],
            "name": rec.name if rec else "", "note": rec.note if rec else "",
            "named_by": rec.updated_by if rec else "", "named_at": rec.updated_at if rec else "",
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ExportTexts:
    """The three files of an export as text (what the dashboard sends for download)."""

    images_csv: str
    tree_csv: str
    sidecar_json: str


def export_texts(clustering: LabelledClustering, match: NameMatch) -> ExportTexts:
    """The per-image CSV, the tree CSV and the run sidecar, neutralised, as text."""
    images = images_frame(clustering, match.names())
    images = neutralised_frame(images, [c for c in images.columns if c.startswith("level_")]
                               + list(IMAGE_TEXT_COLUMNS))
    tree = neutralised_frame(tree_frame(clustering, match), TREE_TEXT_COLUMNS)
    sidecar = {
        "run": asdict(clustering.run),
        "parameters": _parameters(clustering.run),
        "n_images": len(clustering.ids), "n_clusters": clustering.n_clusters,
        "n_halo": int(np.sum(clustering.is_halo)),
        "n_assigned": int(np.sum(clustering.assigned)),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "hierarchy_separator": PATH_SEPARATOR,
        "lost_names": [{"name": r.name, "note": r.note, "kind": r.kind,
                        "named_by": r.updated_by, "named_at": r.updated_at,
                        "n_members": len(r.anchor.members)} for r in match.lost],
    }
    return ExportTexts(images_csv=images.to_csv(index=False, lineterminator="\n"),
                       tree_csv=tree.to_csv(index=False, lineterminator="\n"),
                       sidecar_json=json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")


def _parameters(run: RunInfo) -> dict:
    """The analysis parameters of ``run`` in the names of :class:`compute.params.AnalysisParams`
    (the flags that reproduce it: ``--metric --maxk --density --k --z --halo`` ...), every
    field of it, concrete (the suggested Z as a number)."""
    from dataclasses import fields

    from compute.params import AnalysisParams

    return {f.name: getattr(run, f.name) for f in fields(AnalysisParams)}


def write_export(out: str | Path, clustering: LabelledClustering, match: NameMatch) -> ExportFiles:
    """Write the three export files for ``clustering`` named by ``match``."""
    files = export_paths(out)
    files.images.parent.mkdir(parents=True, exist_ok=True)
    texts = export_texts(clustering, match)
    for path, text in ((files.images, texts.images_csv), (files.tree, texts.tree_csv),
                       (files.sidecar, texts.sidecar_json)):
        path.write_text(text, encoding="utf-8", newline="")
    return files


def read_images_csv(path: str | Path) -> pd.DataFrame:
    """An exported per-image CSV as written (text restored, numbers and flags typed)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        if column in IMAGE_TEXT_COLUMNS or column.startswith("level_"):
            frame[column] = [unneutralise(v) for v in frame[column]]
    frame["cluster"] = frame["cluster"].astype(np.int64)
    if "log_density" in frame.columns:
        frame["log_density"] = frame["log_density"].astype(np.float64)
    for column in ("is_halo", "assigned"):
        frame[column] = frame[column].map({"True": True, "False": False}).astype(bool)
    return frame


def read_tree_csv(path: str | Path) -> pd.DataFrame:
    """An exported tree CSV as written (text restored, numbers typed)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in TREE_TEXT_COLUMNS:
        frame[column] = [unneutralise(v) for v in frame[column]]
    for column in ("node", "parent", "cluster", "population"):
        frame[column] = frame[column].astype(np.int64)
    frame["height"] = frame["height"].astype(np.float64)
    return frame


@dataclass(frozen=True)
class ImportedName:
    kind: str
    name: str
    note: str
    anchor: Anchor


def names_from_export(out: str | Path) -> list[ImportedName]:
    """The names of an export (``out`` is its per-image CSV), each with its anchor."""
    files = export_paths(out)
    for path in (files.images, files.tree):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: an export is {files.images.name} "
                                    f"with {files.tree.name} beside it")
    return names_from_frames(read_images_csv(files.images), read_tree_csv(files.tree))


def names_from_frames(images: pd.DataFrame, tree: pd.DataFrame) -> list[ImportedName]:
    """The names of an export read back (:func:`read_images_csv`, :func:`read_tree_csv`),
    each anchored to the ids of the images below its node."""
    ids_by_cluster = images.groupby("cluster")["id"].agg(frozenset).to_dict()
    leaves_below = _leaves_below(tree)
    named = []
    for row in tree[tree["name"] != ""].itertuples():
        members = frozenset().union(*(ids_by_cluster.get(c, frozenset())
                                      for c in leaves_below[row.node]))
        named.append(ImportedName(kind=row.kind, name=row.name, note=row.note,
                                  anchor=Anchor(members=members, peak_id=row.peak_id or None)))
    return named


def _leaves_below(tree: pd.DataFrame) -> dict[int, list[int]]:
    below: dict[int, list[int]] = {int(n): [] for n in tree["node"]}
    parent = dict(zip(tree["node"], tree["parent"], strict=True))
    for row in tree[tree["kind"] == "cluster"].itertuples():
        node = int(row.node)
        while node >= 0:
            below[node].append(int(row.cluster))
            node = int(parent[node])
    return below


def same_name(live: Sequence[NameRecord], item: ImportedName) -> NameRecord | None:
    """The live name that ``item`` would update: same kind, exactly the same members."""
    return next((r for r in live if (r.kind, r.anchor.digest)
                 == (item.kind, item.anchor.digest)), None)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


def import_names(store: NameStore, imported: Sequence[ImportedName], *, user: str,
                 run: RunInfo) -> ImportSummary:
    """Save imported names into ``store``.

    A live name of the same kind with exactly the same members is updated (or left alone
    when name and note are equal); otherwise a new name is created. Near-identical anchors
    are not merged: both names then compete for the node when matched, and the loser is
    shown as lost. Each save is its own transaction with the usual version check.
    """
    created = updated = unchanged = 0
    for item in imported:
        same = same_name(store.live(), item)
        if same is None:
            store.create(kind=item.kind, name=item.name, note=item.note, anchor=item.anchor,
                         user=user, run=run, action="import")
            created += 1
        elif (same.name, same.note) == (item.name, item.note):
            unchanged += 1
        else:
            store.update(same.name_id, expected_version=same.version, name=item.name,
                         note=item.note, user=user, run=run)
            updated += 1
    return ImportSummary(created=created, updated=updated, unchanged=unchanged)


__all__ = ["ExportFiles", "ExportTexts", "ImportSummary", "ImportedName", "export_paths",
           "export_texts", "images_frame", "import_names", "names_from_export",
           "names_from_frames", "neutralise", "same_name",
           "read_images_csv", "read_tree_csv", "tree_frame", "unneutralise", "write_export"]
