"""Volunteering's reminders (a scheduled job: 48 h and 24 h before a shift) and its part of the
staff member's day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from peewee import fn

from portal.areas import DayRow, DaySection, ReminderKind
from portal.clock import local_day_bounds, to_local
from portal.phrases import Phrase, phrase
from portal.reminders import absolute_url, in_site_context, morning_yet, remind

from .models import ACTIVE, WAITLIST, Opportunity, Shift, Signup

SHIFT = "volunteer_shift"
KINDS = [ReminderKind(SHIFT, _l("Volontariato: 48 e 24 ore prima del turno"))]
STAGES = (48, 24)  # hours before the shift


def _link(signup: Signup) -> str:
    if signup.user_id:
        return absolute_url("volunteer.mine")
    from .services import signup_token

    return absolute_url("volunteer.guest_signup", token=signup_token(signup))


def _reason(title: str, when: datetime) -> Phrase:
    return phrase(
        "Promemoria turno «%(title)s»: %(day)s alle %(start)s",
        title=title,
        day=when.strftime("%d/%m"),
        start=when.strftime("%H:%M"),
    )


@in_site_context
def remind_job(now: datetime) -> int:
    """The job: each active sign-up is reminded 48 h and 24 h before its shift (in waking hours; a
    stage is skipped when the person signed up after it, and the 48 h one when the 24 h one is due)."""
    if not morning_yet(now):
        return 0
    signups = (
        Signup.select(Signup, Shift, Opportunity)
        .join(Shift)
        .join(Opportunity)
        .where(
            (Signup.status == ACTIVE)
            & Shift.cancelled_at.is_null()
            & (Shift.starts_at > now)
            & (Shift.starts_at <= now + timedelta(hours=STAGES[0]))
        )
        .order_by(Shift.starts_at)
    )
    given = 0
    for signup in list(signups):
        shift = signup.shift
        left = shift.starts_at - now
        stage = 24 if left <= timedelta(hours=24) else 48
        if signup.created_at > shift.starts_at - timedelta(hours=stage):
            continue  # signed up after this reminder's moment: they remember
        when = to_local(shift.starts_at)

        def message(signup=signup, shift=shift, when=when, stage=stage):
            body = _(
                "Ciao %(name)s,\n\nti ricordiamo il turno «%(title)s»: %(day)s dalle %(start)s alle %(end)s%(place)s.\n"
                "Se non puoi venire, annulla il prima possibile così chiamiamo un'altra persona: %(link)s\n\n"
                "Grazie!\nBinari – Kaleidoscopi Metropolitani",
                name=signup.name,
                title=shift.opportunity.title,
                day=when.strftime("%d/%m/%Y"),
                start=when.strftime("%H:%M"),
                end=to_local(shift.ends_at).strftime("%H:%M"),
                place=f", {shift.location}" if shift.location else "",
                link=_link(signup),
            )
            subject = (
                _("Volontariato: il tuo turno domani")
                if stage == 24
                else _("Volontariato: il tuo turno tra due giorni")
            )
            return subject, body

        given += bool(
            remind(
                f"volunteer:signup:{signup.id}:{stage}h",
                SHIFT,
                site_id=shift.opportunity.site_id,
                name=signup.name,
                email=signup.email or None,
                phone=signup.phone or None,
                user=signup.user_id,
                language=signup.lang,
                message=message,
                reason=partial(_reason, shift.opportunity.title, when),
                link=url_for("volunteer.roster", shift_id=shift.id),
            )
        )
    return given


def staff_day(site_id: int, day: date) -> list[DaySection]:
    """The day's shifts with how many are coming and how many wait."""
    first, last = local_day_bounds(day)
    shifts = list(
        Shift.select(Shift, Opportunity)
        .join(Opportunity)
        .where((Opportunity.site == site_id) & (Shift.starts_at >= first) & (Shift.starts_at < last))
        .order_by(Shift.starts_at)
    )
    waiting: dict[int, int] = {}
    if shifts:
        rows = (
            Signup.select(Signup.shift, fn.COUNT(Signup.id).alias("n"))
            .where(Signup.shift.in_([s.id for s in shifts]) & (Signup.status == WAITLIST))
            .group_by(Signup.shift)
        )
        waiting = {row.shift_id: row.n for row in rows}
    lines = []
    for shift in list(shifts):
        if shift.cancelled_at:
            note = _("annullato")
        else:
            note = _("%(taken)d/%(capacity)d persone", taken=shift.taken, capacity=shift.capacity)
            if waiting.get(shift.id):
                note += " · " + ngettext("%(num)d in lista d'attesa", "%(num)d in lista d'attesa", waiting[shift.id])
        lines.append(
            DayRow(
                time=to_local(shift.starts_at).strftime("%H:%M"),
                text=shift.opportunity.title,
                note=note,
                link=url_for("volunteer.roster", shift_id=shift.id),
            )
        )
    return [
        DaySection(
            _l("Volontariato: turni"),
            lines,
            url_for("volunteer.manage"),
            _l("Coordinamento volontari"),
            _l("Nessun turno in questo giorno."),
        ),
    ]
