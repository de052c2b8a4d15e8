"""Sign-in (explorer.users, explorer.signin): scrypt-hashed user file, a trusted proxy's
header, the signed-in user recorded with every name, and no open network server without
sign-in unless the network is declared trusted."""

from __future__ import annotations

import base64
import subprocess
import sys
from dataclasses import replace

import pytest

from compute.naming import NameStore
from explorer import ids
from explorer.app import create_app
from explorer.cli import config_from_args, parse_args
from explorer.hierarchy import ids as hierarchy_ids
from explorer.hierarchy.views import card_view
from explorer.users import add_user, hash_password, read_users, verify_password
from explorer.views import analysis_job
from tests.conftest import REPO_ROOT
from tests.dashclient import DashPage
from tests.naming_race import save_body

PASSWORD = "correct horse battery"


def test_a_password_is_stored_as_a_salted_scrypt_hash():
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored
    assert stored != hash_password(PASSWORD)  # a fresh salt each time
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "!", stored)
    assert not verify_password(PASSWORD, "plain:text") and not verify_password(PASSWORD, "")


def test_the_user_command_adds_and_changes_users_in_a_private_file(tmp_path):
    users = tmp_path / "users.txt"
    for name, password in [("ana", PASSWORD), ("bo", "another password"), ("ana", "new one!")]:
        done = subprocess.run([sys.executable, "-m", "explorer.users", "add", str(users), name,
                               "--password-stdin"], input=password + "\n", text=True,
                              cwd=REPO_ROOT, capture_output=True)
        assert done.returncode == 0, done.stderr
    stored = read_users(users)
    assert set(stored) == {"ana", "bo"} and verify_password("new one!", stored["ana"])
    assert users.stat().st_mode & 0o077 == 0  # only the owner reads it
    with pytest.raises(ValueError, match="at least 8"):
        add_user(users, "cy", "short")
    with pytest.raises(ValueError, match="no ':'"):
        add_user(users, "a:b", PASSWORD)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_a_network_address_without_sign_in_is_refused_unless_trusted(host, tmp_path):
    with pytest.raises(SystemExit, match="--users FILE .* --trusted-network"):
        config_from_args(parse_args(["--host", host]))
    assert config_from_args(parse_args(["--host", host, "--trusted-network"])).host == host
    config = config_from_args(parse_args(["--host", host, "--user-header", "X-Remote-User"]))
    assert config.user_header == "X-Remote-User"
    add_user(tmp_path / "users.txt", "ana", PASSWORD)
    config = config_from_args(parse_args(["--host", host, "--users",
                                          str(tmp_path / "users.txt")]))
    assert config.users_file == tmp_path / "users.txt"


def test_a_bad_user_file_or_two_sign_ins_are_refused_at_start(tmp_path):
    bad = tmp_path / "users.txt"
    bad.write_text("ana:plaintext\n")
    with pytest.raises(SystemExit, match="users.txt:1: expected 'name:scrypt"):
        config_from_args(parse_args(["--users", str(bad)]))
    with pytest.raises(SystemExit, match="choose one sign-in"):
        config_from_args(parse_args(["--users", str(bad), "--user-header", "X-Remote-User"]))


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def named(app_config):
    """(config, analysis key, editing state of node 0) of the blob folder."""
    key, _summary = analysis_job(lambda _p: None, app_config, backbone="pixels")
    _card, _name, _note, editing = card_view(app_config, key, {}, {"node": 0})
    return app_config, key, editing


class InProcessPage(DashPage):
    """DashPage over Flask's test client (no server process)."""

    def __init__(self, server, headers: dict) -> None:  # noqa: D107
        self.client, self.headers = server.test_client(), headers
        self.end_id = ""
        self.callbacks = self.client.get("/_dash-dependencies", headers=headers).get_json()

    def request(self, method, path, body=None, timeout=0):
        resp = self.client.open(path, method=method, json=body, headers=self.headers)
        return resp.status_code, resp.data


def test_with_a_user_file_every_request_needs_a_password_and_names_carry_the_user(
        named, tmp_path):
    config, key, editing = named
    add_user(tmp_path / "users.txt", "ana", PASSWORD)
    server = create_app(replace(config, users_file=tmp_path / "users.txt")).server
    client = server.test_client()
    for headers in ({}, basic("ana", "wrong password"), basic("eve", PASSWORD)):
        resp = client.get("/", headers=headers)
        assert resp.status_code == 401 and "Basic" in resp.headers["WWW-Authenticate"]
    assert client.get("/_dash-layout", headers=basic("ana", PASSWORD)).status_code == 200
    page = InProcessPage(server, basic("ana", PASSWORD))
    shown = page.post(page.body(f"{ids.SIGNED_IN}.children", {}, f"{ids.SIGNED_IN}.id"))[1]
    assert shown["response"][ids.SIGNED_IN]["children"] == "Signed in as ana"
    assert shown["response"][hierarchy_ids.USER_INPUT] == {"value": "ana", "disabled": True}
    status, answer = page.post(save_body(page, key, editing, typed_user="mallory"))
    assert status == 200, answer
    history = NameStore(config.names_db).history()
    assert [entry.user for entry in history] == ["ana"]  # not the typed name


def test_behind_a_proxy_the_header_names_the_user(named):
    config, key, editing = named
    server = create_app(replace(config, user_header="X-Remote-User")).server
    assert server.test_client().get("/").status_code == 401  # the proxy named nobody
    page = InProcessPage(server, {"X-Remote-User": "bo"})
    assert page.post(save_body(page, key, editing, typed_user=""))[0] == 200
    assert [e.user for e in NameStore(config.names_db).history()] == ["bo"]


def test_without_sign_in_the_typed_name_is_recorded(named):
    config, key, editing = named
    page = InProcessPage(create_app(config).server, {})
    assert page.post(save_body(page, key, editing, typed_user="cy"))[0] == 200
    assert [e.user for e in NameStore(config.names_db).history()] == ["cy"]
