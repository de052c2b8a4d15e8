"""Keeping a local dashboard local: which ``Host`` it answers to, and the headers of
every response.

A server on 127.0.0.1 is still reachable from a web page in the user's browser through
DNS rebinding (``evil.example`` resolving to 127.0.0.1); such requests carry the foreign
name in their ``Host`` header. So a server bound to a loopback address answers only
requests addressed to a loopback name. A server bound elsewhere (``--host 0.0.0.0``) was
opened on purpose and answers any name.
"""

from __future__ import annotations

import ipaddress

from dash.exceptions import DependencyException
from flask import Flask, Response, request

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MISDIRECTED = 421  # HTTP "Misdirected Request": this server does not answer to that name
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",           # an image is never run as a script
    "X-Frame-Options": "DENY",                     # no other page frames the naming UI
    "Referrer-Policy": "no-referrer",              # dataset names stay out of Referer
    "Cross-Origin-Resource-Policy": "same-origin",  # other sites cannot embed thumbnails
}


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and every loopback IP address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name of a ``Host`` header without its port: ``[::1]:8050`` -> ``::1``."""
    header = host_header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(bind_host: str) -> frozenset[str] | None:
    """The ``Host`` names a server bound to ``bind_host`` answers; None means any."""
    if not is_loopback(bind_host):
        return None
    return LOOPBACK_NAMES | {host_name(bind_host)}


def install_security(server: Flask, *, bind_host: str) -> None:
    """Add the ``Host`` check and the security headers to every route of ``server``, and
    answer 404 (not 500) for a Dash script path that Dash does not serve."""
    allowed = allowed_hosts(bind_host)

    @server.errorhandler(DependencyException)
    def _unknown_script(_exc):
        return Response("not found", status=404, mimetype="text/plain")

    @server.before_request
    def _refuse_foreign_host():
        if allowed is not None and host_name(request.host) not in allowed:
            return Response(f"this dashboard answers only to {sorted(allowed)}: open it as "
                            f"http://127.0.0.1:<port>/, or start it with --host to serve "
                            "other names", status=MISDIRECTED, mimetype="text/plain")
        return None

    @server.after_request
    def _add_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
