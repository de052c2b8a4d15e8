"""The representation panel's components: the training form (left column) and the
quality report (below the hierarchy)."""

from __future__ import annotations

from dash import dcc, html

from compute.train.backbone import FEATURE_DIMS
from explorer.figures import empty_figure
from explorer.training import ids
from explorer.training.views import START_LABELS, STRATEGY_LABELS
from explorer.widgets import field, job_controls, number


def training_section() -> html.Section:
    """Train a representation on this folder; the result joins the Weights menu."""
    return html.Section(className="group", children=[
        html.H3("Representation"),
        html.Div("Train a network on these images; the weights join the Weights menu "
                 "above.", className="hint"),
        field("Strategy", dcc.Dropdown(
            id=ids.STRATEGY, clearable=False, value="simclr",
            options=[{"label": v, "value": k} for k, v in STRATEGY_LABELS.items()])),
        html.Div(className="row", children=[
            field("Network", dcc.Dropdown(id=ids.BACKBONE, clearable=False, value="resnet18",
                                          options=sorted(FEATURE_DIMS))),
            field("Start from", dcc.Dropdown(
                id=ids.START, clearable=False, value="random",
                options=[{"label": v, "value": k} for k, v in START_LABELS.items()])),
        ]),
        html.Div(className="row", children=[
            field("epochs", number(ids.EPOCHS, 5)),
            field("batch", number(ids.BATCH_SIZE, 64)),
            field("input px", number(ids.INPUT_SIZE, None)),
            field("learning rate", number(ids.LEARNING_RATE, None)),
        ]),
        html.Div("Empty input px: chosen from the image sizes (32 for 28 x 28 images, at most "
                 "224). Empty learning rate: the strategy's default.", className="hint"),
        job_controls(html.Button("Train", id=ids.BUTTON, n_clicks=0), ids.CANCEL, ids.PROGRESS,
                     ids.STATUS, ids.ERROR),
        html.Div(id=ids.RESULT),
        dcc.Store(id=ids.TRAINED),
    ])


def quality_panel() -> html.Details:
    """The representation-quality report of the current analysis (seeds section 3.2)."""
    return html.Details(className="panel quality", children=[
        html.Summary("Representation quality"),
        html.Div("How well does this embedding separate the known labels? Pearson r of the "
                 "distances with the label distance, the distance matrix sorted by label, "
                 "and NMI/AMI/ARI of k-means and ADP.", className="hint"),
        job_controls(html.Button("Quality report", id=ids.QUALITY_BUTTON, n_clicks=0),
                     ids.QUALITY_CANCEL, ids.QUALITY_PROGRESS, ids.QUALITY_STATUS,
                     ids.QUALITY_ERROR),
        html.Div(id=ids.QUALITY_SUMMARY),
        dcc.Graph(id=ids.QUALITY_HEATMAP, figure=empty_figure("no report yet"),
                  config={"displaylogo": False}, style={"height": "560px"}),
        *compare_controls(),
    ])


def compare_controls() -> list:
    """Which representation? Every available one side by side, and a suggestion."""
    return [
        html.H4("Which representation?"),
        html.Div("Embeds this folder with raw pixels, the ImageNet network and every trained "
                 "weights, clusters each with this page's analysis, and compares label-free "
                 "scores (cluster significance, neighbours kept under a small augmentation, "
                 "intrinsic dimension) and, with known labels, NMI/AMI/ARI.",
                 className="hint"),
        job_controls(html.Button("Compare representations", id=ids.COMPARE_BUTTON,
                                 n_clicks=0),
                     ids.COMPARE_CANCEL, ids.COMPARE_PROGRESS, ids.COMPARE_STATUS,
                     ids.COMPARE_ERROR),
        html.Div(id=ids.COMPARE_RESULT),
    ]
