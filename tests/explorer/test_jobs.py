"""The job manager, and a failing job or callback says why and leaves the outputs alone
(explorer.jobs).

The browser side (the alert shows, the app stays usable, cancel kills the worker) is in
tests/e2e/test_failing_jobs.py."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from dash import DiskcacheManager, no_update
from dash.exceptions import BackgroundCallbackError

import compute.pipeline
from compute.projection import ProjectionParams
from explorer import ids
from explorer.app import create_app
from explorer.jobs import JobFailure, describe_failure, make_background_manager, run_job
from explorer.jobs.manager import worker_death
from explorer.state import projection_key
from explorer.views import analysis_job, projection_job
from tests.conftest import REPO_ROOT


def test_diskcache_manager_keeps_its_jobs_in_the_cache_folder(tmp_path):
    manager = make_background_manager(tmp_path)
    assert isinstance(manager, DiskcacheManager)
    assert (tmp_path / "jobs").is_dir()


def ended_child(how: str) -> int:
    """The pid of a forked child that ended ``how`` ("sigkill", "exit3" or "ok"),
    not yet reaped."""
    pid = os.fork()
    if pid == 0:  # the child
        if how == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(3 if how == "exit3" else 0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # wait until it is a zombie, without reaping it
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return pid
        time.sleep(0.01)
    raise AssertionError("the child did not end")


@pytest.mark.parametrize(("how", "said"), [
    ("sigkill", "the job's worker process was killed by SIGKILL"),
    ("exit3", "the job's worker process exited with code 3 without a result"),
    ("ok", None)])
def test_worker_death_tells_how_a_child_ended(how, said):
    pid = ended_child(how)
    assert worker_death(pid) == said
    assert worker_death(pid) is None  # reaped: asked again, nothing to tell


def test_a_running_worker_or_a_stranger_has_no_death_to_report():
    assert worker_death(os.getpid()) is None  # not our child
    pid = os.fork()
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    try:
        assert worker_death(pid) is None  # still running
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def test_a_killed_worker_ends_its_job_with_an_error_but_a_cancelled_one_stays_silent(tmp_path):
    manager = make_background_manager(tmp_path)
    killed = ended_child("sigkill")
    result = manager.get_result("no-result-key", killed)
    assert "killed by SIGKILL" in result["background_callback_error"]["msg"]
    cancelled = ended_child("sigkill")
    manager.terminate_job(cancelled)
    assert manager.get_result("no-result-key", cancelled) is manager.UNDEFINED


@pytest.mark.parametrize(("signal_name", "reason", "fix"), [
    ("SIGKILL", ", most likely by the system's out-of-memory killer.", "lower max k"),
    ("SIGTERM", ".", "server log")])  # not blamed on memory
def test_a_killed_worker_says_what_killed_it(signal_name, reason, fix):
    exc = BackgroundCallbackError("An error occurred inside a background callback: the job's "
                                  f"worker process was killed by {signal_name}\n")
    failure = describe_failure(exc, task="The analysis")
    assert failure.what == ("The analysis stopped: the job's worker process was killed by "
                            f"{signal_name}{reason}")
    assert fix in failure.fix


@pytest.fixture
def config(app_config):
    return app_config


@pytest.mark.parametrize(("exc", "what", "fix"), [
    (MemoryError(), "ran out of memory", "smaller backbone"),
    (FileNotFoundError("image folder /x does not exist: pass an existing folder"),
     "image folder /x does not exist", "Restore the missing files"),
    (PermissionError(13, "Permission denied"), "could not read or write", "permissions"),
    (RuntimeError("faiss exploded\nline 2"), "RuntimeError: faiss exploded", "server log"),
])
def test_each_failure_says_what_went_wrong_and_what_to_do(exc, what, fix):
    failure = describe_failure(exc, task="The analysis")
    assert failure.message.startswith("The analysis")
    assert what in failure.what and fix in failure.fix and "line 2" not in failure.message


def test_a_value_error_keeps_its_own_advice():
    failure = describe_failure(ValueError("k must be >= 2: raise k"), task="The projection")
    assert failure == JobFailure("The projection stopped: k must be >= 2: raise k")


def test_run_job_passes_results_through_with_an_empty_alert():
    assert run_job(lambda: ("key", "summary"), task="The analysis", n_outputs=2) == (
        "key", "summary", "")


def test_out_of_memory_inside_a_compute_step_becomes_the_alert(config, monkeypatch):
    def out_of_memory(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(compute.pipeline, "topography_of", out_of_memory)
    key, summary, alert = run_job(lambda: analysis_job(lambda _p: None, config),
                                  task="The analysis", n_outputs=2)
    assert key is no_update and summary is no_update
    assert "out of memory" in alert and "try again" in alert


def test_a_failing_projection_becomes_its_alert(config, monkeypatch):
    key, _summary = analysis_job(lambda _p: None, config, backbone="pixels")
    pkey = projection_key(key, ProjectionParams(method="tsne"))

    def out_of_memory(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(compute.pipeline, "project", out_of_memory)
    result = run_job(lambda: (projection_job(lambda _p: None, config, pkey),),
                     task="The projection", n_outputs=1)
    assert result[0] is no_update and result[1].startswith("The projection ran out of memory")


def test_a_vanished_folder_becomes_the_alert(config):
    shutil.rmtree(config.images)
    key, _summary, alert = run_job(lambda: analysis_job(lambda _p: None, config),
                                   task="The analysis", n_outputs=2)
    assert key is no_update
    assert str(config.images) in alert and "Restore" in alert


def test_a_failing_ordinary_callback_shows_the_page_alert(config):
    """The folder vanishes while the app runs: the next callback that needs it fails, the
    page alert says why and the callback's own outputs are left as they were."""
    key, _summary = analysis_job(lambda _p: None, config, backbone="pixels")
    client = create_app(config).server.test_client()
    shutil.rmtree(config.images)
    resp = client.post("/_dash-update-component", json={
        "output": f"..{ids.COLOUR_BY}.options...{ids.COLOUR_BY}.value..",
        "outputs": [{"id": ids.COLOUR_BY, "property": "options"},
                    {"id": ids.COLOUR_BY, "property": "value"}],
        "inputs": [{"id": ids.RUN_KEY, "property": "data", "value": key}],
        "state": [{"id": ids.COLOUR_BY, "property": "value", "value": None}],
        "changedPropIds": [f"{ids.RUN_KEY}.data"]})
    assert resp.status_code == 200
    body = resp.get_json()
    assert ids.COLOUR_BY not in body.get("response", {})
    alert = body["sideUpdate"][ids.APP_ERROR]["children"]
    assert "does not exist" in alert and "Restore" in alert


def test_a_failing_callback_with_one_output_shows_the_page_alert(config):
    """The same with a callback of a single output (Dash gives its outputs as one dict,
    not a list): the error handler itself must not fail."""
    key, _summary = analysis_job(lambda _p: None, config, backbone="pixels")
    client = create_app(config).server.test_client()
    shutil.rmtree(config.images)
    resp = client.post("/_dash-update-component", json={
        "output": f"{ids.RUN_SCALE_GROUP}.options",
        "outputs": {"id": ids.RUN_SCALE_GROUP, "property": "options"},
        "inputs": [{"id": ids.RUN_KEY, "property": "data", "value": key}],
        "changedPropIds": [f"{ids.RUN_KEY}.data"]})
    assert resp.status_code == 200
    alert = resp.get_json()["sideUpdate"][ids.APP_ERROR]["children"]
    assert "does not exist" in alert and "Restore" in alert


def test_a_job_forked_after_the_server_ran_kernels_runs_them_in_parallel(tmp_path):
    """The server runs small steps itself (the hierarchy panel's views); a job it forks
    afterwards still runs numba's parallel kernels, instead of being killed by GNU
    OpenMP, and faiss's OpenMP search, instead of hanging in it (the server searched in
    the thread that asks for the job). A fresh interpreter: this test process may have
    started numba's pool."""
    script = f"""
import time
import numpy as np
from compute import _parallel
from compute.params import AnalysisParams
from compute.peaks.topography import analyse
from explorer.jobs import make_background_manager

manager = make_background_manager({str(tmp_path)!r})
blobs = np.random.default_rng(0).normal(size=(2000, 6)).astype(np.float32)
analyse(blobs, AnalysisParams(maxk=30, space="full", density="pak"))  # as a view would
print("server pool started:", _parallel.numba_pool_started())

def job(key, progress_key, args, context):
    analyse(blobs, AnalysisParams(maxk=30, space="full", density="knn"))
    manager.handle.set(key, [_parallel.parallel_kernels_allowed(),
                             _parallel.numba_pool_started()])

pid = manager.call_job_fn("job-key", job, (), {{}})
deadline = time.monotonic() + 120  # seconds of work at most; a hung worker never ends
while not manager.result_ready("job-key") and time.monotonic() < deadline:
    time.sleep(0.1)
print("job result:", manager.get_result("job-key", pid))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "server pool started: False" in done.stdout
    assert "job result: [True, True]" in done.stdout, done.stdout + done.stderr


def test_a_worker_stopped_by_sigterm_ends_its_job_with_an_error(tmp_path):
    """The server turns SIGTERM into a clean exit; its workers must not inherit that, or a
    worker stopped by SIGTERM (GNU OpenMP's way to stop a forked worker) looks cancelled."""
    manager = make_background_manager(tmp_path)

    def job(*_args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)

    def clean_exit(_signum, _frame):
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, clean_exit)
    try:
        pid = manager.call_job_fn("sigterm-key", job, (), {})
    finally:
        signal.signal(signal.SIGTERM, previous)
    deadline = time.monotonic() + 30
    result = manager.UNDEFINED
    while result is manager.UNDEFINED and time.monotonic() < deadline:
        time.sleep(0.05)
        result = manager.get_result("sigterm-key", pid)
    assert "killed by SIGTERM" in result["background_callback_error"]["msg"]
