"""Start ``python app.py`` (or another server script) as a user does, on a free port.

Shared by the browser tests (tests/e2e), the real-server HTTP tests and the load test.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 401:  # up, and asking for a sign-in (--users, --user-header)
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"app did not answer at {url} within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server and any job worker it forked (a hung one would outlive it)."""
    import psutil

    try:
        workers = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        workers = []
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for worker in workers:
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.kill()


@contextlib.contextmanager
def running_app(args: list[str], *, log: Path, host: str = "127.0.0.1",
                script: list[str] | None = None, env: dict | None = None,
                timeout: float = 90.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """(URL, process) of ``python app.py ARGS --port P`` until the block ends.

    ``script`` replaces ``["app.py"]`` (e.g. ``["-m", "tests.e2e.faulty_app"]``); ``host``
    is where the test reaches it (pass ``--host`` in ``args`` to change where it binds).
    """
    port = free_port(host)
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, *(script or ["app.py"]), *args,
                                 "--port", str(port)], cwd=REPO_ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        url = f"http://{host}:{port}"
        try:
            wait_until_up(url, proc, timeout)
            yield url, proc
        finally:
            stop(proc)
