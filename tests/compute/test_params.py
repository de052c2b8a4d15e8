"""AnalysisParams: the one parameter object, its choices, the cut fields, "auto"."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields

import pytest

from compute.options import (
    add_analysis_arguments,
    analysis_params,
    backbone_is_cnn,
    embedding_is_cnn,
)
from compute.params import (
    CUT_FIELDS,
    DEFAULT_K,
    SMALL_FOLDER_K,
    Z_MAX,
    Z_MIN,
    AnalysisParams,
    check_z,
    default_k,
)


def test_auto_metric_resolves_by_the_kind_of_embedding():
    auto = AnalysisParams(metric="auto")
    assert auto.resolved(cnn_features=True).metric == "cosine"
    assert auto.resolved(cnn_features=False).metric == "euclidean"
    assert auto.resolved(cnn_features=None).metric == "euclidean"
    explicit = AnalysisParams(metric="euclidean")
    assert explicit.resolved(cnn_features=True) is explicit


@pytest.mark.parametrize("field, bad", [("metric", "manhattan"), ("space", "tsne"),
                                        ("cut_rule", "elbow"), ("halo_rule", "grey"),
                                        ("density", "gauss"), ("knn_method", "lsh")])
def test_unknown_choices_are_refused_by_name(field, bad):
    with pytest.raises(ValueError, match=field.replace("_method", " method")):
        AnalysisParams(**{field: bad})


@pytest.mark.parametrize("field, bad", [("manifold_dim_cap", 0), ("manifold_neighbors", 1),
                                        ("maxk", 1), ("k", 0)])
def test_integers_below_their_minimum_are_refused(field, bad):
    with pytest.raises(ValueError, match=field):
        AnalysisParams(**{field: bad})


def test_k_not_given_is_the_default_k_for_the_folder_and_a_given_k_above_maxk_is_refused():
    assert AnalysisParams().k is None and AnalysisParams(maxk=5).k is None  # maxk alone: fine
    assert default_k(10_000, 100) == DEFAULT_K
    assert default_k(10_000, 12) == 12  # at most maxk
    assert default_k(98, 97) == 9  # a tenth of a small folder: groups of ten can be peaks
    assert default_k(30, 29) == SMALL_FOLDER_K and default_k(4, 3) == 3
    assert AnalysisParams(maxk=30, k=25).k == 25
    with pytest.raises(ValueError, match="k = 25 exceeds maxk = 10"):
        AnalysisParams(maxk=10, k=25)  # a k the user gave is never changed silently
    assert AnalysisParams.from_dict(AnalysisParams().to_dict()) == AnalysisParams()


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.1", True, float("nan")])
def test_the_manifold_min_dist_is_a_number_from_0_to_1(bad):
    with pytest.raises(ValueError, match="manifold_min_dist"):
        AnalysisParams(manifold_min_dist=bad)
    assert AnalysisParams(manifold_min_dist=0).manifold_min_dist == 0.0


def test_z_none_is_the_suggested_cut_and_z_below_one_is_allowed():
    assert AnalysisParams(z=None).z is None
    assert AnalysisParams(z=0.5).z == 0.5  # DADApy allows Z < 1
    assert check_z(Z_MIN) == Z_MIN and check_z(Z_MAX) == Z_MAX
    with pytest.raises(ValueError, match="Z must be"):
        AnalysisParams(z=Z_MIN / 2)
    assert "suggested Z" in AnalysisParams(z=None).describe()
    assert "Z 0.5" in AnalysisParams(z=0.5).describe()


def test_the_cut_fields_are_the_only_ones_a_cut_changes():
    base = AnalysisParams(z=1.0)
    cut = base.at_cut(z=2.0, halo=False, halo_rule="dadapy")
    assert cut.graph_dict() == base.graph_dict()
    changed = {k for k, v in cut.to_dict().items() if base.to_dict()[k] != v}
    assert changed == set(CUT_FIELDS)
    assert set(CUT_FIELDS).isdisjoint(base.graph_dict())


def test_round_trip_and_unknown_keys():
    p = AnalysisParams(metric="cosine", space="full", cut_rule="plateau", z=None)
    assert AnalysisParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    with pytest.raises(ValueError, match="unknown analysis parameters"):
        AnalysisParams.from_dict({"zz": 1})


def test_every_field_has_a_flag_with_the_same_default():
    parser = argparse.ArgumentParser()
    add_analysis_arguments(parser)
    assert analysis_params(parser.parse_args([])) == AnalysisParams()
    args = parser.parse_args(["--space", "full", "--cut-rule", "plateau", "--halo-rule",
                              "dadapy", "--manifold-dim-cap", "3", "--manifold-neighbors",
                              "40", "--z", "0.5", "--metric", "cosine",
                              "--manifold-min-dist", "0", "--maxk", "12"])
    got = analysis_params(args)
    assert (got.space, got.cut_rule, got.halo_rule, got.manifold_dim_cap,
            got.manifold_neighbors, got.z, got.metric, got.manifold_min_dist, got.k) == (
        "full", "plateau", "dadapy", 3, 40, 0.5, "cosine", 0.0, None)
    assert {f.name for f in fields(AnalysisParams)} <= set(vars(args))


def test_the_kind_of_embedding_is_read_from_embedding_json(tmp_path):
    emb = tmp_path / "embeddings.npy"
    assert embedding_is_cnn(emb) is None  # nothing beside it says
    (tmp_path / "embedding.json").write_text(json.dumps({"backbone": "efficientnet_lite0"}))
    assert embedding_is_cnn(emb) is True
    (tmp_path / "embedding.json").write_text(json.dumps({"backbone": "pixels"}))
    assert embedding_is_cnn(emb) is False
    (tmp_path / "embedding.json").write_text("not json")
    assert embedding_is_cnn(emb) is None
    assert backbone_is_cnn("resnet50") and backbone_is_cnn("no-such-net") is None
