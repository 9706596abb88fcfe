"""Reminders: the core part every area's reminder job uses, the resident's choices and the
one-click unsubscribe.

An area's job finds what is due and calls `remind` once per person and thing. `remind` checks
the person's preferences, records the reminder's key in `SentNotice` (unique) in the same
transaction as the outbox message, so a job run twice, or by two workers at once, sends nothing
twice; people without e-mail go on the staff phone list instead (nobody is silently dropped).

Decision on closed days: reminders go out whatever the day. A centre's closure cancels or moves
the things on that day through the areas' own notices; a due date that falls on a closed day is
still the date the resident was given, and dropping a reminder silently would be worse.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, TypeVar, cast

from flask import Blueprint, current_app, flash, has_request_context, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import IntegrityError

from . import areas
from .clock import now_local, to_local, utcnow
from .db import database
from .mail import send_mail
from .models import PhoneCallLog, ReminderOptOut, SentNotice, User
from .phrases import stored
from .rendering import render

bp = Blueprint("reminders", __name__)

#: Reminders go out in waking hours, Milan time (a job that runs at night sends them at 08:00).
MORNING, EVENING = time(8, 0), time(21, 0)

F = TypeVar("F", bound=Callable[..., int])


# --- links -------------------------------------------------------------------------------------
def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a message: BASE_URL + the route, never the request's host."""
    from .urls import external_url

    return external_url(endpoint, **values)


def in_site_context(run: F) -> F:
    """Let a job build links and translate outside a request (the scheduler has no request)."""

    @functools.wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        if has_request_context():
            return run(*args, **kwargs)
        base = current_app.config.get("BASE_URL") or "http://localhost"
        with current_app.test_request_context("/", base_url=base):
            return run(*args, **kwargs)

    return cast("F", wrapper)


def morning_yet(now: datetime | None = None) -> bool:
    """True between 08:00 and 21:00 in Milan (reminders are not sent at night)."""
    local = to_local(now) if now is not None else now_local()
    return MORNING <= local.time() < EVENING


# --- who wants what ------------------------------------------------------------------------------
def who_of(user: User | int | None = None, email: str | None = None) -> str:
    """The key a preference is kept under: the account, else the e-mail address."""
    user_id = user.id if isinstance(user, User) else user
    if user_id:
        return f"u{user_id}"
    return f"e{(email or '').strip().lower()}" if email else ""


def wants(kind: str, user: User | int | None = None, email: str | None = None) -> bool:
    """Does this person want this kind of reminder? (Default: yes.)"""
    who = who_of(user, email)
    if not who:
        return True
    return not ReminderOptOut.select().where((ReminderOptOut.who == who) & (ReminderOptOut.kind == kind)).exists()


def switch_off(who: str, kind: str) -> None:
    """Record that `who` wants no more reminders of this kind (twice is the same as once)."""
    with database().atomic():
        if not ReminderOptOut.select().where((ReminderOptOut.who == who) & (ReminderOptOut.kind == kind)).exists():
            try:
                with database().atomic():
                    ReminderOptOut.create(who=who, kind=kind)
            except IntegrityError:
                pass  # someone else's click got there first: same result


def set_preferences(user: User, wanted: set[str]) -> None:
    """The account page's choices: every known kind not in `wanted` is off."""
    who = who_of(user)
    known = [kind.key for kind in areas.reminder_kinds()]
    with database().atomic():
        ReminderOptOut.delete().where((ReminderOptOut.who == who) & ReminderOptOut.kind.in_(known)).execute()
        for key in known:
            if key not in wanted:
                ReminderOptOut.create(who=who, kind=key)


def preferences(user: User) -> list[tuple[areas.ReminderKind, bool]]:
    """Every reminder kind with whether the person wants it."""
    off = {row.kind for row in ReminderOptOut.select().where(ReminderOptOut.who == who_of(user))}
    return [(kind, kind.key not in off) for kind in areas.reminder_kinds()]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="binari-unsubscribe")


def unsubscribe_token(who: str, kind: str) -> str:
    return _serializer().dumps({"w": who, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[str, str] | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("w"), str) or not isinstance(data.get("k"), str):
        return None
    return data["w"], data["k"]


def unsubscribe_url(who: str, kind: str) -> str:
    return absolute_url("reminders.unsubscribe", token=unsubscribe_token(who, kind))


def kind_label(kind: str) -> Any:
    found = next((k for k in areas.reminder_kinds() if k.key == kind), None)
    return found.label if found else kind


# --- sending ---------------------------------------------------------------------------------------
def remind(
    key: str,
    kind: str,
    *,
    site_id: int | None,
    name: str,
    email: str | None,
    phone: str | None,
    user: User | int | None = None,
    language: str | None = None,
    message: Callable[[], tuple[str, str]],
    reason: Callable[[], Any],
    link: str = "",
) -> str:
    """Send one reminder once. Returns "mail", "phone", "none", or "" (not sent: already done,
    or the person switched this kind off).

    ``message()`` returns (subject, body) and is called in the recipient's language with the
    unsubscribe line added; ``reason()`` is the phone list's line: a `portal.phrases.phrase`, kept
    untranslated and shown in each staff member's language (plain text is shown as written).
    ``link`` is the staff page of the record (relative) for the phone list.
    """
    if not wants(kind, user, email):
        return ""
    user_id = user.id if isinstance(user, User) else user
    channel = "mail" if email else ("phone" if phone else "none")
    reason_text, reason_phrase = stored(reason()) if channel == "phone" else ("", "")
    with database().atomic():
        try:
            with database().atomic():
                SentNotice.create(
                    key=key[:160],
                    kind=kind,
                    channel=channel,
                    user=user_id,
                    site=site_id,
                    name=(name or "")[:120] if channel == "phone" else "",
                    phone=(phone or "")[:20] if channel == "phone" else "",
                    reason=reason_text[:300],
                    reason_phrase=reason_phrase,
                    link=link[:300] if channel == "phone" else "",
                )
        except IntegrityError:
            return ""  # already sent (or another worker is sending it right now)
        if channel == "mail":
            who = who_of(user, email)
            off_url = unsubscribe_url(who, kind)
            with force_locale(language or "it"):
                subject, body = message()
                body += "\n\n" + _("Non vuoi più promemoria di questo tipo? Disattivali qui: %(url)s", url=off_url)
            send_mail(
                email,
                subject,
                body,
                user=user_id,
                site=site_id,
                kind="reminder",
                language=language or "it",
                unsubscribe_url=off_url,
            )
    return channel


# --- phone list: reminders for people without e-mail ----------------------------------------
PHONE_KEPT_DAYS = 7  # a reminder is about the coming days: after a week it leaves the phone list


def phone_entries(site_ids: list[int]) -> list[SentNotice]:
    """The last week's reminders that must be given by phone at these centres (the phone list)."""
    since = utcnow() - timedelta(days=PHONE_KEPT_DAYS)
    return list(
        SentNotice.select()
        .where((SentNotice.channel == "phone") & SentNotice.site.in_(site_ids) & (SentNotice.sent_at >= since))
        .order_by(SentNotice.sent_at)
    )


def erase(user: User) -> None:
    """Account deletion: forget the person's preferences and phone entries' contacts."""
    ReminderOptOut.delete().where(ReminderOptOut.who == who_of(user)).execute()
    SentNotice.update(name="", phone="", reason="", reason_phrase="", user=None).where(
        SentNotice.user == user.id
    ).execute()
    # The phone list's week of calls keeps a name, not an account: forget that name (another person
    # of the same name only loses the line's name, never a record).
    PhoneCallLog.update(name="", reason="", reason_phrase="").where(PhoneCallLog.name == user.name).execute()


def export(user: User) -> areas.DataSection:
    """The person's data export: the reminder kinds they switched off."""
    off = ReminderOptOut.select().where(ReminderOptOut.who == who_of(user)).order_by(ReminderOptOut.kind)
    rows = [{"kind": row.kind, "reminder": str(kind_label(row.kind)), "since": row.created_at} for row in off]
    labels = {"kind": _l("Codice"), "reminder": _l("Promemoria"), "since": _l("Dal")}
    return areas.DataSection("reminders_off", _l("Promemoria che hai disattivato"), rows, labels)


# --- views ---------------------------------------------------------------------------------------
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """One-click unsubscribe from one kind of reminder: GET asks, POST (also RFC 8058) switches it off."""
    found = read_unsubscribe_token(token)
    if found is None:
        return render("reminders/unsubscribe.html", invalid=True, status=404)
    who, kind = found
    if request.method == "POST":
        switch_off(who, kind)
        return render("reminders/unsubscribe.html", done=True, kind=kind_label(kind))
    return render("reminders/unsubscribe.html", kind=kind_label(kind), token=token)


@bp.route("/account/reminders", methods=["GET", "POST"])
@login_required
def account_reminders():
    """The resident chooses which reminders they want."""
    if request.method == "POST":
        set_preferences(current_user, set(request.form.getlist("kind")))
        flash(_("Promemoria aggiornati."), "success")
        return redirect(url_for(".account_reminders"), 303)
    return render("reminders/account.html", choices=preferences(current_user))


def init_app(app) -> None:
    """Register the blueprint; the unsubscribe POST comes from mail clients (RFC 8058), without a form token."""
    from . import csrf

    app.register_blueprint(bp)
    csrf.exempt(unsubscribe)
