"""The cluster card and the names list as Dash components (text only, never HTML)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from dash import html

from compute.naming import PATH_SEPARATOR, NameMatch, NameRecord
from compute.naming.card import borders, composition, densest, node_rows, sample
from compute.naming.labelling import LabelledRun
from compute.naming.store import HistoryEntry
from explorer.serving import thumbnail_url

N_TILES = 8
N_BORDERS = 6
N_HISTORY = 6


def _tiles(run: LabelledRun, rows: Sequence[int], *, class_name: str = "") -> html.Div:
    c = run.clustering
    return html.Div(className=f"grid hier-tiles {class_name}".strip(), children=[
        html.Img(src=thumbnail_url(c.ids[r]), width=56, height=56, className="thumb",
                 title=f"{c.paths[r]} ({c.known_labels[r] or 'unlabelled'})", alt=c.paths[r])
        for r in rows])


def node_title(run: LabelledRun, node: int, names: dict[int, str]) -> str:
    tree = run.clustering.tree
    path = run.clustering.named_path(node, names)
    own = f"cluster {node}" if tree.is_leaf(node) else f"node {node}"
    if node in names:
        return f"{PATH_SEPARATOR.join(path)} ({own})"
    return f"{PATH_SEPARATOR.join([*path, own])}" if path else own


def cluster_card(run: LabelledRun, node: int, match: NameMatch, *, log_density: np.ndarray,
                 knn_indices: np.ndarray, history: Sequence[HistoryEntry] = (),
                 shown: np.ndarray | None = None) -> html.Div:
    """Population, halo, composition, densest members, a sample and the border images.

    ``history``: the saved versions of the node's name, oldest first (the earlier ones are
    listed, so a name replaced by someone else is never out of sight). ``shown``: bool (N,)
    rows inside the page's scale-group filter (None: all); the card's counts, composition
    and images are then those rows' only.
    """
    c, tree = run.clustering, run.clustering.tree
    names = match.names()
    every = node_rows(tree, c.labels, node)
    rows = every if shown is None else every[shown[every]]
    kind = "peak" if tree.is_leaf(node) else "merge (saddle)"
    count = len(rows) if shown is None else f"{len(rows)} of {len(every)} (scale-group filter)"
    facts = [("images", count), ("halo", int(c.is_halo[rows].sum())),
             ("assigned later", int(c.assigned[rows].sum())),
             (f"{kind} log-density", f"{tree.height[node]:.3f}")]
    record = match.by_node.get(node)
    if record is not None:
        facts.append(("named by", f"{record.updated_by} at {record.updated_at[:19]}"))
        if record.note:
            facts.append(("note", record.note))
    saddles = run.hierarchy.clustering.saddles
    border_list = borders(tree, node, saddle_log_density=saddles.log_density,
                          saddle_point=saddles.point, knn_indices=knn_indices,
                          n=N_TILES)[:N_BORDERS]
    mix = composition(c.known_labels, rows)
    known = sum(n for _, n in mix)
    peak = densest(rows, log_density, 1)
    # the viewer (assets/viewer.js) opens a card image beside the cluster's peak
    return html.Div(className="hier-card", **{"data-peak": str(c.ids[peak[0]]) if len(peak)
                                                else ""}, children=[
        html.H4(node_title(run, node, names), className="hier-card-title"),
        html.Table(className="meta", children=[html.Tr([html.Th(k), html.Td(str(v))])
                                               for k, v in facts]),
        *name_history(history),
        html.H4("Known labels"),
        html.Table(className="meta hier-composition", children=[
            html.Tr([html.Th(label), html.Td(f"{n} ({100 * n / known:.0f} %)")])
            for label, n in mix[:10]]) if mix else html.Div("no known labels", className="hint"),
        html.H4("Densest members (around the peak)"),
        _tiles(run, densest(rows, log_density, N_TILES), class_name="densest"),
        html.H4("Random sample"),
        _tiles(run, sample(rows, N_TILES, random_state=node), class_name="sample"),
        html.H4("Borders: the saddle point and its neighbours"),
        *([html.Div([html.Div(f"towards {node_title(run, b.outside, names)}, saddle "
                              f"log-density {b.saddle_log_density:.3f}", className="hint"),
                     _tiles(run, _kept(b.rows, shown), class_name="border")])
           for b in border_list]
          or [html.Div("no border with another cluster", className="hint")]),
    ])


def _kept(rows: Sequence[int], shown: np.ndarray | None) -> list[int]:
    return [int(r) for r in rows if shown is None or shown[int(r)]]


def name_history(history: Sequence[HistoryEntry]) -> list:
    """The earlier versions of a name, newest first (nothing when there are none)."""
    earlier = list(history)[-N_HISTORY - 1:-1][::-1]
    if not earlier:
        return []
    return [html.H4("Earlier versions of this name"),
            html.Ul(className="hier-history", children=[
                html.Li(f"v{e.version} {e.action}: {e.name} ({e.user}, {e.at[:19]})")
                for e in earlier])]


def hover_card(run: LabelledRun, nodes: Sequence[int], names: dict[int, str], *,
               log_density: np.ndarray) -> html.Div:
    """What hovering a node shows: its title, size and its densest images."""
    tree = run.clustering.tree
    parts = []
    for node in nodes:
        rows = node_rows(tree, run.clustering.labels, node)
        parts += [html.Div(node_title(run, node, names), className="label"),
                  html.Div(f"{len(rows)} images", className="hint"),
                  _tiles(run, densest(rows, log_density, 4), class_name="densest")]
    return html.Div(className="hover-card hier-hover", children=parts)


def lost_names(records: Sequence[NameRecord]) -> html.Div:
    """Names whose cluster no longer exists at this Z (shown, never dropped)."""
    if not records:
        return html.Div()
    return html.Div(className="hier-lost", children=[
        html.H4(f"{len(records)} names without a cluster at this Z"),
        html.Ul([html.Li(f"{r.name} ({r.kind}, {len(r.anchor.members)} images, "
                         f"by {r.updated_by}, Z = {r.run.z:g})") for r in records]),
    ])
