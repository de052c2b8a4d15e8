"""Server safety against the real server: ``python app.py`` as a user starts it, probed over
HTTP with raw request lines (http.client sends the path exactly as written)."""

import http.client
import json
import re
import socket
from urllib.parse import urlsplit

import psutil
import pytest

from explorer.config import AppConfig
from explorer.views import analysis_job
from tests.appserver import running_app
from tests.hostile_urls import OUTSIDE_ID, SECRET, assert_nothing_leaked, hostile_paths

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(url, process, config, outside file) of ``python app.py`` with default --host."""
    from tests.imagefiles import write_blob_images

    root = tmp_path_factory.mktemp("http")
    labels = write_blob_images(root / "images")
    config = AppConfig(images=root / "images", labels=labels, cache_dir=root / "cache",
                       names_db=root / "names.sqlite")
    analysis_job(lambda _p: None, config, backbone="pixels")
    outside = root / "outside" / "secret.png"
    outside.parent.mkdir()
    outside.write_bytes(SECRET)
    (config.thumbnail_dir / f"{OUTSIDE_ID}.png").symlink_to(outside)
    args = ["--images", str(config.images), "--labels", str(labels), "--cache-dir",
            str(config.cache_dir), "--names", str(config.names_db)]
    with running_app(args, log=root / "app.log") as (url, proc):
        yield url, proc, config, outside


def get(url: str, path: str, *, host: str | None = None, method: str = "GET",
        body: str | None = None) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {"Host": host} if host else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def listening_addresses(pid: int) -> set[str]:
    conns = psutil.Process(pid).net_connections(kind="inet")
    return {c.laddr.ip for c in conns if c.status == psutil.CONN_LISTEN}


def non_loopback_address() -> str | None:
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family == socket.AF_INET and not a.address.startswith("127."):
                return a.address
    return None


def test_default_binds_loopback_only(server):
    url, proc, _config, _outside = server
    assert listening_addresses(proc.pid) == {"127.0.0.1"}
    other = non_loopback_address()
    if other is not None:  # the machine's network address does not reach the app
        with pytest.raises(OSError), socket.create_connection((other, urlsplit(url).port), 3):
            pass


def test_host_flag_is_honoured(blob_folder, tmp_path):
    images, labels = blob_folder
    args = ["--images", str(images), "--labels", str(labels), "--cache-dir",
            str(tmp_path / "cache"), "--names", str(tmp_path / "n.sqlite"), "--host", "127.0.0.2"]
    with running_app(args, log=tmp_path / "app.log", host="127.0.0.2") as (url, proc):
        assert listening_addresses(proc.pid) == {"127.0.0.2"}
        assert get(url, "/")[0] == 200


def test_raw_hostile_paths_read_nothing(server):
    url, _proc, config, outside = server
    for path in hostile_paths(outside):
        status, headers, body = get(url, path)
        assert_nothing_leaked(status, headers.get("Content-Type", ""), body)
    real = next(p.name for p in config.thumbnail_dir.glob("*.png") if not p.is_symlink())
    status, headers, body = get(url, f"/thumbnails/{real}")
    assert status == 200 and body.startswith(b"\x89PNG")
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_dns_rebinding_host_is_refused(server):
    url, _proc, _config, _outside = server
    assert get(url, "/", host="evil.example")[0] == 421
    assert get(url, "/", host=f"localhost:{urlsplit(url).port}")[0] == 200


def test_debug_mode_is_off(server):
    url, _proc, _config, _outside = server
    status, _headers, page = get(url, "/")
    config = json.loads(re.search(rb'id="_dash-config"[^>]*>(.*?)</script>', page, re.S)[1])
    assert status == 200 and config["ui"] is False and config["props_check"] is False
    # a broken callback request gets a plain error page: no traceback, no debugger console
    status, _headers, body = get(url, "/_dash-update-component", method="POST",
                                 body=json.dumps({"output": "nope.children", "inputs": []}))
    assert status >= 400 and b"Traceback" not in body and b"Werkzeug Debugger" not in body
