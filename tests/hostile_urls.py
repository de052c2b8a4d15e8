"""URLs that try to read files outside what the server serves, and the check that a
response leaked nothing. Shared by the test-client and the real-server tests."""

from __future__ import annotations

from pathlib import Path

SECRET = b"TOPOGRAPH-SECRET-MARKER"
OUTSIDE_ID = "f" * 32  # the name of a planted thumbnail link to a file outside the cache


def hostile_paths(outside: Path) -> list[str]:
    """Attempts to reach ``outside`` (or any other file) through each file route."""
    names = ["../secret.png", "..%2fsecret.png", "%2e%2e%2fsecret.png", "%2e%2e/secret.png",
             "%252e%252e%252fsecret.png", "..%252fsecret.png", "..\\secret.png",
             "..%5csecret.png", "%2fetc%2fpasswd", "/etc/passwd", str(outside),
             "%2F" + "%2F".join(outside.parts[1:]), f"{OUTSIDE_ID}.png",
             f"{OUTSIDE_ID}.png%00.txt", f"{OUTSIDE_ID}%00.png", "a" * 5000 + ".png",
             "../images/leak.png", "..%2f..%2fimages%2fleak.png", "leak.png"]
    return ([f"/thumbnails/{n}" for n in names] + [f"/assets/{n}" for n in names]
            + [f"/images/{n}" for n in names]
            + [f"/_dash-component-suites/dash/{n}" for n in names]
            + ["/_dash-component-suites/os/path.py", "/_dash-component-suites/dash/__init__.py",
               "/_dash-component-suites/dash/dcc/../../_callback.py"])


def assert_nothing_leaked(status: int, content_type: str, body: bytes) -> None:
    """A refusal (404) or Dash's own page for unknown paths, never a file's bytes."""
    assert status in (404, 200), status
    if status == 200:
        assert content_type.startswith("text/html") and b"_dash-config" in body
    assert SECRET not in body and b"root:" not in body
    assert b"def create_app" not in body and b"import " not in body
