"""Jobs on Celery + Redis (explorer.jobs.queue, ``--redis``): a real ``redis-server``, the
real web server and a real Celery worker (``celery -A ... worker``), each its own process.
Progress and Cancel cross processes; a job whose worker dies ends with a message and can
be started again; a restarted worker picks up new jobs."""

from __future__ import annotations

import time

import psutil
import pytest

from compute.naming import NameStore
from explorer import ids
from explorer.config import AppConfig
from explorer.jobs.queue import HEARTBEAT_TTL, worker_lost_message
from tests.dashclient import DashPage
from tests.deployment import NameSaver, faulty_deployment, kill_jobs, wait_for_beat
from tests.e2e.faulty_app import ENDLESS_K
from tests.explorer.test_production import analysis_body, ended_within, job_error

QUICK_K = 10  # a real analysis of the 40 blob images


@pytest.mark.parametrize(("failure", "said"), [
    ("Worker exited prematurely: signal 9 (SIGKILL) Job: 3.",
     "the job's worker process was killed by SIGKILL"),
    ("Worker exited prematurely: exitcode 3 Job: 0.",
     "the job's worker process exited with code 3 without a result"),
    ("RuntimeError: boom", "the job's worker process failed in its Celery worker: "
                           "RuntimeError: boom")])
def test_a_lost_worker_is_told_in_the_words_of_the_diskcache_manager(failure, said):
    assert worker_lost_message(failure) == said


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """(url, web process, worker, heartbeat file): redis-server, ``python -m
    tests.e2e.faulty_app --redis URL`` and ``celery -A tests.e2e.faulty_celery worker``."""
    with faulty_deployment(tmp_path_factory.mktemp("celery")) as deployment:
        yield deployment


@pytest.mark.slow
def test_a_job_runs_on_the_celery_worker_and_its_result_reaches_the_page(deployment):
    url, proc, worker, _ = deployment
    page = DashPage(url)
    body = analysis_body(page, maxk=QUICK_K)
    _status, answer = page.wait(body, page.start(body), timeout=180)
    assert f'"maxk": {QUICK_K}' in answer["response"][ids.RUN_KEY]["data"]
    assert psutil.Process(proc.pid).children() == []  # the web server forked nothing


@pytest.mark.slow
def test_progress_and_cancel_reach_the_job_on_the_worker(deployment):
    url, proc, worker, heartbeat = deployment
    page = DashPage(url)
    body = analysis_body(page, maxk=ENDLESS_K)
    job = page.start(body)
    pid = wait_for_beat(heartbeat, since=time.time() - 0.5)
    assert pid in worker.pool_processes()
    _status, answer = page.wait(body, job, until=lambda s, a: s == 200 and "progress" in a)
    assert float(answer["progress"][f"{ids.PROGRESS}.value"]) >= 0
    assert page.cancel(f"{ids.CANCEL_BUTTON}.n_clicks", job) in (200, 204)
    assert ended_within(pid, seconds=15)
    time.sleep(HEARTBEAT_TTL + 1)  # long enough for a dead worker to be noticed
    status, answer = page.poll(body, job)
    assert not job_error(answer or {})  # a Cancel is not a death


@pytest.mark.slow
def test_a_killed_pool_process_ends_its_job_with_a_message(deployment):
    url, _proc, worker, heartbeat = deployment
    page = DashPage(url)
    body = analysis_body(page, maxk=ENDLESS_K)
    job = page.start(body)
    psutil.Process(wait_for_beat(heartbeat, since=time.time() - 0.5)).kill()
    _status, answer = page.wait(body, job, until=lambda s, a: s == 200 and job_error(a or {}))
    assert "worker process was killed by SIGKILL" in job_error(answer)
    again = analysis_body(page, maxk=QUICK_K)  # the worker replaced its pool process
    _status, answer = page.wait(again, page.start(again), timeout=180)
    assert f'"maxk": {QUICK_K}' in answer["response"][ids.RUN_KEY]["data"]


@pytest.mark.slow
def test_a_killed_worker_ends_its_job_and_a_restarted_one_takes_new_jobs(deployment):
    url, _proc, worker, heartbeat = deployment
    page = DashPage(url)
    body = analysis_body(page, maxk=ENDLESS_K)
    job = page.start(body)
    wait_for_beat(heartbeat, since=time.time() - 0.5)
    worker.kill()
    _status, answer = page.wait(body, job, until=lambda s, a: s == 200 and job_error(a or {}),
                                timeout=HEARTBEAT_TTL + 30)
    assert "its Celery worker died" in job_error(answer)
    again = analysis_body(page, maxk=QUICK_K)
    waiting = page.start(again)  # queued while no worker runs
    worker.start()
    _status, answer = page.wait(again, waiting, timeout=180)
    assert f'"maxk": {QUICK_K}' in answer["response"][ids.RUN_KEY]["data"]


@pytest.mark.slow
def test_killed_again_and_again_every_job_ends_with_a_message_and_no_name_is_lost(
        deployment):
    """The small version of ``python -m benchmarks.celery_kill`` (100 kills)."""
    url, _proc, worker, heartbeat = deployment
    root = heartbeat.parent
    config = AppConfig(images=root / "images", labels=root / "images-labels.csv",
                       cache_dir=root / "cache", names_db=root / "names.sqlite")
    page = DashPage(url)
    quick = analysis_body(page, maxk=QUICK_K)
    key = page.wait(quick, page.start(quick), timeout=180)[1]["response"][ids.RUN_KEY]["data"]
    before = len(NameStore(config.names_db).history())
    saver = NameSaver(page, config, key)
    saver.start()
    try:
        tally = kill_jobs(page, worker, heartbeat, kills=4, whole_every=0,
                          body=analysis_body(page, maxk=ENDLESS_K))
    finally:
        saver.stop()
    assert tally.hung == 0 and all("killed by SIGKILL" in m for m in tally.messages)
    assert saver.acknowledged > 0 and not saver.errors
    assert len(NameStore(config.names_db).history()) - before == saver.acknowledged
