"""The help desks' reminder the day before (through `portal.reminders.remind`) and their part of
the staff member's day (`/staff` and the daily sheet): time and name only, never the subject."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.areas import DayRow, DaySection, ReminderKind
from portal.clock import local_date, local_day_bounds, to_local
from portal.models import Site, User
from portal.phrases import Phrase, phrase
from portal.reminders import in_site_context, morning_yet, remind

from . import services
from .models import Appointment, Desk, Slot

DAY_BEFORE = "desks_day_before"
KINDS = [
    ReminderKind(
        DAY_BEFORE,
        _l("Sportelli: il giorno prima"),
        _l("Un messaggio il giorno prima del tuo appuntamento a uno sportello."),
    )
]
STATES = {
    "booked": _l("da accogliere"),
    "arrived": _l("arrivata/o"),
    "no_show": _l("non si è presentata/o"),
}


def _hhmm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


def _day_link(appointment: Appointment) -> str:
    return url_for("desks.staff_day", desk_id=appointment.desk_id, d=local_date(appointment.slot.starts_at).isoformat())


@in_site_context
def remind_job(now: datetime) -> int:
    """The job: every appointment of tomorrow, by e-mail or on the phone list, once (`SentNotice`)."""
    if not morning_yet(now):
        return 0
    lo, hi = local_day_bounds(local_date(now) + timedelta(days=1))
    due = list(
        Appointment.select(Appointment, Slot, Desk, Site)
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .join(Site)
        .where((Appointment.status == "booked") & (Slot.starts_at >= lo) & (Slot.starts_at < hi))
        .order_by(Slot.starts_at)
    )
    given = 0
    for appointment in due:
        person = appointment.user if appointment.user_id else None
        language = (person.language if person is not None else None) or appointment.language or None
        desk = appointment.desk

        def reason(desk: Desk = desk, appointment: Appointment = appointment) -> Phrase:
            return phrase(
                "%(desk)s: %(reason)s (%(day)s)",
                desk=desk.name,
                reason=services.REASONS[services.REMINDER],
                day=_hhmm(appointment.slot.starts_at),
            )

        def message(appointment: Appointment = appointment) -> tuple[str, str]:
            return services.compose(appointment, services.REMINDER)

        sent = remind(
            # The time is in the key: an appointment moved to another day is reminded again.
            f"desks:appointment:{appointment.id}:day_before:{appointment.slot.starts_at:%Y%m%d%H%M}",
            DAY_BEFORE,
            site_id=desk.site_id,
            name=appointment.person_name,
            email=appointment.email or None,
            phone=appointment.phone or None,
            user=person,
            language=language,
            message=message,
            reason=reason,
            link=_day_link(appointment),
        )
        if sent:
            Appointment.update(reminded_at=now).where(Appointment.id == appointment.id).execute()
            given += 1
    return given


def staff_day(site_id: int, day: date) -> list[DaySection]:
    """The desks' appointments at this centre on this day: time, desk and name (never the subject)."""
    lo, hi = local_day_bounds(day)
    appointments = list(
        Appointment.select(Appointment, Slot, Desk)
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .where(
            (Desk.site == site_id)
            & (Appointment.status != "cancelled")
            & (Slot.starts_at >= lo)
            & (Slot.starts_at < hi)
        )
        .order_by(Slot.starts_at, Desk.position, Desk.name)
    )
    names = {
        user.id: user.name
        for user in User.select(User.id, User.name).where(
            User.id.in_([a.user_id for a in appointments if a.user_id] or [0])
        )
    }
    rows = [
        DayRow(
            time=_hhmm(a.slot.starts_at),
            text=f"{a.desk.name} · {names.get(a.user_id, '') if a.user_id else a.guest_name}",
            note=str(STATES.get(a.status, a.status)),
            link=_day_link(a),
        )
        for a in appointments
    ]
    return [
        DaySection(
            _l("Sportelli: appuntamenti"),
            rows,
            url_for("desks.staff_index"),
            _l("Sportelli"),
            _l("Nessun appuntamento agli sportelli in questo giorno."),
        )
    ]
