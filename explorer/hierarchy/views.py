"""What each hierarchy callback does, as functions of (server config, key, Z, ids).

Tests call these directly; :mod:`explorer.hierarchy.callbacks` only wires them.
"""

from __future__ import annotations

import logging

import numpy as np
from dash import Patch, no_update
from dash.exceptions import PreventUpdate

from compute.naming import NameConflictError
from explorer.config import AppConfig
from explorer.figures import drop_drawn_selection, empty_figure, select_rows
from explorer.hierarchy import figures
from explorer.hierarchy.card import cluster_card, hover_card, lost_names
from explorer.state import (
    View,
    clusters_curve,
    load_analysis,
    load_data,
    load_match,
    load_run,
    names_store,
)
from explorer.views import download_stem, shown_mask

log = logging.getLogger(__name__)

RELOAD_HINT = ("Press Reload to see the latest version (what you typed stays in the form), "
               "then Save again to replace it.")


def _run(config: AppConfig, key: str, view):
    """The labelled run at the page's cut (``view``: the browser's ``ids.VIEW`` store)."""
    if view is None:
        raise PreventUpdate  # the page's cut is not set yet
    return load_run(config, key, View.of(view))


def _topography(config: AppConfig, key: str):
    """The Z-independent topography (densities and the kNN graph do not depend on Z)."""
    return load_analysis(config, key).topography


def highlighted_leaves(tree, highlight: dict | None) -> list[int]:
    if not highlight:
        return []
    if "pair" in highlight:
        return [int(c) for c in highlight["pair"]]
    node = int(highlight["node"])
    return tree.leaves_under(node).tolist() if 0 <= node < tree.n_nodes else []


def pictures_view(config: AppConfig, key: str | None, view, highlight: dict | None,
                  groups: list[str] | None = None):
    """(dendrogram, MDS map, heatmap, summary text, clusters-vs-Z, lost names).

    With a scale-group filter (``groups``), the MDS map sizes each peak by its images in
    those groups and the summary says how many images and clusters the filter keeps."""
    if not key:
        blank = empty_figure("compute an analysis first")
        return blank, blank, blank, "", blank, lost_names([])
    run = _run(config, key, view)
    match = load_match(config, key, View.of(view))
    names, tree, h = match.names(), run.clustering.tree, run.hierarchy
    node = int(highlight["node"]) if highlight and "node" in highlight else None
    leaves = highlighted_leaves(tree, highlight)
    topo = run.topography
    params = topo.params
    grid, counts = clusters_curve(config, key)
    summary = cut_summary(topo, n_clusters=tree.n_leaves)
    populations = tree.population[:tree.n_leaves]
    shown = shown_mask(config, key, groups)
    if shown is not None:
        populations = np.bincount(run.clustering.labels[shown], minlength=tree.n_leaves)
        summary = [*summary, " " + filter_summary(groups, shown, populations)]
    return (figures.dendrogram_figure(tree, names=names, highlight=node),
            figures.mds_figure(h.mds, populations=populations,
                               adjacency=h.adjacency, names=names, highlight=leaves),
            figures.heatmap_figure(h.adjacency, order=tree.leaf_order(), names=names,
                                   highlight=leaves),
            summary, figures.clusters_vs_z_figure(grid, counts, current_z=params.z,
                                                  suggested_z=topo.suggested.z,
                                                  plateau=topo.suggested.plateau),
            lost_names(match.lost))


def filter_summary(groups: list[str], shown: np.ndarray, populations: np.ndarray) -> str:
    """One sentence: what the scale-group filter keeps of the hierarchy."""
    return (f"Scale groups {', '.join(groups)}: {int(shown.sum())} of {len(shown)} images, "
            f"in {int(np.count_nonzero(populations))} of {len(populations)} clusters "
            "(peaks sized by those images; cards and scores count only them)")


HALO_MEANING = {
    "border": "Halo images (drawn fainter) lie next to another cluster, below the density "
              "of the saddle between the two: their cluster is the less certain.",
    "dadapy": "Halo images (drawn fainter) lie below their cluster's highest saddle "
              "(DADApy's rule): on CNN features that is most images, so most are fainter.",
}


def cut_summary(topography, *, n_clusters: int) -> list:
    """The line under the slider: clusters at Z (the suggested cut or not), the space the
    peaks were found in, the halo fraction and one sentence on what the halo means."""
    from dash import html

    params, c = topography.params, topography.clustering
    suggested = topography.suggested
    which = (f"the suggested cut{suggested.caveat()}" if params.z == suggested.z
             else f"suggested: Z = {suggested.z:g}, {suggested.clusters} clusters")
    parts = [f"{n_clusters} clusters at Z = {params.z:g} ({which}); "
             f"{topography.space_description()}; {params.describe()}."]
    if params.halo:
        share = float(np.mean(c.is_halo)) if c.is_halo.size else 0.0
        parts += [html.Br(), html.Span(f"Halo: {int(c.is_halo.sum())} images ({share:.0%}). ",
                                       className="halo-fraction"),
                  html.Span(HALO_MEANING[params.halo_rule], className="hint halo-meaning")]
    return parts


def suggested_cut_view(config: AppConfig, key: str | None, current_z: float | None,
                       key_changed: bool):
    """(slider value, slider marks): a new analysis, or a slider never moved, starts at the
    suggested cut; a Z the user chose (kept across a reload) stays."""
    from explorer.hierarchy.layout import z_marks

    if not key:
        return no_update, z_marks(None)
    suggested = _topography(config, key).suggested.z
    value = suggested if key_changed or current_z is None else no_update
    return value, z_marks(suggested)


def highlight_from_event(event: dict | None) -> dict | None:
    """The highlight of a hover/click on one of the three pictures (None if not a mark)."""
    if not event or not event.get("points"):
        return None
    data = event["points"][0].get("customdata")
    if data is None:
        return None
    if isinstance(data, list) and len(data) == 2:
        a, b = int(data[0]), int(data[1])
        return {"node": a} if a == b else {"pair": [a, b]}
    return {"node": int(data[0] if isinstance(data, list) else data)}


def hover_view(config: AppConfig, key: str | None, view, event: dict | None):
    """(show, bbox, children) of the tooltip of a hovered node, cluster or saddle cell."""
    found = highlight_from_event(event)
    if not key or found is None:
        return False, no_update, no_update
    run = _run(config, key, view)
    nodes = found.get("pair") or [found["node"]]
    if not all(0 <= int(n) < run.clustering.tree.n_nodes for n in nodes):
        return False, no_update, no_update
    card = hover_card(run, [int(n) for n in nodes], load_match(config, key, View.of(view)).names(),
                      log_density=_topography(config, key).density.log_density)
    return True, event["points"][0].get("bbox"), card


def highlight_from_row(config: AppConfig, key: str | None, view, row: int | None):
    """The cluster of a point focused in the projection."""
    if not key or row is None:
        return no_update
    labels = _run(config, key, view).clustering.labels
    return {"node": int(labels[int(row)])} if 0 <= int(row) < len(labels) else no_update


def highlighted_rows(config: AppConfig, key: str | None, view,
                     highlight: dict | None) -> np.ndarray | None:
    """The image rows of the hierarchy's ``highlight`` at the page's cut (sorted), or
    None when nothing is highlighted."""
    if not key or not highlight:
        return None
    c = _run(config, key, view).clustering
    leaves = highlighted_leaves(c.tree, highlight)
    return np.flatnonzero(np.isin(c.labels, leaves)) if leaves else None


def scatter_patch(config: AppConfig, key: str | None, view, highlight: dict | None, *,
                  selected: list[int] | None = None, pkey: str | None = None):
    """Select the highlighted images in the projection ``pkey`` (the others are dimmed);
    without a highlight, the user's own selection (``selected`` rows) shows again. On a
    density map only the lasso drawn before is dropped: its main trace holds other rows,
    and :func:`explorer.density_view.main_trace_view` draws both."""
    from explorer.density_view import dense_map

    if not key:
        return no_update
    if pkey and dense_map(config, pkey, None) is not None:
        return drop_drawn_selection(Patch())
    return select_rows(Patch(), marked_rows(config, key, view, highlight, selected))


def marked_rows(config: AppConfig, key: str | None, view, highlight: dict | None,
                selected: list[int] | None) -> list[int] | None:
    """The rows the map marks: the hierarchy's ``highlight``, else the user's ``selected``
    rows (those that exist); None when there are neither."""
    lit = highlighted_rows(config, key, view, highlight)
    if lit is not None:
        return lit.tolist()
    if not key or not selected:
        return None
    n_rows = load_data(config, key).n_rows  # the page's rows, whatever the cut
    return [int(r) for r in selected if 0 <= int(r) < n_rows] or None


def card_view(config: AppConfig, key: str | None, view, selected: dict | None,
              groups: list[str] | None = None):
    """(card, name field, note field, editing state) for the selected node (its images
    limited to the scale-group filter ``groups`` when one is set)."""
    if not key or not selected:
        return "Click a cluster or a node of the dendrogram, map or heatmap.", "", "", None
    run = _run(config, key, view)
    node = int(selected["node"])
    if not 0 <= node < run.clustering.tree.n_nodes:
        return "That node does not exist at this Z; click again.", "", "", None
    store = names_store(config.names_db)
    match = load_match(config, key, View.of(view))
    record = match.by_node.get(node)
    topography = _topography(config, key)
    card = cluster_card(run, node, match, log_density=topography.density.log_density,
                        knn_indices=topography.knn.indices,
                        history=store.history(record.name_id) if record else (),
                        shown=shown_mask(config, key, groups))
    editing = {"node": node, "name_id": record.name_id if record else None,
               "version": record.version if record else None}
    return card, record.name if record else "", record.note if record else "", editing


def save_view(config: AppConfig, key: str | None, view, editing: dict | None, *, name: str,
              note: str, user: str, delete: bool = False):
    """(status message, saved?) after saving (or deleting) the edited node's name.

    Returns only once the store committed; conflicts and bad text come back as messages.
    """
    if not key or not editing:
        return "Select a cluster or node first.", False
    run = _run(config, key, view)
    c, node, store = run.clustering, int(editing["node"]), names_store(config.names_db)
    kind = "cluster" if c.tree.is_leaf(node) else "node"
    try:
        if delete:
            if editing.get("name_id") is None:
                return "This node has no name to delete.", False
            store.delete(editing["name_id"], expected_version=editing["version"], user=user,
                         run=c.run)
            return "Name deleted (its history is kept).", True
        if editing.get("name_id") is None:
            rec = store.create(kind=kind, name=name, note=note, anchor=c.anchor(node),
                               user=user, run=c.run)
        else:
            rec = store.update(editing["name_id"], expected_version=editing["version"],
                               name=name, note=note, user=user, run=c.run,
                               anchor=c.anchor(node))
    except NameConflictError as exc:
        return f"Not saved: {exc}. {RELOAD_HINT}", False
    except KeyError:
        return ("Not saved: someone deleted this name meanwhile (its history is kept). Press "
                "Reload, then Save to name the node again."), False
    except ValueError as exc:
        return f"Not saved: {exc}", False
    return f"Saved '{rec.name}' (version {rec.version}) at {rec.updated_at[:19]}.", True


def export_view(config: AppConfig, key: str | None, view):
    """One zip download of the per-image CSV, the tree CSV and the run sidecar, named
    after the folder and the page's Z (:func:`explorer.names_io.export_zip`)."""
    from explorer.names_io import export_zip

    if not key:
        return no_update
    _run(config, key, view)  # no cut yet: no export
    return export_zip(config, key, view, download_stem(config, view))


def scores_view(config: AppConfig, key: str | None, view, groups: list[str] | None = None):
    """(scores text, confusion matrix figure) against the known labels, at the page's cut,
    over the images inside the scale-group filter ``groups`` (all without one)."""
    from compute.evaluation.scores import score_clustering

    if not key:
        return "", empty_figure("no analysis")
    c = _run(config, key, view).clustering
    shown = shown_mask(config, key, groups)
    rows = np.arange(len(c.labels)) if shown is None else np.flatnonzero(shown)
    try:
        s = score_clustering(c.labels[rows], [c.known_labels[r] for r in rows],
                             is_halo=c.is_halo[rows])
    except ValueError as exc:
        return str(exc), empty_figure("no known labels")
    where = f" in scale groups {', '.join(groups)}" if shown is not None else ""
    text = (f"NMI {s.nmi:.3f}, AMI {s.ami:.3f}, ARI {s.ari:.3f} on {s.n_scored} labelled "
            f"images{where} ({s.n_halo} halo images left out) at Z = {c.run.z:g}")
    match = load_match(config, key, View.of(view))
    return text, figures.confusion_figure(s.confusion.counts, clusters=s.confusion.clusters,
                                          classes=s.confusion.classes, names=match.names())


def dimension_view(config: AppConfig, key: str | None):
    """(2-NN fit, ID against scale, PCA spectrum, decision graph) figures of the analysis
    (the decision graph's peaks are those at the default cut)."""
    from compute.arrays import metric_points
    from compute.graph.intrinsic_dim import id_scale_analysis, pca_spectrum
    from compute.peaks.hierarchy import decision_graph

    if not key:
        blank = empty_figure("no analysis")
        return blank, blank, blank, blank
    analysis = load_analysis(config, key)
    dim = analysis.topography.intrinsic_dim
    x = metric_points(analysis.vectors, analysis.params.metric)
    try:
        scale = id_scale_analysis(x, knn=analysis.topography.knn)
        scale_figure = figures.id_scale_figure(scale.scale, scale.dimension_mean,
                                               scale.dimension_std)
    except ValueError as exc:  # a small folder: the other diagnostics still show
        scale_figure = empty_figure(f"ID against scale: {exc}")
    pca = pca_spectrum(x)
    topo = analysis.topography
    graph = decision_graph(topo.knn, topo.density.log_density, x=x)
    return (figures.two_nn_figure(dim.log_mu, dim.y, dimension=dim.dimension),
            scale_figure,
            figures.pca_figure(pca.explained_variance_ratio[:50], pca.cumulative[:50]),
            figures.decision_graph_figure(graph.log_density, graph.delta,
                                          topo.clustering.centers))
