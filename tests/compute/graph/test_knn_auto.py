"""knn_method "auto": exact below a size, IVF above, the recall measured and recorded."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from compute.cache import StepCache
from compute.graph import knn as knn_module
from compute.graph.knn import (
    AUTO_EXACT_BELOW,
    RECALL_SAMPLE,
    knn_graph,
    knn_recall,
    resolve_method,
    search_record,
)
from compute.params import KNN_METHODS, AnalysisParams
from compute.peaks.topography import analyse, describe_search


def blobs(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, (5, 8))
    return (centres[rng.integers(0, 5, n)] + rng.normal(size=(n, 8))).astype(np.float32)


def test_auto_is_exact_below_the_threshold_and_ivf_from_it():
    assert resolve_method("auto", AUTO_EXACT_BELOW - 1) == "exact"
    assert resolve_method("auto", AUTO_EXACT_BELOW) == "ivf"
    assert resolve_method("hnsw", 10) == "hnsw" and resolve_method("exact", 10**7) == "exact"
    with pytest.raises(ValueError, match="auto"):
        resolve_method("annoy", 10)


def test_auto_is_the_default_and_every_method_is_offered():
    assert AnalysisParams().knn_method == "auto"
    assert ("auto", *knn_module.METHODS) == KNN_METHODS


def test_small_auto_graph_is_exact_without_recall():
    graph = knn_graph(blobs(300), maxk=10, method="auto")
    assert graph.method == "exact" and graph.recall is None and graph.recall_sample == 0
    assert describe_search(graph) == "exact neighbours"


def test_large_auto_graph_is_ivf_with_its_recall_measured(monkeypatch):
    monkeypatch.setattr(knn_module, "AUTO_EXACT_BELOW", 500)
    x = blobs(2000)
    graph = knn_graph(x, maxk=20, method="auto")
    assert graph.method == "ivf"
    assert graph.recall_sample == min(RECALL_SAMPLE, 2000)
    # the same figure as the independent recall of the benchmarks on the same sample size
    assert graph.recall == pytest.approx(knn_recall(x, graph, n_queries=RECALL_SAMPLE),
                                         abs=0.02)
    assert 0.9 <= graph.recall <= 1.0
    assert search_record(graph, "auto") == {"requested": "auto", "method": "ivf",
                                            "recall": round(graph.recall, 6),
                                            "recall_sample": 1000, "auto_exact_below": 500}


def test_sample_recall_counts_neighbours_beyond_the_true_kth(caplog):
    x = blobs(400).astype(np.float64)
    exact = knn_graph(x, maxk=10, method="exact")
    wrong = exact.distances.copy()
    wrong[:, 7:] *= 10.0  # the last 4 of 10 neighbours now lie beyond the true 10th
    query = np.ascontiguousarray(x - x.mean(axis=0), dtype=np.float32)
    with caplog.at_level(logging.WARNING, logger="compute.graph.knn"):
        recall, sample = knn_module._sample_recall(x, query, wrong, 0)
    assert sample == 400 and recall == pytest.approx(0.6, abs=0.01)
    assert "use --knn exact" in caplog.text
    right, _ = knn_module._sample_recall(x, query, exact.distances, 0)
    assert right == 1.0


def test_duplicates_keep_the_recall_of_the_distinct_graph(monkeypatch):
    monkeypatch.setattr(knn_module, "AUTO_EXACT_BELOW", 500)
    x = blobs(1500)
    x = np.concatenate([x, x[:40]])
    graph = knn_graph(x, maxk=15, method="auto")
    assert graph.has_duplicates and graph.method == "ivf"
    assert graph.recall == graph.distinct.recall is not None


def test_topography_records_the_search_and_shares_the_cache_with_ivf(monkeypatch, tmp_path):
    monkeypatch.setattr(knn_module, "AUTO_EXACT_BELOW", 500)
    cache = StepCache(tmp_path)
    x = blobs(1200)
    auto = analyse(x, AnalysisParams(maxk=20), cache=cache)
    record = auto.neighbour_search
    assert record["requested"] == "auto" and record["method"] == "ivf"
    assert record["recall"] == round(auto.knn.recall, 6) and record["recall_sample"] == 1000
    assert auto.params.knn_method == "auto"  # what was asked stays in the parameters
    entries = sorted((tmp_path / "knn").iterdir())
    ivf = analyse(x, AnalysisParams(maxk=20, knn_method="ivf"), cache=cache)
    assert sorted((tmp_path / "knn").iterdir()) == entries  # auto's graph was reused
    assert ivf.neighbour_search["requested"] == "ivf"
    exact = analyse(x, AnalysisParams(maxk=20, knn_method="exact"), cache=cache)
    assert exact.neighbour_search["recall"] is None
    assert len(list((tmp_path / "knn").iterdir())) == len(entries) + 1
