"""The "Le mie cose" page: a person's commitments from every area, and one private calendar feed of them.

The areas give their part through the ``my_things`` slot (`portal.areas.MyThing`); `/account`
lists them soonest first with their one-tap actions (POSTs to the areas' own endpoints, which come
back to `/account` when the form says ``back=account``), and `/calendario/<token>.ics` shows the
dated ones in the person's calendar app. The token is made and replaced only by a POST.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from . import areas
from .clock import utcnow
from .db import database
from .ics import CalendarEntry, calendar_bytes, calendar_response
from .models import CalendarFeedToken, User
from .urls import external_url

bp = Blueprint("mythings", __name__)

#: How far back the calendar feed goes (calendar apps keep what a feed no longer lists).
FEED_PAST_DAYS = 60


def back_to_account() -> bool:
    """True when the action's form came from "Le mie cose" (then answer with a redirect to it)."""
    return request.form.get("back") == "account"


def account_redirect():
    return redirect(url_for("account.index", _anchor="mie-cose"), 303)


def or_account(response):
    """An area's answer to one of its POSTs, or, when the form came from "Le mie cose", a redirect
    back there (the flashed message tells what happened)."""
    return account_redirect() if back_to_account() else response


def refused_or(message: str, response):
    """A refusal's answer: back to "Le mie cose" with the message, or the area's own page."""
    if back_to_account():
        flash(message, "error")
        return account_redirect()
    return response


def upcoming(user: User) -> list[areas.MyThing]:
    """The person's things that have not ended yet, soonest first."""
    return areas.my_things(user, utcnow())


# --- the calendar feed --------------------------------------------------------------------------


def feed_token(user: User) -> CalendarFeedToken | None:
    return CalendarFeedToken.get_or_none(CalendarFeedToken.user == user.id)


def renew_token(user: User) -> CalendarFeedToken:
    """A new private link (the old one, if any, stops working)."""
    with database().atomic():
        CalendarFeedToken.delete().where(CalendarFeedToken.user == user.id).execute()
        return CalendarFeedToken.create(user=user.id, token=secrets.token_urlsafe(32))


def revoke_token(user: User) -> int:
    return CalendarFeedToken.delete().where(CalendarFeedToken.user == user.id).execute()


def calendar_entries(user: User) -> list[CalendarEntry]:
    """The dated things of the person, from two months ago on, as calendar entries."""
    entries = []
    for thing in areas.my_things(user, utcnow() - timedelta(days=FEED_PAST_DAYS)):
        if not thing.in_calendar or thing.starts_at is None:
            continue
        ends_at = thing.ends_at or thing.starts_at
        description = "\n".join(str(x) for x in (thing.kind, thing.note) if x)
        entries.append(
            CalendarEntry(
                uid=f"mine-{thing.key}",
                starts_at=thing.starts_at,
                ends_at=ends_at,
                summary=thing.title,
                changed_at=thing.changed_at,
                description=description,
                location=thing.where,
                url=external_url("account.index"),
                all_day=thing.all_day,
            )
        )
    return entries


@bp.route("/account/calendario", methods=["POST"])
@login_required
def create_feed():
    """Create (or replace, which revokes the old link) my one private calendar link."""
    renew_token(current_user._get_current_object())
    flash(_("Link del calendario pronto: quello vecchio, se c'era, non funziona più."), "success")
    return redirect(url_for("account.index", _anchor="calendario"), 303)


@bp.route("/account/calendario/revoca", methods=["POST"])
@login_required
def revoke_feed():
    """Switch my calendar link off."""
    revoke_token(current_user._get_current_object())
    flash(_("Link del calendario disattivato."), "success")
    return redirect(url_for("account.index", _anchor="calendario"), 303)


@bp.route("/calendario/<token>.ics")
def feed(token):
    """All my commitments as one iCalendar feed (private link: calendar apps cannot log in)."""
    row = CalendarFeedToken.get_or_none(CalendarFeedToken.token == token)
    if row is None:
        abort(404)
    user = User.get_by_id(row.user_id)
    with force_locale(user.language or "it"):
        body = calendar_bytes(calendar_entries(user), _("Binari: le mie cose"))
    return calendar_response(body, "binari-mie-cose.ics", cache="private, no-cache")
