"""Progressive delays for logins, sign-ups and reset mails, held in the database.

Nothing is ever locked: after `limit` attempts in the window, the next attempt is only *looked at*
once 2, 4, 8 … seconds (up to THROTTLE_MAX_DELAY) have passed since the last one. Until then the
answer is 429 with the seconds to wait, the same whether or not an account exists; after the wait
the right password works. Counts are kept per key (an account, an address) and per client address,
in `LoginAttempt` rows, so they hold across workers and servers.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app, request
from peewee import fn

from .clock import utcnow
from .db import database, is_sqlite
from .models import LoginAttempt


def client_ip() -> str:
    """The client's address: the socket peer, or what ProxyFix took from TRUSTED_PROXY_COUNT proxies."""
    return request.remote_addr or "unknown"


def _window_since():
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def _pending(where, limit: int) -> float:
    """Seconds still to wait after the attempts matching `where` (0 when fewer than `limit`)."""
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
        last = datetime.fromisoformat(last)
    delay = min(2 ** (count - limit + 1), current_app.config["THROTTLE_MAX_DELAY"])
    return max(0.0, delay - (utcnow() - last).total_seconds())


def attempt(kind: str, key: str, *, key_limit: int, ip_limit: int) -> int:
    """Count one attempt of `kind` for `key` from this client, and answer the whole seconds it must
    wait first (0: go ahead). The attempt is written before the earlier ones are counted, so a burst
    of simultaneous requests cannot all slip under the limit; a refused attempt is taken back (it
    was not looked at, so it neither spends nor earns a guess)."""
    ip = client_ip()[:45]
    key = key.lower()[:254]
    with database().atomic():  # SQLite: BEGIN IMMEDIATE serialises these; PostgreSQL: a lock per key
        if not is_sqlite():
            database().execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"throttle:{kind}:{key}",))
        mine = LoginAttempt.create(kind=kind, identifier=key, ip=ip)
        earlier = (LoginAttempt.kind == kind) & (LoginAttempt.id < mine.id)
        wait = max(
            _pending(earlier & (LoginAttempt.identifier == key), key_limit),
            _pending(earlier & (LoginAttempt.ip == ip), ip_limit),
        )
        if wait > 0:
            mine.delete_instance()
    if wait > 0:
        return math.ceil(wait)
    # Old rows are useless: drop them as we go (no cron needed).
    LoginAttempt.delete().where(LoginAttempt.created_at < utcnow() - timedelta(days=1)).execute()
    return 0


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
