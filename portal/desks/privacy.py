"""A person's help-desk appointments: the data export and the erasure (the `export`, `erase` and
`people_to_phone` slots of the desks area).

Rows booked as a guest with the account's e-mail or phone are the person's too: they are exported
and erased with the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.areas import DataSection, PhoneCall
from portal.clock import local_date, utcnow
from portal.models import Site, User
from portal.phrases import phrase

from . import services
from .models import Appointment, Desk, DeskCalendarToken, OpenCount, Slot, WaitEntry

STATUSES = {
    "booked": _l("Prenotato"),
    "arrived": _l("Arrivata/o"),
    "no_show": _l("Non venuta/o"),
    "cancelled": _l("Annullato"),
}
LABELS = {
    "desk": _l("Sportello"),
    "centre": _l("Centro"),
    "starts_at": _l("Inizio"),
    "ends_at": _l("Fine"),
    "status": _l("Stato"),
    "subject": _l("Di cosa si tratta"),
    "note": _l("Nota dello sportello"),
    "name": _l("Nome"),
    "phone": _l("Cellulare"),
    "email": _l("E-mail"),
    "language": _l("Lingua dei messaggi"),
    "created_at": _l("Prenotato il"),
}
WAIT_LABELS = {"desk": _l("Sportello"), "day": _l("Giorno"), "created_at": _l("Chiesto il")}
CALENDAR_LABELS = {"calendar_feed": _l("Link privato del calendario attivo")}


def _mine(user: User) -> Any:
    """The person's appointments: by account, and as a guest with the account's e-mail or phone."""
    match = Appointment.user == user.id
    if user.email:
        match |= Appointment.user.is_null() & (Appointment.guest_email == user.email.lower())
    if user.phone:
        match |= Appointment.user.is_null() & (Appointment.guest_phone == user.phone)
    return match


def _keys(user: User) -> list[str]:
    return [services.person_key(user)] + [f"c{c}" for c in (user.email and user.email.lower(), user.phone) if c]


def export(user: User) -> list[DataSection]:
    """Appointments (with what they were about and the desk's note), waitlist requests, calendar link."""
    rows = [
        {
            "desk": a.desk.name,
            "centre": a.desk.site.name,
            "starts_at": a.slot.starts_at,
            "ends_at": a.slot.ends_at,
            "status": a.status,
            "subject": a.subject,
            "note": a.note,
            "name": a.guest_name,
            "phone": a.guest_phone,
            "email": a.guest_email,
            "language": a.language,
            "created_at": a.created_at,
        }
        for a in Appointment.select(Appointment, Slot, Desk, Site)
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .join(Site)
        .where(_mine(user))
        .order_by(Slot.starts_at)
    ]
    waits = [
        {"desk": w.desk.name, "day": w.day, "created_at": w.created_at}
        for w in WaitEntry.select(WaitEntry, Desk).join(Desk).where(WaitEntry.user == user.id)
    ]
    calendar = (
        [{"calendar_feed": True}]
        if DeskCalendarToken.select().where(DeskCalendarToken.user == user.id).exists()
        else []
    )
    return [
        DataSection("appointments", _l("Appuntamenti agli sportelli"), rows, LABELS, {"status": STATUSES}),
        DataSection("waitlist", _l("Richieste di avviso agli sportelli"), waits, WAIT_LABELS),
        DataSection("calendar", _l("Calendario degli appuntamenti"), calendar, CALENDAR_LABELS),
    ]


def erase(user: User) -> None:
    """Free the person's future appointments (offered to the waitlist), keep the past anonymous.

    Runs inside the account deletion's transaction. What stays has no account link, no name,
    contact, subject or note: it counts only in the figures.
    """
    now = utcnow()
    future = list(
        Appointment.select(Appointment, Slot)
        .join(Slot)
        .where(_mine(user) & (Appointment.status == "booked") & (Slot.starts_at > now))
    )
    for appointment in future:
        Appointment.update(status="cancelled", cancelled_at=now, changed_at=now).where(
            Appointment.id == appointment.id
        ).execute()
        services.offer_to_waitlist(appointment.desk, local_date(appointment.slot.starts_at), now)
    ids = [a.id for a in Appointment.select(Appointment.id).where(_mine(user))]
    if ids:
        Appointment.update(
            user=None,
            guest_name="",
            guest_phone="",
            guest_email="",
            language="",
            person_key="",
            subject="",
            note="",
            phone_reason="",
            phone_since=None,
            phoned_at=None,
        ).where(Appointment.id.in_(ids)).execute()
    OpenCount.delete().where(OpenCount.person_key.in_(_keys(user))).execute()
    WaitEntry.delete().where(WaitEntry.user == user.id).execute()
    DeskCalendarToken.delete().where(DeskCalendarToken.user == user.id).execute()


def people_to_phone(site_ids: Sequence[int]) -> list[PhoneCall]:
    """People without e-mail to tell about a moved or cancelled appointment, or a free time (and last
    week's calls). Keys carry the notice's time, so a second notice about the same record is a new entry;
    the reminder the day before is on the list through `portal.reminders`."""
    calls = []
    for appointment in services.phone_list(site_ids):
        staff = appointment.phoned_by
        calls.append(
            PhoneCall(
                area="desks",
                site_id=appointment.desk.site_id,
                name=appointment.person_name,
                phone=appointment.phone,
                reason=phrase(
                    "%(desk)s: %(reason)s",
                    desk=appointment.desk.name,
                    reason=services.REASONS.get(appointment.phone_reason, ""),
                ),
                link=url_for(
                    "desks.staff_day",
                    desk_id=appointment.desk_id,
                    d=local_date(appointment.slot.starts_at).isoformat(),
                ),
                since=appointment.phone_since,
                done_at=appointment.phoned_at,
                done_by=staff.name if staff else "",
                key=_key("appointment", appointment.id, appointment.phone_since),
            )
        )
    for entry in services.wait_phone_list(site_ids):
        staff = entry.phoned_by
        calls.append(
            PhoneCall(
                area="desks",
                site_id=entry.desk.site_id,
                name=entry.user.name,
                phone=entry.user.phone or "",
                reason=phrase(
                    "%(desk)s: %(reason)s (%(day)s)",
                    desk=entry.desk.name,
                    reason=services.REASONS[services.OFFER],
                    day=entry.day.strftime("%d/%m/%Y"),
                ),
                link=url_for("desks.staff_day", desk_id=entry.desk_id, d=entry.day.isoformat()),
                since=entry.offered_at,
                done_at=entry.phoned_at,
                done_by=staff.name if staff else "",
                key=_key("wait", entry.id, entry.offered_at),
            )
        )
    return calls


def _key(kind: str, record_id: int, since: datetime | None) -> str:
    """ "appointment:12:20261117180000": the record and the time of the notice to give."""
    return f"{kind}:{record_id}:{since:%Y%m%d%H%M%S}" if since else f"{kind}:{record_id}"


def phone_done(key: str, staff: User) -> bool:
    """The `phone_done` slot: the core phone list recorded a call on one of the desks' entries."""
    kind, _sep, rest = key.partition(":")
    record_id, _sep, _since = rest.partition(":")
    if not record_id.isdigit():
        return False
    if kind == "appointment":
        appointment = Appointment.get_or_none(Appointment.id == int(record_id))
        if appointment is None or not appointment.phone_reason:
            return False
        if key != _key(kind, appointment.id, appointment.phone_since):
            return False  # a newer notice replaced the one phoned about
        services.record_phone_call(appointment, staff)
        return True
    if kind == "wait":
        entry = WaitEntry.get_or_none(WaitEntry.id == int(record_id))
        if entry is None or entry.offered_at is None or key != _key(kind, entry.id, entry.offered_at):
            return False
        services.record_wait_call(entry, staff)
        return True
    return False
