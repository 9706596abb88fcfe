"""Guests (people without an account) on public forms: limits, held in the database.

An anonymous form that takes a place (an event registration, a volunteer sign-up)
records one `GuestAction`: what was asked for (`kind`, `target`) and a keyed hash
of the client address, never the address itself. Before a new one is accepted,
the recent actions are counted, per client address and per event/shift, so the
limits hold across gunicorn workers and app servers. Rows older than a day are
deleted by the `forget_guest_actions` job.

The address is `request.remote_addr` (behind a proxy, ProxyFix makes it the
client's). The hash is an HMAC with the secret key: the same address gives the
same key for counting, and the table alone does not tell who it was.

Settings: GUEST_LIMIT_PER_CLIENT (default 5) and GUEST_LIMIT_PER_TARGET (30) per
GUEST_LIMIT_WINDOW_MINUTES (60); GUEST_CONFIRM_MINUTES (120) for an unconfirmed
place with an e-mail address, GUEST_PHONE_CONFIRM_HOURS (24) for one with only a
phone number (staff call and confirm); GUEST_ACTIONS_KEPT_HOURS (24).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from peewee import CharField, DateTimeField, IntegerField, PostgresqlDatabase

from .clock import utcnow
from .db import BaseModel, database
from .refusals import Refusal

DEFAULTS = {
    "GUEST_LIMIT_PER_CLIENT": 5,
    "GUEST_LIMIT_PER_TARGET": 30,
    "GUEST_LIMIT_WINDOW_MINUTES": 60,
    "GUEST_CONFIRM_MINUTES": 120,
    "GUEST_PHONE_CONFIRM_HOURS": 24,
    "GUEST_ACTIONS_KEPT_HOURS": 24,
}


def setting(name: str) -> int:
    """A guest setting from the app's config (see the module doc for the defaults)."""
    return int(current_app.config.get(name) or DEFAULTS[name])


class GuestAction(BaseModel):
    """One accepted guest form (a place asked for), kept a day to count against the limits."""

    kind = CharField(max_length=20)  # "event", "volunteer", …: the area's name
    target = IntegerField()  # the event's or the shift's id
    client = CharField(max_length=64)  # HMAC-SHA256 of the client address (hex), never the address
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "guest_action"
        indexes = (
            (("client", "created_at"), False),
            (("kind", "target", "created_at"), False),
            (("created_at",), False),
        )


class TooManyGuestRequests(Refusal):
    """Over a guest limit: 429 with the form and a clear message."""

    def __init__(self, message: str | None = None, status: int = 429, field: str | None = None) -> None:
        message = message or _(
            "Troppe iscrizioni da questa connessione o per questa attività in poco tempo. "
            "Riprova tra un'ora, oppure chiama o passa dal centro: ti iscriviamo noi."
        )
        super().__init__(message, status, field)


def client_key(address: str | None = None) -> str:
    """The keyed hash of a client address (the request's when not given)."""
    if address is None:
        address = (request.remote_addr if has_request_context() else None) or "unknown"
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"guest-client:" + address.encode(), hashlib.sha256).hexdigest()


def admit(kind: str, target: int, address: str | None = None) -> None:
    """Count this guest request against the limits and record it; TooManyGuestRequests when over.

    Runs in its own transaction, and concurrent requests count one after the other (SQLite:
    the transaction is IMMEDIATE; PostgreSQL: transaction-level advisory locks on the client
    and on the target), so the limits are exact across workers. A refused registration still counts.
    """
    client = client_key(address)
    since = utcnow() - timedelta(minutes=setting("GUEST_LIMIT_WINDOW_MINUTES"))
    db = database()
    with db.atomic():
        if isinstance(db.obj, PostgresqlDatabase):  # database() is a Proxy
            # PostgreSQL runs these transactions side by side: count one at a time per client and per
            # target (always in this order, so two requests never wait for each other in a circle).
            for key in (client, f"{kind}:{target}"):
                lock = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (lock,))
        recent = GuestAction.select().where(GuestAction.created_at >= since)
        by_client = recent.where(GuestAction.client == client).count()
        by_target = recent.where((GuestAction.kind == kind) & (GuestAction.target == target)).count()
        if by_client >= setting("GUEST_LIMIT_PER_CLIENT") or by_target >= setting("GUEST_LIMIT_PER_TARGET"):
            raise TooManyGuestRequests()
        GuestAction.create(kind=kind, target=target, client=client)


def confirm_deadline(has_email: bool, now: datetime | None = None) -> datetime:
    """Until when an unconfirmed guest place is held: short with a mailed link, longer for a phone call."""
    now = now or utcnow()
    if has_email:
        return now + timedelta(minutes=setting("GUEST_CONFIRM_MINUTES"))
    return now + timedelta(hours=setting("GUEST_PHONE_CONFIRM_HOURS"))


def forget_guest_actions(now: datetime) -> int:
    """Job: delete the guest actions older than GUEST_ACTIONS_KEPT_HOURS (idempotent)."""
    cutoff = now - timedelta(hours=setting("GUEST_ACTIONS_KEPT_HOURS"))
    with database().atomic():
        return GuestAction.delete().where(GuestAction.created_at < cutoff).execute()
