"""A failing background job shows its cause and the app stays usable; Cancel stops the
worker process. Real headless Chromium against ``python -m tests.e2e.faulty_app`` (the
real app with faults injected by the analysis setting k, see that module) on a small
image folder, with a damaged ResNet-18 ImageNet file in its torch cache."""

import os
import re
import time

import psutil
import pytest

from compute.params import AnalysisParams
from tests.appserver import running_app
from tests.e2e.faulty_app import ENDLESS_K, HEARTBEAT_ENV, KILLED_K, OUT_OF_MEMORY_K
from tests.imagefiles import write_blob_images

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PER_CLASS = 20  # 40 images: the analysis clamps max k to 39 distinct neighbours
DEFAULT_MAXK = min(AnalysisParams().maxk, 2 * PER_CLASS - 1)  # what the first page shows
RESNET18_FILE = "resnet18-f37072fd.pth"  # torchvision's ImageNet file name in the torch cache


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """(url, server process, image folder, heartbeat file)."""
    root = tmp_path_factory.mktemp("faulty")
    labels = write_blob_images(root / "images", per_class=PER_CLASS)
    checkpoints = root / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / RESNET18_FILE).write_bytes(b"PK\x03\x04 a download cut short")
    heartbeat = root / "heartbeat"
    env = {**os.environ, "TORCH_HOME": str(root / "torch"), HEARTBEAT_ENV: str(heartbeat)}
    args = ["--images", str(root / "images"), "--labels", str(labels), "--cache-dir",
            str(root / "cache"), "--names", str(root / "names.sqlite")]
    with running_app(args, log=root / "app.log", env=env,
                     script=["-m", "tests.e2e.faulty_app"]) as (url, proc):
        yield url, proc, root / "images", heartbeat


@pytest.fixture
def app_page(page, faulty):
    page.goto(faulty[0])
    wait_for_success(page, k=DEFAULT_MAXK)  # the first analysis runs when the page opens
    return page


def set_k(page, k: int) -> None:
    """Set the Compute section's max k (the setting the faulty app's faults key on)."""
    page.fill("#settings-maxk", str(k))
    page.press("#settings-maxk", "Tab")  # the input is debounced: the value counts on blur


def compute(page, **settings) -> None:
    if "k" in settings:
        set_k(page, settings["k"])
    if "backbone" in settings:
        page.click("#settings-backbone")
        page.get_by_role("option", name=re.compile(f"^{settings['backbone']} ")).click()
    page.click("#run-button")


def wait_for_success(page, *, k: int) -> None:
    """The analysis for max k = ``k`` reached the page: the hierarchy panel's summary
    shows it, the dataset summary is filled (empty until the first analysis ends), the
    projection job is over and its points are drawn, no alert."""
    page.wait_for_function(
        """k => { const hk = document.querySelector('#hier-z-summary');
                  const run = document.querySelector('#run-button');
                  const summary = document.querySelector('#dataset-summary');
                  const gd = document.querySelector('#latent-scatter .js-plotly-plot');
                  const projecting = document.querySelector('#projection-cancel');
                  return hk && run && summary && hk.innerText.includes(`maxk ${k},`)
                         && !run.disabled && summary.innerText.includes('usable')
                         && projecting.disabled
                         && gd && gd._fullData && gd._fullData.length > 0
                         && gd._fullData[0].x && gd._fullData[0].x.length > 0; }""",
        arg=k, timeout=240_000)  # a first analysis on a busy 2-core CI machine
    assert page.inner_text("#job-error") == ""


def wait_for_alert(page) -> str:
    page.wait_for_function("() => document.querySelector('#job-error').innerText.length > 0",
                           timeout=120_000)
    page.wait_for_function("() => !document.querySelector('#run-button').disabled",
                           timeout=20_000)
    return page.inner_text("#job-error")


def test_out_of_memory_is_explained_and_the_next_run_works(app_page):
    compute(app_page, k=OUT_OF_MEMORY_K)
    alert = wait_for_alert(app_page)
    assert "ran out of memory" in alert and "try again" in alert
    assert app_page.inner_text("#job-status") == ""  # no "computing..." left behind
    compute(app_page, k=12)
    wait_for_success(app_page, k=12)


def test_a_worker_killed_like_the_oom_killer_does_is_explained_and_the_next_run_works(
        app_page):
    compute(app_page, k=KILLED_K)
    alert = wait_for_alert(app_page)
    assert "killed by SIGKILL" in alert and "out-of-memory killer" in alert
    assert "try again" in alert
    compute(app_page, k=12)
    wait_for_success(app_page, k=12)


def test_damaged_weights_are_explained_and_another_backbone_works(app_page):
    compute(app_page, backbone="resnet18", k=11)
    alert = wait_for_alert(app_page)
    assert "damaged" in alert and RESNET18_FILE in alert and "delete it" in alert
    compute(app_page, backbone="pixels")
    wait_for_success(app_page, k=11)


def test_vanished_folder_is_explained_and_the_page_keeps_working(app_page, faulty):
    images = faulty[2]
    moved = images.with_name("images-moved")
    images.rename(moved)
    try:
        compute(app_page, k=15)
        alert = wait_for_alert(app_page)
        assert str(images) in alert and "does not exist" in alert and "Restore" in alert
        # the data already loaded still works: recolour by the known label
        app_page.click("#colour-by")
        app_page.get_by_role("option", name="label", exact=True).click()
        app_page.locator("#latent-scatter .legendtext", has_text="top-left").wait_for(
            timeout=30_000)
    finally:
        moved.rename(images)
    compute(app_page, k=16)
    wait_for_success(app_page, k=16)


def test_an_invalid_max_k_is_refused_next_to_it_and_by_compute(app_page):
    set_k(app_page, 1)
    app_page.wait_for_function(
        "() => document.querySelector('#settings-invalid').innerText.includes('maxk')",
        timeout=20_000)
    refusal = app_page.inner_text("#settings-invalid")
    assert "maxk must be an integer >= 2" in refusal
    app_page.click("#run-button")
    alert = wait_for_alert(app_page)
    assert "maxk must be an integer >= 2" in alert  # not run with a default instead
    set_k(app_page, 18)
    app_page.wait_for_function(
        "() => document.querySelector('#settings-invalid').innerText === ''", timeout=20_000)
    app_page.click("#run-button")
    wait_for_success(app_page, k=18)


def heartbeat_of(path) -> tuple[int, int]:
    pid, count = path.read_text().split()
    return int(pid), int(count)


def wait_for_heartbeat(path, timeout: float = 60) -> tuple[int, int]:
    """(worker pid, count) once the endless job has started beating."""
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return heartbeat_of(path)


def test_cancel_kills_the_worker_process_and_the_app_goes_on(app_page, faulty):
    _url, server, _images, heartbeat = faulty
    heartbeat.unlink(missing_ok=True)
    compute(app_page, k=ENDLESS_K)
    pid, _count = wait_for_heartbeat(heartbeat)
    # while it runs, the status names the stage and counts with units
    app_page.wait_for_function(
        "() => /\\d+\\/\\d+ (images|files|points)/.test("
        "document.querySelector('#job-status').innerText)", timeout=20_000)
    worker = psutil.Process(pid)
    assert pid in {p.pid for p in psutil.Process(server.pid).children(recursive=True)}
    app_page.click("#cancel-button")
    gone = psutil.wait_procs([worker], timeout=15)[0]
    assert gone, f"worker {pid} still running after Cancel"
    _pid, count = heartbeat_of(heartbeat)
    time.sleep(0.5)
    assert heartbeat_of(heartbeat)[1] == count  # nothing beats any more
    app_page.wait_for_function("() => !document.querySelector('#run-button').disabled",
                               timeout=20_000)
    assert app_page.inner_text("#job-error").startswith("Cancelled")
    assert app_page.get_attribute("#job-progress", "value") == "0"  # no frozen bar
    compute(app_page, k=17)
    wait_for_success(app_page, k=17)


def test_stopping_the_server_stops_a_running_job(page, tmp_path):
    """SIGTERM to the server (what ``kill`` and a service manager send) ends its workers."""
    labels = write_blob_images(tmp_path / "images", per_class=PER_CLASS)
    heartbeat = tmp_path / "heartbeat"
    args = ["--images", str(tmp_path / "images"), "--labels", str(labels), "--cache-dir",
            str(tmp_path / "cache"), "--names", str(tmp_path / "names.sqlite")]
    with running_app(args, log=tmp_path / "app.log", script=["-m", "tests.e2e.faulty_app"],
                     env={**os.environ, HEARTBEAT_ENV: str(heartbeat)}) as (url, server):
        page.goto(url)
        wait_for_success(page, k=DEFAULT_MAXK)
        compute(page, k=ENDLESS_K)
        worker = psutil.Process(wait_for_heartbeat(heartbeat)[0])
        server.terminate()
        server.wait(timeout=20)
        gone = psutil.wait_procs([worker], timeout=15)[0]
        assert gone, f"worker {worker.pid} outlived the server"
    assert re.search(r"stopped \d+ job worker", (tmp_path / "app.log").read_text())
