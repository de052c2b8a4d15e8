"""Server safety through Flask's test client: no route reads outside the thumbnail cache
or Dash's own files, foreign Host names are refused, and every answer has the security
headers. (tests/explorer/test_server_http.py repeats the essentials over real HTTP.)"""

import pytest

from app import config_from_args, parse_args
from explorer.app import create_app
from explorer.config import AppConfig
from explorer.security import SECURITY_HEADERS, allowed_hosts, host_name, is_loopback
from explorer.serving import thumbnail_file
from explorer.views import analysis_job
from tests.hostile_urls import OUTSIDE_ID, SECRET, assert_nothing_leaked, hostile_paths


@pytest.fixture
def served(blob_folder, tmp_path):
    """(Flask test client, config, outside file) for an analysed 12-image folder, with a
    secret file outside the cache and planted links to it in the thumbnails and images."""
    images, labels = blob_folder
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                       names_db=tmp_path / "names.sqlite")
    analysis_job(lambda _p: None, config, backbone="pixels")
    outside = tmp_path / "outside" / "secret.png"
    outside.parent.mkdir()
    outside.write_bytes(SECRET)
    (config.cache_dir / "secret.png").write_bytes(SECRET)
    (config.thumbnail_dir / f"{OUTSIDE_ID}.png").symlink_to(outside)
    (images / "leak.png").symlink_to(outside)
    return create_app(config).server.test_client(), config, outside


def test_no_file_route_reads_outside_its_folder(served):
    client, _config, outside = served
    for path in hostile_paths(outside):
        resp = client.get(path)
        assert_nothing_leaked(resp.status_code, resp.content_type, resp.data)


@pytest.mark.parametrize("name", ["../secret.png", "..%2fsecret.png", "%2e%2e%2fsecret.png",
                                  "..\\secret.png", f"{OUTSIDE_ID}.png", "x.png",
                                  "0" * 32 + ".txt", "A" * 32 + ".png", "0" * 31 + ".png",
                                  "0" * 32 + "%00.png", "a" * 5000 + ".png"])
def test_anything_but_a_content_id_is_a_404(served, name):
    client, _config, _outside = served
    assert client.get(f"/thumbnails/{name}").status_code == 404


def test_a_planted_symlink_in_the_thumbnails_is_refused(served):
    _client, config, outside = served
    assert (config.thumbnail_dir / f"{OUTSIDE_ID}.png").resolve() == outside.resolve()
    assert thumbnail_file(config.thumbnail_dir, f"{OUTSIDE_ID}.png") is None


def test_real_thumbnails_are_served_as_images_with_the_security_headers(served):
    client, config, _outside = served
    name = next(p.name for p in config.thumbnail_dir.glob("*.png") if not p.is_symlink())
    resp = client.get(f"/thumbnails/{name}")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.data.startswith(b"\x89PNG")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age" in resp.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/", "/assets/style.css", "/_dash-layout", "/missing"])
def test_every_answer_has_the_security_headers(served, path):
    client, _config, _outside = served
    resp = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers.get(name) == value, (path, name)


@pytest.mark.parametrize("host", ["localhost", "localhost:8050", "127.0.0.1:8050",
                                  "[::1]:8050", "LOCALHOST"])
def test_loopback_names_are_answered(served, host):
    client, _config, _outside = served
    assert client.get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8050", "127.0.0.1.evil.example",
                                  "192.168.1.20:8050", "[2001:db8::1]:8050"])
def test_a_foreign_host_name_is_refused_on_a_loopback_server(served, host):
    """DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends Host: evil.example."""
    client, _config, _outside = served
    resp = client.get("/thumbnails/" + "0" * 32 + ".png", headers={"Host": host})
    assert resp.status_code == 421 and b"127.0.0.1" in resp.data


def test_a_server_opened_with_host_answers_any_name(blob_folder, tmp_path):
    images, labels = blob_folder
    config = AppConfig(images=images, labels=labels, cache_dir=tmp_path / "cache",
                       names_db=tmp_path / "names.sqlite", host="0.0.0.0")
    client = create_app(config).server.test_client()
    assert client.get("/", headers={"Host": "workstation.lab:8050"}).status_code == 200


@pytest.mark.parametrize(("header", "name"), [("localhost:8050", "localhost"),
                                              ("[::1]:8050", "::1"), ("::1", "::1"),
                                              ("Example.org", "example.org")])
def test_host_name_drops_the_port(header, name):
    assert host_name(header) == name


def test_loopback_detection():
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.2", "::", "example.org", ""]))
    assert allowed_hosts("0.0.0.0") is None and "127.0.0.2" in allowed_hosts("127.0.0.2")


def test_defaults_are_loopback_and_no_debug():
    args = parse_args([])
    assert args.host == "127.0.0.1" and args.debug is False
    assert config_from_args(args).host == "127.0.0.1"


def test_the_training_device_is_checked_by_name_at_start():
    assert config_from_args(parse_args([])).train_device == "cpu"
    assert config_from_args(parse_args(["--train-device", "cuda:1"])).train_device == "cuda:1"
    with pytest.raises(SystemExit, match="--train-device: unknown device 'gpu'"):
        config_from_args(parse_args(["--train-device", "gpu"]))


def test_debug_on_a_network_address_is_refused():
    with pytest.raises(SystemExit, match="--debug"):
        config_from_args(parse_args(["--debug", "--host", "0.0.0.0"]))
    assert config_from_args(parse_args(["--debug"])).host == "127.0.0.1"  # local debug is fine
