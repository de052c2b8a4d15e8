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
import time
from collections.abc import Iterator
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
