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
import random
import re
import time
from typing import Any

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-Id"
HEADER_ENVIRON = "HTTP_X_REQUEST_ID"
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
log = logging.getLogger("binari.request")


def current_id() -> str:
    """The current request's id ("-" outside a request)."""
    if has_request_context():
        return str(g.get("request_id", "-"))
    return "-"


def new_request_id() -> str:
    """A new request id: 16 hex digits.

    An id only ties log lines together, so it need not be unguessable: the random module (which Python
    reseeds in each forked worker) instead of the system's random source, whose system call was 2.4 %
    of an event page served from the page cache (py-spy, 3 December)."""
    return f"{random.getrandbits(64):016x}"


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
            handler.setFormatter(RequestLineFormatter(LOG_FORMAT, DATE_FORMAT))


class RequestLineFormatter(logging.Formatter):
    """The format above; its type marks a handler `_install_format` set up (see `_only_our_handler`)."""


def init_app(app: Flask) -> None:
    _install_format()

    @app.before_request
    def start_request() -> None:
        incoming = request.environ.get(HEADER_ENVIRON, "")  # where werkzeug's header lookup finds it
        g.request_id = incoming if _VALID.match(incoming) else new_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Any) -> Any:
        request_id = str(g.get("request_id", "-"))
        response.headers[HEADER] = request_id
        started = g.get("request_started")
        took = f"{(time.perf_counter() - started) * 1000:.0f}" if started else "?"
        user = g.get("_login_user")  # only if the request loaded it: no query for a static file
        user = user.get_id() if user is not None and user.is_authenticated else None
        message = f"{request.method} {logged_path()} {response.status_code} {took} ms user={user or '-'}"
        handler = _only_our_handler()
        if handler is None:
            log.info("%s", message, extra={"request_id": request_id})
        else:
            _write_line(handler, message, request_id)
        return response


def _only_our_handler() -> logging.StreamHandler | None:
    """The one handler this line would reach, when it is the stream handler `_install_format` set up.

    Then the line is written to its stream directly: building a LogRecord and passing it through the
    loggers and filters cost ~12 µs of a ~230 µs cached page (alternating A/B, 3 December), for a line whose every
    part is known here. Anything else (another handler or filter, a level, logging.disable, a test's
    capture) gets the line through logging as before."""
    if not log.isEnabledFor(logging.INFO) or log.handlers or log.filters or not log.propagate:
        return None
    parent = log.parent
    while parent is not None and parent is not logging.root:  # the "binari" logger, if someone made one
        if parent.handlers or parent.filters or not parent.propagate or parent.level > logging.INFO:
            return None
        parent = parent.parent
    handlers = logging.root.handlers
    if logging.root.filters or len(handlers) != 1:
        return None
    handler = handlers[0]
    if (
        type(handler) is not logging.StreamHandler
        or type(handler.formatter) is not RequestLineFormatter
        or handler.level > logging.INFO
        or len(handler.filters) != 1
        or type(handler.filters[0]) is not RequestIdFilter
    ):
        return None
    return handler


def _write_line(handler: logging.StreamHandler, message: str, request_id: str) -> None:
    """The line `handler` would write for an INFO record of `log` with `message`, written as it would."""
    formatter = handler.formatter
    assert formatter is not None
    line = f"{_asctime(formatter.converter, int(time.time()))} INFO [{request_id}] {log.name}: {message}"
    with handler.lock:  # type: ignore[union-attr]  # a StreamHandler always has its lock
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        except Exception:  # as Handler.handleError: a logging failure never fails the request
            if logging.raiseExceptions:
                import traceback

                traceback.print_exc()


_last_asctime: tuple = (None, None, "")


def _asctime(converter, second: int) -> str:
    """The time as the formatter writes it (DATE_FORMAT has no fraction of a second): made once a second,
    not for each of the thousand lines of a busy one."""
    global _last_asctime
    known_converter, known_second, text = _last_asctime
    if converter is not known_converter or second != known_second:
        text = time.strftime(DATE_FORMAT, converter(second))
        _last_asctime = (converter, second, text)
    return text


def logged_path() -> str:
    """The request's path with secret parts (``<token>`` of a reset or calendar link) hidden."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "…")
    return path
