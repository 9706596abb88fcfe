"""Logs a volunteer can read: one line per request, each with a request id.

Every request gets an id: the ``X-Request-Id`` header set by the proxy in front (Caddy and nginx
in deploy/ set one), when it looks like an id, or a new random one. The answer carries it back in
``X-Request-Id``; every log line written while the request runs carries it too (``[id]``), so an
error's traceback and the request's line are found together with ``journalctl -u binari-web |
grep <id>``. A request's line:

    2026-12-02 09:14:03 INFO [3f9c2a7d41b0e6f2] binari.request: GET /events 200 23 ms user=-

(``user=`` is the account's number, never a name or an address; query strings are left out and
the token of a reset or calendar link is written "…", so search words and secrets stay out.)
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-Id"
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
log = logging.getLogger("binari.request")


def current_id() -> str:
    """The current request's id ("-" outside a request)."""
    if has_request_context():
        return str(g.get("request_id", "-"))
    return "-"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (for the format above)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_id()
        return True


def _install_format() -> None:
    """The root handlers print the request id (once, whatever the number of apps created)."""
    for handler in logging.getLogger().handlers:
        if type(handler) is not logging.StreamHandler:  # basicConfig's; not a test runner's capture
            continue
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
            handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%d %H:%M:%S"))


def init_app(app: Flask) -> None:
    _install_format()

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _VALID.match(incoming) else secrets.token_hex(8)
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Any) -> Any:
        response.headers[HEADER] = current_id()
        started = g.get("request_started")
        took = f"{(time.perf_counter() - started) * 1000:.0f}" if started else "?"
        user = g.get("_login_user")  # only if the request loaded it: no query for a static file
        user = user.get_id() if user is not None and user.is_authenticated else None
        log.info("%s %s %s %s ms user=%s", request.method, logged_path(), response.status_code, took, user or "-")
        return response


def logged_path() -> str:
    """The request's path with secret parts (``<token>`` of a reset or calendar link) hidden."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "…")
    return path
