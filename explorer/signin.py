"""Optional sign-in: who saves a name is the signed-in user, not a typed name.

Two ways, chosen at start (:class:`explorer.config.AppConfig`):

* ``--users FILE``: HTTP Basic sign-in against the scrypt hashes of the user file
  (:mod:`explorer.users`); put TLS in front (a reverse proxy), as Basic sends the password
  with every request. A checked password is remembered per process (by its SHA-256 and
  the stored hash), so scrypt runs once per user and password, not once per request.
* ``--user-header X-Remote-User``: a trusted reverse proxy signs users in and names them
  in this header. Only for a server that the proxy alone can reach.

Every request without a valid sign-in is answered 401. The page shows who is signed in,
and the naming form's user is that name (fixed).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from dash import Dash, Input, Output
from flask import Flask, Response, g, has_request_context, request

from explorer import ids
from explorer.config import AppConfig
from explorer.hierarchy import ids as hierarchy_ids
from explorer.users import check_user_name, read_users, verify_password

REALM = "Topograph"


def signed_in_user() -> str | None:
    """The user signed in for the current request (None without sign-in)."""
    return g.get("topograph_user") if has_request_context() else None


def install_sign_in(server: Flask, config: AppConfig) -> None:
    """Refuse every request of ``server`` without a valid sign-in, where sign-in is on."""
    if config.users_file is not None:
        who = PasswordUsers(config.users_file).user_of_request
    elif config.user_header:
        header = config.user_header

        def who() -> str | None:
            try:
                return check_user_name(request.headers.get(header, ""))
            except ValueError:
                return None
    else:
        return

    @server.before_request
    def _sign_in():
        user = who()
        if user is None:
            return Response("sign in to use this dashboard", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": f'Basic realm="{REALM}"'}
                            if config.users_file is not None else {})
        g.topograph_user = user
        return None


class PasswordUsers:
    """The user file, re-read when it changes, and the passwords checked so far."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._users: dict[str, str] = {}
        self._checked: set[tuple[str, str, str]] = set()  # (name, sha256(password), stored)
        self._load()

    def _load(self) -> None:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if stamp != self._stamp:
            self._users, self._stamp = read_users(self.path), stamp

    def user_of_request(self) -> str | None:
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            return None
        return self.check(auth.username, auth.password or "")

    def check(self, name: str, password: str) -> str | None:
        """``name`` if ``password`` is its password, else None."""
        with self._lock:
            self._load()
            stored = self._users.get(name)
        if stored is None:
            return None
        seen = (name, hashlib.sha256(password.encode()).hexdigest(), stored)
        with self._lock:
            if seen in self._checked:
                return name
        if not verify_password(password, stored):
            return None
        with self._lock:
            self._checked.add(seen)
        return name


def register_sign_in_callbacks(app: Dash, config: AppConfig) -> None:
    """On page load: who is signed in, shown at the top and fixed in the naming form."""
    if config.users_file is None and not config.user_header:
        return

    @app.callback(Output(ids.SIGNED_IN, "children"),
                  Output(hierarchy_ids.USER_INPUT, "value"),
                  Output(hierarchy_ids.USER_INPUT, "disabled"), Input(ids.SIGNED_IN, "id"))
    def _show_user(_id):
        user = signed_in_user()
        return f"Signed in as {user}", user, True
