"""Help where the question arises: one short sentence per control and picture of the page,
and a "?" link to the paragraph of the README's "The science in brief" that explains it.

:data:`HELP` is the one source of the sentences (component id -> :class:`Help`);
:func:`with_help` puts them into a layout (a tooltip on the control or its label, and a
"?" link beside it); :func:`register_help_route` serves the README's section at
``/help`` with an anchor per heading, the same anchors as on GitHub
(:func:`heading_anchor`). tests/explorer/test_help.py proves that every control of the
layout has an entry and that every entry's anchor exists.
"""

from __future__ import annotations

import html as html_text
import re
from dataclasses import dataclass

from dash import Dash, html

from compute.params import DEFAULT_K
from explorer import ids, names_io, peak_images
from explorer.config import REPO_ROOT
from explorer.hierarchy import ids as hier
from explorer.training import ids as train
from explorer.viewer import ids as viewer

HELP_ROUTE = "/help"
SECTION = "The science in brief"  # the README section the "?" links open
CONTROL_TYPES = frozenset({"Dropdown", "Input", "Slider", "RangeSlider", "Checklist",
                           "RadioItems", "Textarea", "Button", "Graph", "Upload"})


@dataclass(frozen=True)
class Help:
    """A sentence for a tooltip and the README heading (its anchor) that explains more."""

    text: str
    anchor: str


def _h(text: str, anchor: str) -> Help:
    return Help(text, anchor)


EMBED, NEAR, DENSITY = "embedding-and-distance", "neighbours-k-and-max-k", "density-and-log-density"
SPACE = "cluster-space-and-copies"
Z, HALO, PICTURES = "z-merge-significance", "halo", "the-hierarchy-pictures"
PROJ, COLOURS, SCALE = "projections", "colours-and-grey-points", "scale-groups-and-pixel-size"
LOOK, NAMES, TRAIN, DIAG = "looking-at-images", "names", "training-and-quality", "diagnostics"

HELP: dict[str, Help] = {
    # Compute section: choices that need a recomputation
    ids.RUN_SCALE_GROUP: _h("Analyse every image, or only one scale group (images at a "
                            "similar magnification).", SCALE),
    ids.SETTINGS_BACKBONE: _h("The network that turns each image into numbers (its "
                              "embedding); alike images get nearby embeddings.", EMBED),
    ids.SETTINGS_WEIGHTS: _h("The network's weights: built in, or trained on this folder in "
                             "the Representation section.", EMBED),
    ids.SETTINGS_DENSITY: _h("How the density around each image is estimated: PAk adapts "
                             "the neighbourhood to each image, kNN uses k neighbours.", DENSITY),
    ids.SETTINGS_METRIC: _h("How nearness is measured: Euclidean, or cosine (direction only: "
                            "brightness and contrast matter less).", EMBED),
    ids.SETTINGS_K: _h(f"Neighbours of the fixed-k (kNN) density (empty: {DEFAULT_K}, at most "
                       "a tenth of the images and max k); PAk chooses its own per image.",
                       NEAR),
    ids.SETTINGS_MAXK: _h("How many nearest images are found for each image: the farthest "
                          "any density or cluster border can look.", NEAR),
    ids.SETTINGS_KNN: _h("How the nearest images are searched: exact, or an approximate "
                         "index for large folders (its recall is shown).", NEAR),
    ids.SETTINGS_SPACE: _h("Where the density peaks are searched: a low-dimensional UMAP "
                           "map of the embedding, or the full embedding.", SPACE),
    ids.SETTINGS_COPIES: _h("Count shifted crops and re-saved copies of one picture once: "
                            "they share one cluster, and clusters are about content.", SPACE),
    ids.RUN_BUTTON: _h("Compute the embedding, neighbours, density and clusters with these "
                       "choices (cached: a repeat is instant).", EMBED),
    ids.CANCEL_BUTTON: _h("Stop the running computation.", EMBED),
    # Projection
    ids.SETTINGS_PROJECTION: _h("The 2-D/3-D map of the images. 'Cluster space' is the "
                                "UMAP map the density peaks were found on; PCA, t-SNE and "
                                "UMAP are for the eye only.", PROJ),
    ids.SETTINGS_DIMS: _h("A flat map (select with the lasso) or a 3-D one (to turn).", PROJ),
    ids.SETTINGS_SEED: _h("Random seed: the same seed gives the same map.", PROJ),
    ids.SETTINGS_PERPLEXITY: _h("t-SNE: about how many neighbours each image keeps close.",
                                PROJ),
    ids.SETTINGS_NEIGHBORS: _h("UMAP: how many neighbours shape the map (more: a more global "
                               "picture).", PROJ),
    ids.SETTINGS_MIN_DIST: _h("UMAP: how tightly points may pack (0: dense clumps).", PROJ),
    ids.PROJECTION_CANCEL: _h("Stop the running projection.", PROJ),
    # Representation (training) and quality
    train.STRATEGY: _h("How to train: fine-tune and triplet loss learn from the known "
                       "labels, DeepCluster and SimCLR need none.", TRAIN),
    train.BACKBONE: _h("The network to train.", TRAIN),
    train.START: _h("Start from random weights, ImageNet's, or weights trained here "
                    "earlier.", TRAIN),
    train.EPOCHS: _h("How many passes over the images.", TRAIN),
    train.BATCH_SIZE: _h("Images per training step.", TRAIN),
    train.INPUT_SIZE: _h("Network input in pixels; empty: chosen from the image sizes.", TRAIN),
    train.LEARNING_RATE: _h("Step size of the training; empty: the strategy's default.", TRAIN),
    train.BUTTON: _h("Train in the background; the weights join the Weights menu.", TRAIN),
    train.CANCEL: _h("Stop the training.", TRAIN),
    train.QUALITY_BUTTON: _h("Score this embedding against the known labels.", TRAIN),
    train.QUALITY_CANCEL: _h("Stop the quality report.", TRAIN),
    train.COMPARE_BUTTON: _h("Compare pixels, ImageNet and every trained network on this "
                             "folder, with or without labels, and get a suggestion.", TRAIN),
    train.COMPARE_CANCEL: _h("Stop the comparison.", TRAIN),
    train.QUALITY_HEATMAP: _h("Distances between images sorted by known label: dark "
                              "blocks on the diagonal mean the labels are separated.", TRAIN),
    # The map and its view controls
    ids.SCATTER: _h("Each point is an image. Grey: no value in the 'Colour by' column. "
                    "Click for its image and neighbours; lasso to select.", COLOURS),
    ids.COLOUR_BY: _h("Paint the points by cluster, known label, halo, log-density, scale "
                      "group or a file property.", COLOURS),
    ids.SCALE_FILTER: _h("Show only images of these scale groups (the others are hidden "
                         "everywhere).", SCALE),
    ids.FACET_COLUMN: _h("A fourth facet: counts per value of this column. Click a bar to "
                         "keep only those images; the facets filter each other.", COLOURS),
    ids.FACET_CLEAR: _h("Show every image again (clear the facets' choices).", COLOURS),
    peak_images.SHOW_PEAKS: _h("Draw each cluster's peak image (its densest member) on "
                               "the map, thinned as you zoom out.", PICTURES),
    ids.MARKER_SIZE: _h("Point size on the map.", COLOURS),
    ids.MARKER_OPACITY: _h("Point opacity: lower it to see where points pile up.", COLOURS),
    # The hierarchy
    hier.Z_SLIDER: _h("Z: how many error bars a peak must rise above its saddle to stay a "
                      "cluster. Higher: fewer, surer clusters.", Z),
    hier.HALO: _h("Mark the images below their cluster's highest saddle: they sit between "
                  "two families.", HALO),
    hier.Z_CURVE: _h("The number of clusters at each Z: a flat stretch is a stable "
                     "answer.", Z),
    hier.DENDROGRAM: _h("Peaks at their density, joined at their saddle. The lowest "
                        "(root) merge joins clusters that share no border.", PICTURES),
    hier.MDS: _h("The peaks placed by the depth of the valleys between them; area = number "
                 "of images.", PICTURES),
    hier.HEATMAP: _h("The saddle density of every pair of clusters; a white cell: the two "
                     "share no border.", PICTURES),
    hier.USER_INPUT: _h("Your name, saved with every name you give.", NAMES),
    hier.NAME_INPUT: _h("A name for the cluster or node on the card.", NAMES),
    hier.NOTE_INPUT: _h("An optional note (why this name).", NAMES),
    hier.SAVE_BUTTON: _h("Save the name (refused if someone changed it meanwhile).", NAMES),
    hier.DELETE_BUTTON: _h("Delete the name (its history is kept).", NAMES),
    hier.RELOAD_BUTTON: _h("Load the latest saved version (your typed text stays).", NAMES),
    hier.EXPORT_BUTTON: _h("Download the labelled hierarchy: images, tree and parameters.",
                           NAMES),
    hier.CONFUSION: _h("Clusters against known labels: how many images of each label fall "
                       "in each cluster.", DIAG),
    hier.TWO_NN: _h("The intrinsic dimension: the number of directions in which the images "
                    "really vary.", DIAG),
    hier.ID_SCALE: _h("The intrinsic dimension on ever smaller subsets: a plateau is the "
                      "estimate.", DIAG),
    hier.PCA: _h("Variance explained by each principal component.", DIAG),
    hier.DECISION: _h("Density against the distance to the nearest denser image: peaks "
                      "stand out at the top right.", DIAG),
    # Point and selection panels
    ids.NEIGHBOUR_COUNT: _h("How many nearest images (in the embedding) to show.", NEAR),
    ids.PAGE_PREV: _h("Previous page of the selection (or the left arrow key).", LOOK),
    ids.PAGE_NEXT: _h("Next page of the selection (or the right arrow key).", LOOK),
    ids.EXPORT_BUTTON: _h("Download the selected images as CSV.", NAMES),
    ids.SEARCH_INPUT: _h("Find images by cluster name or number, file name or id: the "
                         "matches are selected.", NAMES),
    names_io.UPLOAD: _h("An earlier labelled export (.zip, or its CSV and tree CSV): see "
                        "what its names would create or update before importing.", NAMES),
    names_io.APPLY: _h("Save the previewed names (your name is recorded with them).", NAMES),
    # The image viewer
    viewer.OPTIONS: _h("Scale bar: from the measured nm/px. Data bar: the instrument's "
                       "stripe. Linked zoom: side by side, both images show the same part.",
                       LOOK),
    viewer.PIN: _h("Keep this image: the next one you open shows beside it.", LOOK),
    viewer.UNPIN: _h("Stop showing the kept image beside the others.", LOOK),
    viewer.CLOSE: _h("Close the viewer (Esc).", LOOK),
    viewer.MAIN: _h("Scroll to zoom, drag to pan, double-click to fit.", LOOK),
    viewer.COMPARE: _h("The kept image, or the cluster's peak.", LOOK),
}


def help_link(entry: Help) -> html.A:
    """A "?" opening the README paragraph in a new tab, with the sentence as tooltip."""
    return html.A("?", href=f"{HELP_ROUTE}#{entry.anchor}", target="_blank",
                  title=entry.text, className="help-link", rel="noopener")


def with_help(component):
    """``component`` with every control that has a :data:`HELP` entry explained: its own
    tooltip (buttons, text areas); else a tooltip and a "?" on the label of its field;
    else it is wrapped with a "?" beside it. Returns ``component`` (changed in place)."""
    children = getattr(component, "children", None)
    if children is None or isinstance(children, str | int | float):
        return component
    items = list(children) if isinstance(children, list | tuple) else [children]
    label = _field_label(component, items)
    out = []
    for child in items:
        with_help(child)
        entry = HELP.get(getattr(child, "id", None)) if _is_component(child) else None
        if entry is None:
            out.append(child)
        elif "title" in child._prop_names:
            child.title = entry.text
            out.append(child)
        elif label is not None:
            label.title = entry.text
            label.children = [label.children, " ", help_link(entry)]
            out.append(child)
        else:
            place = "over" if child._type == "Graph" else "beside"
            out.append(html.Div(className=f"with-help {place}",
                                children=[child, help_link(entry)]))
    component.children = out if isinstance(children, list | tuple) else out[0]
    return component


def _is_component(item) -> bool:
    return hasattr(item, "_prop_names") and isinstance(getattr(item, "id", None), str)


def _field_label(component, items: list) -> html.Label | None:
    """The label of a :func:`explorer.widgets.field` (None for any other component)."""
    if "field" not in str(getattr(component, "className", "") or "").split():
        return None
    return next((c for c in items if isinstance(c, html.Label)), None)


def components(layout) -> list:
    """Every Dash component of ``layout``, depth first (lists and children walked)."""
    found = []

    def walk(item):
        if isinstance(item, list | tuple):
            for x in item:
                walk(x)
        elif hasattr(item, "_prop_names"):
            found.append(item)
            walk(getattr(item, "children", None))
    walk(layout)
    return found


def controls(layout) -> list:
    """Every control of ``layout`` with a string id (pattern-matching ids are dynamic)."""
    return [c for c in components(layout)
            if c._type in CONTROL_TYPES and isinstance(getattr(c, "id", None), str)]


# --------------------------------------------------------------------------- /help


def heading_anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: ``Z (merge significance)`` ->
    ``z-merge-significance``."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def science_section(readme: str) -> str:
    """The Markdown of the README's :data:`SECTION` (up to the next ``## `` heading)."""
    match = re.search(rf"^## {re.escape(SECTION)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if match is None:
        raise ValueError(f"README.md has no '## {SECTION}' section")
    return match.group(1)


def section_anchors(markdown: str) -> set[str]:
    """The anchors of the ``### `` headings of a section."""
    return {heading_anchor(m) for m in re.findall(r"^### (.+)$", markdown, re.M)}


def section_html(markdown: str) -> str:
    """A small Markdown subset as HTML: ``###`` headings (with anchors), paragraphs, ``- ``
    lists, ``**bold**``, ``*italic*`` and ```code```; everything else is escaped text."""
    parts = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        if block.startswith("### "):
            title = block[4:].strip()
            parts.append(f'<h3 id="{heading_anchor(title)}">{_inline(title)}</h3>')
        elif block.lstrip().startswith("- "):
            items = re.split(r"^\s*- ", block, flags=re.M)[1:]
            parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
        else:
            parts.append(f"<p>{_inline(block)}</p>")
    return "\n".join(parts)


def _inline(text: str) -> str:
    out = html_text.escape(" ".join(text.split()), quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


_PAGE_STYLE = ("body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;"
               "line-height:1.45;color:#222}h3{margin-top:1.6em}:target{background:#fff6c8}")


def help_page(readme: str) -> str:
    """The ``/help`` page: the README's science section as a standalone HTML page."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Topograph: {SECTION}"
            f"</title><style>{_PAGE_STYLE}</style></head><body><h2>{SECTION}</h2>"
            f"{section_html(science_section(readme))}</body></html>")


def register_help_route(app: Dash) -> None:
    """Serve :func:`help_page` of the repository's README at :data:`HELP_ROUTE`."""
    readme = REPO_ROOT / "README.md"

    @app.server.route(HELP_ROUTE)
    def help_route():
        if not readme.is_file():
            return "README.md is not installed beside the app", 404, {
                "Content-Type": "text/plain; charset=utf-8"}
        return help_page(readme.read_text(encoding="utf-8")), 200, {
            "Content-Type": "text/html; charset=utf-8"}
