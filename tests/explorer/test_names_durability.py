"""Names survive ``kill -9`` of the real app (a few trials of benchmarks/robustness_names.py)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.imagefiles import write_blob_images

pytestmark = pytest.mark.slow


def test_acknowledged_names_survive_kill_9(tmp_path):
    images = tmp_path / "images"
    labels = write_blob_images(images, per_class=30)
    figures_file = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.robustness_names", "--trials", "3", "--clients", "3",
         "--images", str(images), "--labels", str(labels), "--json", str(figures_file)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(figures_file.read_text())
    assert figures["trials"] == 3
    assert figures["acknowledged"] > 0
    assert figures["unanswered"] > 0  # the kill really hit saves in flight
    assert (figures["lost"], figures["corrupt"], figures["stale_after_restart"],
            figures["server_errors"]) == (0, 0, 0, 0)
