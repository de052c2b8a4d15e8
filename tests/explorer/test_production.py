"""Production serving (explorer.production, ``python app.py --serve``) and jobs shared by
several server processes: a job started in one process shows its progress, its result,
its Cancel and its worker's death in another."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from compute.naming import NameStore
from explorer import ids
from explorer.cli import config_from_args, parse_args
from explorer.config import AppConfig
from explorer.production import (
    GIL_SWITCH_SECONDS,
    bind_address,
    default_server,
    gunicorn_options,
)
from tests.appserver import running_app
from tests.dashclient import DashPage
from tests.e2e.faulty_app import ENDLESS_K, HEARTBEAT_ENV, KILLED_K
from tests.imagefiles import write_blob_images
from tests.naming_race import editing_of, race


def test_gunicorn_runs_threaded_workers_that_build_their_own_app():
    config = config_from_args(parse_args(["--serve"]))
    options = gunicorn_options(config, port=8050, workers=3, threads=5)
    assert options["bind"] == "127.0.0.1:8050" and options["workers"] == 3
    assert options["worker_class"] == "gthread" and options["threads"] == 5
    assert options["preload_app"] is False  # no worker inherits another's threads or pools
    assert default_server() == "gunicorn"  # on Linux


def test_each_worker_hands_the_gil_over_sooner(monkeypatch):
    """gthread's main thread passes every keep-alive request to a pool thread; a 1 ms GIL
    switch interval keeps it from waiting behind busy request threads (load test p95)."""
    import sys

    monkeypatch.setattr(sys, "setswitchinterval", lambda seconds: calls.append(seconds))
    calls: list[float] = []
    options = gunicorn_options(config_from_args(parse_args([])), port=1, workers=1, threads=1)
    options["post_worker_init"](None)
    assert calls == [GIL_SWITCH_SECONDS] and sys.getswitchinterval() > GIL_SWITCH_SECONDS


def test_an_ipv6_address_is_bound_in_brackets():
    assert bind_address("::1", 8050) == "[::1]:8050"
    assert bind_address("[::1]", 8050) == "[::1]:8050"
    assert bind_address("0.0.0.0", 80) == "0.0.0.0:80"


def test_serving_flags_are_checked():
    with pytest.raises(SystemExit, match="--debug is for the development server"):
        config_from_args(parse_args(["--serve", "--debug"]))
    with pytest.raises(SystemExit, match="at least 1"):
        config_from_args(parse_args(["--serve", "--workers", "0"]))


def blob_args(root) -> list[str]:
    labels = write_blob_images(root / "images", per_class=20)
    return ["--images", str(root / "images"), "--labels", str(labels), "--cache-dir",
            str(root / "cache"), "--names", str(root / "names.sqlite")]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_serve_answers_with_its_workers_and_stops_them_all(tmp_path, server):
    args = [*blob_args(tmp_path), "--serve", "--server", server, "--workers", "2"]
    with running_app(args, log=tmp_path / "app.log", timeout=180) as (url, proc):
        page = DashPage(url)  # the page and its callback map load
        assert any(c["output"].startswith("..run-key.data") for c in page.callbacks)
        status, _ = page.request("GET", "/thumbnails/" + "0" * 32 + ".png")
        assert status == 404
        processes = psutil.Process(proc.pid).children()
        assert len(processes) == (2 if server == "gunicorn" else 0)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """(url A, url B, heartbeat file): two server processes of one deployment (one cache
    folder, one names database), with the faults of tests.e2e.faulty_app."""
    root = tmp_path_factory.mktemp("two-servers")
    args, heartbeat = blob_args(root), root / "heartbeat"
    env = {**os.environ, HEARTBEAT_ENV: str(heartbeat)}
    script = ["-m", "tests.e2e.faulty_app"]
    with running_app(args, log=root / "a.log", env=env, script=script) as (url_a, _a), \
            running_app(args, log=root / "b.log", env=env, script=script) as (url_b, _b):
        yield url_a, url_b, heartbeat


def ended_within(pid: int, *, seconds: float) -> bool:
    """True once process ``pid`` is gone or a zombie (a child of another server, which
    reaps it when it next looks)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def analysis_body(page: DashPage, maxk: int) -> dict:
    return page.body(f"{ids.RUN_KEY}.data", {
        f"{ids.RUN_BUTTON}.n_clicks": 1, f"{ids.SETTINGS_BACKBONE}.value": "pixels",
        f"{ids.SETTINGS_MAXK}.value": maxk}, f"{ids.RUN_BUTTON}.n_clicks")


def job_error(answer: dict) -> str:
    return answer.get("sideUpdate", {}).get(ids.JOB_ERROR, {}).get("children", "")


@pytest.mark.slow
def test_a_job_started_in_one_process_finishes_in_another(two_servers):
    url_a, url_b, _ = two_servers
    page = DashPage(url_a)
    body = analysis_body(page, maxk=10)
    job = page.start(body)
    _status, answer = page.on(url_b).wait(body, job, timeout=180)
    key = answer["response"][ids.RUN_KEY]["data"]
    assert '"maxk": 10' in key and answer["response"][ids.JOB_ERROR]["children"] == ""


@pytest.mark.slow
def test_progress_and_cancel_of_a_job_reach_it_from_another_process(two_servers):
    url_a, url_b, heartbeat = two_servers
    heartbeat.unlink(missing_ok=True)
    page = DashPage(url_a)
    body = analysis_body(page, maxk=ENDLESS_K)
    job = page.start(body)
    deadline = time.monotonic() + 120
    while not heartbeat.exists() and time.monotonic() < deadline:  # the endless step runs
        time.sleep(0.2)
    _status, answer = page.on(url_b).wait(
        body, job, until=lambda s, a: s == 200 and "progress" in (a or {}))
    assert float(answer["progress"][f"{ids.PROGRESS}.value"]) >= 0
    worker = int(heartbeat.read_text().split()[0])
    assert page.on(url_b).cancel(f"{ids.CANCEL_BUTTON}.n_clicks", job) in (200, 204)
    assert ended_within(worker, seconds=10)
    status, answer = page.on(url_a).poll(body, job)  # cancelled: silent, no error
    assert not job_error(answer or {})


@pytest.mark.slow
def test_a_killed_worker_ends_its_job_with_a_message_in_any_process(two_servers):
    url_a, url_b, _ = two_servers
    page = DashPage(url_a)
    body = analysis_body(page, maxk=KILLED_K)
    job = page.start(body)
    time.sleep(0.5)
    _status, answer = page.on(url_b).wait(
        body, job, until=lambda s, a: s == 200 and job_error(a or {}), timeout=180)
    assert "stopped: the job's worker process ended without a result" in job_error(answer)
    again = page.start(analysis_body(page, maxk=10))  # and it can be started again
    _status, answer = page.on(url_b).wait(analysis_body(page, maxk=10), again, timeout=180)
    assert '"maxk": 10' in answer["response"][ids.RUN_KEY]["data"]


@pytest.mark.slow
def test_two_experts_naming_one_cluster_in_two_processes_get_a_conflict(two_servers):
    url_a, url_b, heartbeat = two_servers
    root = heartbeat.parent
    config = AppConfig(images=root / "images", labels=root / "images-labels.csv",
                       cache_dir=root / "cache", names_db=root / "names.sqlite")
    page = DashPage(url_a)
    body = analysis_body(page, maxk=10)
    key = page.wait(body, page.start(body), timeout=180)[1]["response"][ids.RUN_KEY]["data"]
    pages = (page, page.on(url_b))
    for round_ in range(3):
        result = race(pages, key, editing_of(config, key), (f"ana {round_}", f"bo {round_}"),
                      ("ana", "bo"))
        assert result.saved == 1 and result.conflicts == 1, result.messages
    history = NameStore(config.names_db).history()
    assert len(history) == 3  # every acknowledged save is there, nothing else
