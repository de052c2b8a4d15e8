"""The batch side is the dashboard's twin: ``run`` and ``export`` share flags, defaults and
the analysis, so on the demo they give the same partition, and ``export`` needs no names
database."""

import json

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from compute.cli import main
from compute.params import AnalysisParams
from explorer.config import DEMO_IMAGES, DEMO_LABELS

pytestmark = pytest.mark.slow


def test_run_and_export_give_the_same_partition_on_the_demo(tmp_path, capsys):
    cache = ["--cache-dir", str(tmp_path / "cache"), "--no-progress"]
    out = tmp_path / "run"
    assert main(["run", str(DEMO_IMAGES), "--labels", str(DEMO_LABELS), "--metric", "cosine",
                 "--out", str(out), *cache]) == 0
    assert "NMI" in capsys.readouterr().out  # scored against the demo's labels
    fresh = tmp_path / "new.sqlite"
    export = tmp_path / "e.csv"
    assert main(["export", "--images", str(DEMO_IMAGES), "--labels", str(DEMO_LABELS),
                 "--metric", "cosine", "--names", str(fresh), "--out", str(export),
                 *cache]) == 0
    assert not fresh.exists()
    run_rows = pd.read_csv(out / "clusters.csv", dtype={"id": str})
    assert {"id", "path", "cluster", "is_halo", "log_density"} <= set(run_rows.columns)
    exported = pd.read_csv(export, dtype={"id": str}).set_index("id").loc[run_rows["id"]]
    assert adjusted_rand_score(run_rows["cluster"], exported["cluster"]) == 1.0
    assert (run_rows["is_halo"].to_numpy() == exported["is_halo"].to_numpy()).all()
    cuts = []
    for sidecar in (out / "clusters.json", tmp_path / "e.json"):
        parameters = json.loads(sidecar.read_text())["parameters"]
        assert parameters == {**AnalysisParams(metric="cosine").to_dict(),
                              "maxk": parameters["maxk"], "k": parameters["k"],
                              "z": parameters["z"]}
        assert parameters["maxk"] == AnalysisParams().maxk
        assert isinstance(parameters["z"], float)  # the suggested cut, recorded concretely
        cuts.append(parameters["z"])
    assert cuts[0] == cuts[1]  # run and export cut at the same Z
    tree = pd.read_csv(out / "clusters.tree.csv")
    assert (tree["kind"] == "cluster").sum() == run_rows["cluster"].nunique()
