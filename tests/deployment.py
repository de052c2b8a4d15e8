"""A real deployment on this machine for tests and benchmarks: ``redis-server`` (Debian
package) on a free port, the app's web server with ``--redis`` and Celery workers
(``celery -A ... worker``), each its own process, started as a facility would."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.appserver import REPO_ROOT, free_port

REDIS_SERVER = "redis-server"


def require_redis_server() -> str:
    path = shutil.which(REDIS_SERVER)
    if path is None:
        pytest.fail("redis-server not found: apt-get install -y redis-server "
                    "(.ci/install-test-deps installs it)")
    return path


@contextlib.contextmanager
def running_redis(folder: Path) -> Iterator[str]:
    """The URL of a fresh ``redis-server`` (no persistence) until the block ends."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "redis.log").open("w") as log:
        proc = subprocess.Popen([require_redis_server(), "--port", str(port), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                 str(folder)], stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_redis(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_redis(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit {proc.poll()})") from None
            time.sleep(0.1)


class CeleryWorker:
    """``celery -A MODULE worker`` with the app flags ``args`` in $TOPOGRAPH_ARGS;
    start / kill / restart it."""

    def __init__(self, module: str, args: list[str], *, log: Path, env: dict | None = None,
                 concurrency: int = 1) -> None:
        self.module, self.log, self.concurrency = module, log, concurrency
        self.env = {**(env or os.environ), "TOPOGRAPH_ARGS": shlex.join(args)}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> CeleryWorker:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", self.module, "worker", "--pool",
                 "prefork", "--concurrency", str(self.concurrency), "--loglevel", "INFO",
                 "--without-gossip", "--without-mingle", "--hostname",
                 f"topograph-test-{os.getpid()}-{time.monotonic_ns()}@%h"],
                cwd=REPO_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log.read_text(errors="replace").split("starting")[-1]:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {self.proc.returncode}; "
                                   f"see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Celery worker was not ready within {timeout} s")
            time.sleep(0.3)

    def pool_processes(self) -> list[int]:
        import psutil

        return [p.pid for p in psutil.Process(self.proc.pid).children()]

    def kill(self) -> None:
        """kill -9 the worker and its pool processes (a node lost, the OOM killer)."""
        import psutil

        if self.proc is None:
            return
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def faulty_deployment(root: Path) -> Iterator[tuple[str, subprocess.Popen, CeleryWorker, Path]]:
    """(url, web process, worker, heartbeat file) of a deployment on 40 generated images
    in ``root``: redis-server, ``python -m tests.e2e.faulty_app --redis URL`` and ``celery
    -A tests.e2e.faulty_celery worker`` (max k = 14: an analysis that runs forever)."""
    from tests.appserver import running_app
    from tests.e2e.faulty_app import HEARTBEAT_ENV
    from tests.explorer.test_production import blob_args

    heartbeat = root / "heartbeat"
    env = {**os.environ, HEARTBEAT_ENV: str(heartbeat)}
    with running_redis(root / "redis") as redis_url:
        args = [*blob_args(root), "--redis", redis_url]
        worker = CeleryWorker("tests.e2e.faulty_celery", args, log=root / "worker.log",
                              env=env).start()
        try:
            with running_app(args, log=root / "app.log", env=env,
                             script=["-m", "tests.e2e.faulty_app"]) as (url, proc):
                yield url, proc, worker, heartbeat
        finally:
            worker.stop()


@dataclass
class KillTally:
    """What :func:`kill_jobs` saw: each killed job's message (or None if it hung) and
    seconds from the kill to the message; the names saved meanwhile."""

    messages: list[str | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    whole_worker_kills: int = 0
    names_acknowledged: int = 0
    names_stored: int = 0
    name_errors: list[str] = field(default_factory=list)

    @property
    def hung(self) -> int:
        return sum(m is None for m in self.messages)


def kill_jobs(page, worker: CeleryWorker, heartbeat: Path, *, kills: int, whole_every: int,
              body: dict, message_timeout: float = 60, report=None) -> KillTally:
    """Start the endless job ``body`` ``kills`` times and kill -9 what runs it once it
    beats: the pool process, or every ``whole_every``-th time the whole worker (then
    started again). Each job must end with a message under its button. ``report(number,
    message, seconds)`` is called after each kill (None: quiet)."""
    from tests.explorer.test_production import job_error

    tally = KillTally()
    for number in range(1, kills + 1):
        since = time.time()
        job = page.start(body)
        pid = wait_for_beat(heartbeat, since)
        whole = whole_every > 0 and number % whole_every == 0
        killed_at = time.monotonic()
        if whole:
            worker.kill()
            tally.whole_worker_kills += 1
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        try:
            _status, answer = page.wait(body, job, timeout=message_timeout,
                                        until=lambda s, a: s == 200 and job_error(a or {}))
            tally.messages.append(job_error(answer))
            tally.seconds.append(time.monotonic() - killed_at)
        except TimeoutError:
            tally.messages.append(None)
        if report is not None:
            report(number, tally.messages[-1], time.monotonic() - killed_at)
        if whole:
            worker.start()
    return tally


def wait_for_beat(heartbeat: Path, since: float, timeout: float = 180) -> int:
    """The pid of the endless job's process once it beats after ``since`` (epoch s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError, IndexError):
            if heartbeat.stat().st_mtime > since:
                return int(heartbeat.read_text().split()[0])
        time.sleep(0.05)
    raise TimeoutError("the endless job did not start")


class NameSaver(threading.Thread):
    """Saves a new version of node 0's name again and again through the web server until
    stopped, counting the saves the server acknowledged."""

    def __init__(self, page, config, key: str) -> None:
        super().__init__(daemon=True)
        self.page, self.config, self.key = page, config, key
        self.stop_event, self.acknowledged, self.errors = threading.Event(), 0, []

    def run(self) -> None:
        from explorer.hierarchy.ids import NAME_STATUS
        from tests.naming_race import SAVED, editing_of, save_body

        while not self.stop_event.is_set():
            editing = editing_of(self.config, self.key)
            body = save_body(self.page, self.key, editing, name=f"v{self.acknowledged + 1}",
                             typed_user="saver")
            status, answer = self.page.post(body)
            message = (answer or {}).get("response", {}).get(NAME_STATUS, {}).get(
                "children", f"HTTP {status}")
            if str(message).startswith(SAVED):
                self.acknowledged += 1
            else:
                self.errors.append(str(message))
            time.sleep(0.2)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=30)
