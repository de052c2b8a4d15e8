"""The dashboard's labelled export (one zip download) opened as its three files."""

from __future__ import annotations

import base64
import io
import zipfile


def split_export(download: dict) -> tuple[dict, dict, dict]:
    """({"content": per-image CSV}, {"content": tree CSV}, {"content": sidecar JSON}) of
    the zip download ``download`` (what :func:`dash.dcc.send_bytes` returns)."""
    assert download["filename"].endswith(".zip") and download["base64"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(download["content"]))) as archive:
        texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    stem = download["filename"][:-len(".zip")]
    return tuple({"content": texts[stem + suffix], "filename": stem + suffix}
                 for suffix in (".csv", ".tree.csv", ".json"))
