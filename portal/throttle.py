"""Progressive delays for logins, sign-ups and reset mails, held in the database.

Nothing is ever locked: after `limit` attempts in the window, the next attempt is only *looked at*
once 2, 4, 8 … seconds (up to THROTTLE_MAX_DELAY) have passed since the last one. Until then the
answer is 429 with the seconds to wait, the same whether or not an account exists; after the wait
the right password works. Counts are kept per key (an account, an address) and per client address,
in `LoginAttempt` rows, so they hold across workers and servers.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app, request
from peewee import fn

from .clock import utcnow
from .models import LoginAttempt


def client_ip() -> str:
    """The client's address: the socket peer, or what ProxyFix took from TRUSTED_PROXY_COUNT proxies."""
    return request.remote_addr or "unknown"


def _window_since():
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def _pending(where, limit: int) -> float:
    """Seconds still to wait for the attempts matching `where` (0 when below the limit)."""
    row = (
        LoginAttempt.select(fn.COUNT(LoginAttempt.id).alias("n"), fn.MAX(LoginAttempt.created_at).alias("last"))
        .where(where & (LoginAttempt.created_at >= _window_since()))
        .dicts()
        .get()
    )
    count, last = row["n"] or 0, row["last"]
    if count < limit or last is None:
        return 0.0
    if isinstance(last, str):  # SQLite hands MAX() of a datetime back as text
        from datetime import datetime

        last = datetime.fromisoformat(last)
    delay = min(2 ** (count - limit + 1), current_app.config["THROTTLE_MAX_DELAY"])
    return max(0.0, delay - (utcnow() - last).total_seconds())


def wait_seconds(kind: str, key: str, *, key_limit: int, ip_limit: int, ip: str | None = None) -> int:
    """Whole seconds to wait before an attempt of `kind` for `key` from this client is looked at."""
    ip = ip or client_ip()
    by_key = _pending((LoginAttempt.kind == kind) & (LoginAttempt.identifier == key.lower()[:254]), key_limit)
    by_ip = _pending((LoginAttempt.kind == kind) & (LoginAttempt.ip == ip[:45]), ip_limit)
    return math.ceil(max(by_key, by_ip))


def record(kind: str, key: str, ip: str | None = None) -> None:
    """Count one attempt."""
    LoginAttempt.record_failure(key, ip or client_ip(), kind=kind)


def clear(kind: str, key: str) -> None:
    """Forget the attempts for `key` (a successful login)."""
    LoginAttempt.clear(key, kind=kind)


def login_key(identifier: str, user) -> str:
    """One counter per account however it is typed; unknown identifiers by their normalised form."""
    from .validation import normalise_phone

    if user is not None:
        return f"user:{user.id}"
    text = (identifier or "").strip()
    if "@" in text:
        return text.lower()
    return normalise_phone(text) or text.upper().replace(" ", "").replace("-", "")
