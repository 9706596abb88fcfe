"""The help-desk rules: slots from schedules, booking, cancelling, moving, the operator's day, jobs.

Every write happens inside `with database().atomic():`. One person per slot is held by the
partial unique index on `Appointment.slot` (IntegrityError → 409); the per-person limit by the
`OpenCount` row of the desk and person, locked (PostgreSQL ``FOR UPDATE``; SQLite transactions
are IMMEDIATE) while the open appointments are counted. Slots are materialised when staff save
a schedule and by the daily job; page views only read.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from peewee import JOIN, IntegrityError

from portal import audit
from portal.clock import local_date, local_day_bounds, to_local, to_utc, today_local, utcnow
from portal.db import database, lock_row
from portal.ics import CalendarEntry
from portal.mail import send_mail
from portal.models import Site, StaffSite, User, closed_days
from portal.phrases import phrase
from portal.refusals import Refusal

from .models import (
    ACTIVE,
    MODE_APPOINTMENTS,
    Appointment,
    Desk,
    DeskDay,
    DeskOperator,
    OpenCount,
    Schedule,
    Slot,
    WaitEntry,
)

AREA = "desks"
CONFIRMED, REMINDER, MOVED, CANCELLED, OFFER = "confirmed", "reminder", "moved", "cancelled", "offer"
#: What staff must tell a person without e-mail, by kind of notice (phrases: each reader's language).
REASONS = {
    REMINDER: phrase("Promemoria: l'appuntamento è domani"),
    MOVED: phrase("Appuntamento spostato: dirle/gli il nuovo orario"),
    CANCELLED: phrase("Appuntamento annullato dallo sportello: dirglielo"),
    OFFER: phrase("Si è liberato un posto: dirle/gli che può prenotare"),
}


class DeskRefusal(Refusal):
    """A help-desk action refused for a reason the person can understand."""


# --- people --------------------------------------------------------------------------------------


def person_key(user: User | None = None, email: str = "", phone: str = "") -> str:
    """ "u<id>" for a member, "c<e-mail or phone>" for a guest: the per-person limit and figures."""
    if user is not None:
        return f"u{user.id}"
    return "c" + ((email or "").strip().lower() or (phone or "").strip())


def is_operator(user: Any, desk: Desk | int) -> bool:
    """True for the desk's own operators and for admins: they may read notes and subjects."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    desk_id = desk.id if isinstance(desk, Desk) else desk
    return DeskOperator.select().where((DeskOperator.desk == desk_id) & (DeskOperator.user == user.id)).exists()


def operated_desk_ids(user: Any) -> set[int]:
    return {row.desk_id for row in DeskOperator.select(DeskOperator.desk).where(DeskOperator.user == user.id)}


# --- schedules and slots ------------------------------------------------------------------------


def _as_time(value: Any) -> time:
    return time.fromisoformat(value) if isinstance(value, str) else value


def _as_date(value: Any) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _cut(day: date, starts: time, ends: time, minutes: int) -> list[tuple[datetime, datetime]]:
    """Slots of `minutes` from `starts` to `ends` on a Milan day, as naive UTC pairs."""
    found = []
    moment = datetime.combine(day, starts)
    last = datetime.combine(day, ends)
    step = timedelta(minutes=max(5, minutes))
    while moment + step <= last:
        found.append((to_utc(moment), to_utc(moment + step)))
        moment += step
    return found


def wanted_slots(desk: Desk, first: date, last: date) -> dict[datetime, datetime]:
    """{starts_at: ends_at} the desk's schedule gives from `first` to `last`, closures and blocked days left out."""
    if desk.mode != MODE_APPOINTMENTS or not desk.active:
        return {}
    rules = list(Schedule.select().where(Schedule.desk == desk.id))
    special = list(DeskDay.select().where((DeskDay.desk == desk.id) & (DeskDay.day >= first) & (DeskDay.day <= last)))
    blocked = {_as_date(d.day) for d in special if d.kind == "blocked"}
    closed = closed_days(desk.site_id, first, last)
    slots: dict[datetime, datetime] = {}
    day = first
    while day <= last:
        if day not in closed and day not in blocked:
            for rule in rules:
                if rule.weekday != day.weekday():
                    continue
                if (rule.valid_from and day < _as_date(rule.valid_from)) or (
                    rule.valid_until and day > _as_date(rule.valid_until)
                ):
                    continue
                slots.update(_cut(day, _as_time(rule.starts), _as_time(rule.ends), rule.slot_minutes))
        day += timedelta(days=1)
    for extra in special:
        extra_day = _as_date(extra.day)
        if (
            extra.kind == "extra"
            and extra.starts
            and extra.ends
            and extra_day not in closed
            and extra_day not in blocked
        ):
            slots.update(_cut(extra_day, _as_time(extra.starts), _as_time(extra.ends), extra.slot_minutes))
    return slots


def materialise(desk: Desk, now: datetime | None = None) -> int:
    """Bring the desk's future slots in line with its schedule; returns the slots added or changed.

    Idempotent. Missing slots are inserted (UNIQUE desk, starts_at); slots the schedule no longer
    gives are blocked, never deleted (an appointment may point at them: staff then move it).
    """
    now = now or utcnow()
    first = today_local()
    last = first + timedelta(days=desk.advance_days)
    wanted = wanted_slots(desk, first, last)
    lo, hi = local_day_bounds(first)[0], local_day_bounds(last)[1]
    changed = 0
    with database().atomic():
        existing = {
            s.starts_at: s
            for s in Slot.select().where((Slot.desk == desk.id) & (Slot.starts_at >= lo) & (Slot.starts_at < hi))
        }
        new = [
            {"desk": desk.id, "starts_at": start, "ends_at": end, "blocked": False}
            for start, end in sorted(wanted.items())
            if start not in existing and start > now
        ]
        for i in range(0, len(new), 200):
            Slot.insert_many(new[i : i + 200]).on_conflict_ignore().execute()
        changed += len(new)
        reopen = [s.id for start, s in existing.items() if s.blocked and start in wanted]
        close = [s.id for start, s in existing.items() if not s.blocked and start not in wanted and start > now]
        if reopen:
            changed += Slot.update(blocked=False).where(Slot.id.in_(reopen)).execute()
        if close:
            changed += Slot.update(blocked=True).where(Slot.id.in_(close)).execute()
    return changed


def _active_slot_ids() -> Any:
    return Appointment.select(Appointment.slot).where(Appointment.status.in_(ACTIVE))


def free_slots(
    desk_ids: Collection[int], now: datetime | None = None, until: datetime | None = None
) -> dict[int, list[Slot]]:
    """{desk id: [free future slots, soonest first]} in one query."""
    now = now or utcnow()
    if not desk_ids:
        return {}
    query = Slot.select().where(
        Slot.desk.in_(list(desk_ids)) & (Slot.starts_at > now) & ~Slot.blocked & Slot.id.not_in(_active_slot_ids())
    )
    if until is not None:
        query = query.where(Slot.starts_at < until)
    found: dict[int, list[Slot]] = {}
    for slot in query.order_by(Slot.starts_at):
        found.setdefault(slot.desk_id, []).append(slot)
    return found


def desks_listing(site_id: int | None = None, topic: str = "", language: str = "") -> list[Desk]:
    """Active desks, filtered by centre, topic and language, in centre order."""
    query = Desk.select(Desk, Site).join(Site).where(Desk.active)
    if site_id is not None:
        query = query.where(Desk.site == site_id)
    desks = list(query.order_by(Site.position, Desk.position, Desk.name))
    if topic:
        desks = [d for d in desks if topic in d.topic_keys]
    if language:
        desks = [d for d in desks if language in d.language_keys]
    return desks


# --- booking ---------------------------------------------------------------------------------------


def _open_count(desk_id: int, key: str, now: datetime) -> int:
    return (
        Appointment.select()
        .join(Slot)
        .where(
            (Appointment.desk == desk_id)
            & (Appointment.person_key == key)
            & (Appointment.status == "booked")
            & (Slot.starts_at > now)
        )
        .count()
    )


def book(
    desk: Desk,
    slot_id: int,
    *,
    user: User | None = None,
    guest_name: str = "",
    guest_phone: str = "",
    guest_email: str = "",
    subject: str = "",
    staff: User | None = None,
    language: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book a slot for a member or a guest (staff may book for either, at the counter or on the phone)."""
    now = now or utcnow()
    if not desk.active or desk.mode != MODE_APPOINTMENTS:
        raise DeskRefusal(_("Questo sportello non prende appuntamenti: vieni negli orari di accesso libero."))
    slot = Slot.get_or_none((Slot.id == slot_id) & (Slot.desk == desk.id))
    if slot is None or slot.blocked:
        raise DeskRefusal(_("Questo orario non è più disponibile: scegline un altro."), status=409)
    if slot.starts_at <= now:
        raise DeskRefusal(_("Questo orario è già passato: scegline un altro."), status=409)
    if user is None and not (guest_name and (guest_phone or guest_email)):
        raise DeskRefusal(_("Scrivi il nome e un numero di telefono o un indirizzo e-mail."), field="guest_name")
    key = person_key(user, guest_email, guest_phone)
    try:
        with database().atomic():
            OpenCount.insert(desk=desk.id, person_key=key, open_count=0).on_conflict_ignore().execute()
            counter = OpenCount.get((OpenCount.desk == desk.id) & (OpenCount.person_key == key))
            lock_row(OpenCount, counter.id)  # one booking at a time per person and desk
            held = _open_count(desk.id, key, now)
            if held >= desk.max_open_per_person:
                raise DeskRefusal(
                    ngettext(
                        "Hai già %(num)d appuntamento aperto a questo sportello: annullalo o aspetta che passi.",
                        "Hai già %(num)d appuntamenti aperti a questo sportello: annullane uno o aspetta che passino.",
                        held,
                    ),
                    status=409,
                )
            appointment = Appointment.create(
                slot=slot.id,
                desk=desk.id,
                user=user.id if user else None,
                guest_name="" if user else guest_name,
                guest_phone="" if user else guest_phone,
                guest_email="" if user else guest_email.lower(),
                language="" if user else language[:8],
                person_key=key,
                subject=subject,
                created_by=staff.id if staff else None,
                created_at=now,
                changed_at=now,
            )
            OpenCount.update(open_count=held + 1).where(OpenCount.id == counter.id).execute()
            if user is not None:
                WaitEntry.delete().where(
                    (WaitEntry.desk == desk.id)
                    & (WaitEntry.user == user.id)
                    & (WaitEntry.day == local_date(slot.starts_at))
                ).execute()
            appointment = Appointment.get_by_id(appointment.id)
            tell(appointment, CONFIRMED, now)
    except IntegrityError:
        raise DeskRefusal(_("Nel frattempo qualcuno ha preso questo orario: scegline un altro."), status=409) from None
    return appointment


def cutoff(appointment: Appointment) -> datetime:
    """The last moment the person may cancel online (naive UTC)."""
    return appointment.slot.starts_at - timedelta(hours=appointment.desk.cancel_cutoff_hours)


def cancel(appointment: Appointment, *, staff: User | None = None, now: datetime | None = None) -> int:
    """Cancel an appointment (the person until the cut-off, staff always); the slot goes to the waitlist."""
    now = now or utcnow()
    if appointment.status != "booked":
        raise DeskRefusal(_("Questo appuntamento non si può più annullare."))
    if staff is None and cutoff(appointment) < now:
        hours = appointment.desk.cancel_cutoff_hours
        raise DeskRefusal(
            ngettext(
                "Si può annullare online fino a %(num)d ora prima: chiama il centro.",
                "Si può annullare online fino a %(num)d ore prima: chiama il centro.",
                hours,
            ),
            status=409,
        )
    with database().atomic():
        changed = (
            Appointment.update(status="cancelled", cancelled_at=now, changed_at=now)
            .where((Appointment.id == appointment.id) & (Appointment.status == "booked"))
            .execute()
        )
        if changed:
            if staff is not None:
                tell(Appointment.get_by_id(appointment.id), CANCELLED, now)
            if appointment.slot.starts_at > now:
                offer_to_waitlist(appointment.desk, local_date(appointment.slot.starts_at), now)
    return changed


def offer_to_waitlist(desk: Desk, day: date, now: datetime) -> int:
    """Tell the members waiting for `day` at `desk` that a slot is free (first come, first served)."""
    told = 0
    for entry in WaitEntry.select().where(
        (WaitEntry.desk == desk.id) & (WaitEntry.day == day) & WaitEntry.offered_at.is_null()
    ):
        WaitEntry.update(offered_at=now).where(WaitEntry.id == entry.id).execute()
        person = entry.user
        if person.email:
            with force_locale(person.language or "it"):
                send_mail(
                    person.email,
                    _("Binari: si è liberato un posto allo sportello"),
                    _(
                        "Ciao %(name)s,\n\nsi è liberato un orario allo sportello «%(desk)s» il %(day)s. "
                        "Chi prenota per primo lo prende:\n%(link)s\n\nBinari",
                        name=person.name,
                        desk=desk.name,
                        day=day.strftime("%d/%m/%Y"),
                        link=_absolute("desks.detail", desk_id=desk.id),
                    ),
                    user=person,
                    site=desk.site_id,
                )
        told += 1
    return told


def join_waitlist(desk: Desk, day: date, user: User) -> WaitEntry:
    """Ask to be told when a slot frees up at `desk` on `day`."""
    if day < today_local() or day > today_local() + timedelta(days=desk.advance_days):
        raise DeskRefusal(_("Scegli un giorno tra oggi e le prossime settimane."), field="day")
    with database().atomic():
        WaitEntry.insert(desk=desk.id, day=day, user=user.id).on_conflict_ignore().execute()
    return WaitEntry.get((WaitEntry.desk == desk.id) & (WaitEntry.day == day) & (WaitEntry.user == user.id))


def leave_waitlist(entry_id: int, user: User) -> int:
    """A member no longer wants to be told about a day."""
    with database().atomic():
        return WaitEntry.delete().where((WaitEntry.id == entry_id) & (WaitEntry.user == user.id)).execute()


def my_waits(user: User) -> list[WaitEntry]:
    return list(
        WaitEntry.select(WaitEntry, Desk)
        .join(Desk)
        .where((WaitEntry.user == user.id) & (WaitEntry.day >= today_local()))
        .order_by(WaitEntry.day)
    )


def move(appointment: Appointment, slot_id: int, staff: User, now: datetime | None = None) -> Appointment:
    """Staff move an appointment to another free slot of the same desk; the person is told."""
    now = now or utcnow()
    if appointment.status != "booked":
        raise DeskRefusal(_("Si sposta solo un appuntamento ancora da fare."))
    slot = Slot.get_or_none((Slot.id == slot_id) & (Slot.desk == appointment.desk_id))
    if slot is None or slot.blocked or slot.starts_at <= now:
        raise DeskRefusal(_("Questo orario non è disponibile: scegline un altro."), status=409, field="slot")
    old_day = local_date(appointment.slot.starts_at)
    try:
        with database().atomic():
            Appointment.update(slot=slot.id, changed_at=now, reminded_at=None).where(
                Appointment.id == appointment.id
            ).execute()
            moved = Appointment.get_by_id(appointment.id)
            tell(moved, MOVED, now)
            offer_to_waitlist(appointment.desk, old_day, now)
    except IntegrityError:
        raise DeskRefusal(_("Nel frattempo qualcuno ha preso questo orario: scegline un altro."), status=409) from None
    return moved


def mark(appointment: Appointment, status: str, staff: User, now: datetime | None = None) -> None:
    """The operator records that the person arrived, or did not come."""
    now = now or utcnow()
    if status not in ("arrived", "no_show", "booked"):
        raise DeskRefusal(_("Stato non valido."))
    if appointment.status == "cancelled":
        raise DeskRefusal(_("Questo appuntamento è stato annullato."), status=409)
    if appointment.slot.starts_at - timedelta(hours=12) > now:
        raise DeskRefusal(_("Arrivi e assenze si segnano il giorno dell'appuntamento."), status=409)
    with database().atomic():
        Appointment.update(status=status, arrived_at=now if status == "arrived" else None, changed_at=now).where(
            Appointment.id == appointment.id
        ).execute()


def read_private(appointment: Appointment, staff: User) -> Appointment:
    """The appointment with its subject and note, for the desk's operators and admins; audited."""
    if not is_operator(staff, appointment.desk_id):
        raise DeskRefusal(_("Solo chi gestisce questo sportello può leggere le note."), status=403)
    with database().atomic():
        audit.record(
            "desks.read_note",
            subject_user=appointment.user_id,
            site=appointment.desk.site_id,
            area=AREA,
            record=f"desks.appointment:{appointment.id}",
            detail=f"desk {appointment.desk_id}",
            actor=staff,
        )
    return appointment


def save_note(appointment: Appointment, note: str, staff: User, now: datetime | None = None) -> None:
    """The operator writes the private note of an appointment (audited)."""
    now = now or utcnow()
    if not is_operator(staff, appointment.desk_id):
        raise DeskRefusal(_("Solo chi gestisce questo sportello può scrivere le note."), status=403)
    with database().atomic():
        Appointment.update(note=note, changed_at=now).where(Appointment.id == appointment.id).execute()
        audit.record(
            "desks.write_note",
            subject_user=appointment.user_id,
            site=appointment.desk.site_id,
            area=AREA,
            record=f"desks.appointment:{appointment.id}",
            actor=staff,
        )


# --- desks (staff) --------------------------------------------------------------------------------

DESK_FIELDS = (
    "name",
    "partner",
    "topics",
    "languages",
    "helps_with",
    "what_to_bring",
    "mode",
    "drop_in_hours",
    "cancel_cutoff_hours",
    "max_open_per_person",
    "advance_days",
    "active",
)


def save_desk(desk: Desk | None, site: Site, values: dict[str, Any], operator_ids: Sequence[int]) -> Desk:
    """Create or change a desk, set who runs it (staff of its centre), and offer its slots again."""
    allowed = {row.user_id for row in StaffSite.select(StaffSite.user).where(StaffSite.site == site.id)} | {
        u.id for u in User.select(User.id).where(User.role == "admin")
    }
    if set(operator_ids) - allowed:
        raise DeskRefusal(_("Scegli tra il personale del centro."), field="operators")
    fields = {key: values[key] for key in DESK_FIELDS if key in values}
    with database().atomic():
        if desk is None:
            desk = Desk.create(site=site.id, **fields)
        else:
            Desk.update(**fields).where(Desk.id == desk.id).execute()
            desk = Desk.get_by_id(desk.id)
        DeskOperator.delete().where(
            (DeskOperator.desk == desk.id) & DeskOperator.user.not_in(list(operator_ids) or [0])
        ).execute()
        for user_id in operator_ids:
            DeskOperator.insert(desk=desk.id, user=user_id).on_conflict_ignore().execute()
        materialise(desk)
    return desk


# --- schedules (staff) ---------------------------------------------------------------------------


def add_schedule(
    desk: Desk,
    weekday: int,
    starts: time,
    ends: time,
    minutes: int,
    operator_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Add a weekly rule (hours, slot length, who holds it) and offer its slots; returns the slots added."""
    if ends <= starts:
        raise DeskRefusal(_("L'ora di fine deve venire dopo l'ora di inizio."), field="ends")
    if (
        operator_id
        and not DeskOperator.select()
        .where((DeskOperator.desk == desk.id) & (DeskOperator.user == operator_id))
        .exists()
    ):
        raise DeskRefusal(_("Scegli tra chi gestisce lo sportello."), field="operator")
    with database().atomic():
        Schedule.create(
            desk=desk.id, weekday=weekday, starts=starts, ends=ends, slot_minutes=minutes, operator=operator_id or None
        )
        return materialise(desk, now)


def remove_schedule(desk: Desk, schedule_id: int, now: datetime | None = None) -> int:
    with database().atomic():
        Schedule.delete().where((Schedule.id == schedule_id) & (Schedule.desk == desk.id)).execute()
        return materialise(desk, now)


def add_day(
    desk: Desk,
    day: date,
    kind: str,
    starts: time | None = None,
    ends: time | None = None,
    minutes: int = 30,
    reason: str = "",
    now: datetime | None = None,
) -> int:
    """An extra session (`extra`) or a blocked day (`blocked`); returns the slots changed."""
    if day < today_local():
        raise DeskRefusal(_("Scegli oggi o un giorno futuro."), field="day")
    if kind == "extra":
        if not starts or not ends or ends <= starts:
            raise DeskRefusal(_("Per una sessione in più servono l'ora di inizio e quella di fine."), field="starts")
        if day in closed_days(desk.site_id, day, day):
            raise DeskRefusal(_("Quel giorno il centro è chiuso."), field="day")
    with database().atomic():
        DeskDay.create(desk=desk.id, day=day, kind=kind, starts=starts, ends=ends, slot_minutes=minutes, reason=reason)
        return materialise(desk, now)


def remove_day(desk: Desk, day_id: int, now: datetime | None = None) -> int:
    with database().atomic():
        DeskDay.delete().where((DeskDay.id == day_id) & (DeskDay.desk == desk.id)).execute()
        return materialise(desk, now)


def stranded(desk: Desk, now: datetime | None = None) -> list[Appointment]:
    """Booked appointments whose slot is now blocked (an operator away, a closure): staff move them."""
    now = now or utcnow()
    return list(
        Appointment.select(Appointment, Slot)
        .join(Slot)
        .where((Appointment.desk == desk.id) & (Appointment.status == "booked") & Slot.blocked & (Slot.starts_at > now))
        .order_by(Slot.starts_at)
    )


# --- reading -------------------------------------------------------------------------------------


def day_list(desk: Desk, day: date) -> list[Appointment]:
    """The appointments of a desk on a Milan day (every status), in time order."""
    lo, hi = local_day_bounds(day)
    return list(
        Appointment.select(Appointment, Slot, User)
        .join(Slot)
        .switch(Appointment)
        .join(User, JOIN.LEFT_OUTER, on=(Appointment.user == User.id))
        .where((Appointment.desk == desk.id) & (Slot.starts_at >= lo) & (Slot.starts_at < hi))
        .order_by(Slot.starts_at, Appointment.created_at)
    )


def my_appointments(user: User) -> list[Appointment]:
    return list(
        Appointment.select(Appointment, Slot, Desk, Site)
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .join(Site)
        .where(Appointment.user == user.id)
        .order_by(Slot.starts_at.desc())
    )


def calendar_entries(user: User) -> list[CalendarEntry]:
    """The person's appointments for their calendar feed (cancelled ones marked so)."""
    entries = []
    for appointment in my_appointments(user):
        desk = appointment.desk
        entries.append(
            CalendarEntry(
                uid=f"desk-appointment-{appointment.id}",
                starts_at=appointment.slot.starts_at,
                ends_at=appointment.slot.ends_at,
                summary=_("Sportello: %(name)s", name=desk.name),
                changed_at=appointment.changed_at,
                description=desk.what_to_bring and _("Da portare: %(what)s", what=desk.what_to_bring) or "",
                location=f"{desk.site.name}, {desk.site.full_address}",
                url=_absolute("desks.my_appointments"),
                cancelled=appointment.status == "cancelled",
            )
        )
    return entries


# --- notices -------------------------------------------------------------------------------------


def _absolute(endpoint: str, **values: Any) -> str:
    """An absolute link from BASE_URL, never from the request."""
    base = current_app.config.get("BASE_URL") or ""
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):  # a job: no request, the path alone from the URL map
        return base + url_for(endpoint, **values)


def _when(moment: datetime) -> str:
    return to_local(moment).strftime("%d/%m/%Y %H:%M")


def compose(appointment: Appointment, kind: str) -> tuple[str, str]:
    """(subject, body) of a notice about an appointment, in the current locale."""
    desk = appointment.desk
    where = f"{desk.site.name}, {desk.site.full_address}"
    when = _when(appointment.slot.starts_at)
    link = (
        _absolute("desks.my_appointments")
        if appointment.user_id
        else _absolute("desks.guest_cancel", token=appointment.token)
    )
    bring = "\n" + _("Da portare: %(what)s", what=desk.what_to_bring) if desk.what_to_bring else ""
    if kind == CONFIRMED:
        subject = _("Binari: appuntamento confermato")
        body = _(
            "Appuntamento allo sportello «%(desk)s»: %(when)s, %(where)s.%(bring)s\n\n"
            "Per annullare: %(link)s\n\nBinari",
            desk=desk.name,
            when=when,
            where=where,
            bring=bring,
            link=link,
        )
    elif kind == REMINDER:
        subject = _("Binari: domani hai un appuntamento")
        body = _(
            "Ti ricordiamo l'appuntamento allo sportello «%(desk)s»: %(when)s, %(where)s.%(bring)s\n\n"
            "Se non puoi venire: %(link)s\n\nBinari",
            desk=desk.name,
            when=when,
            where=where,
            bring=bring,
            link=link,
        )
    elif kind == MOVED:
        subject = _("Binari: il tuo appuntamento è stato spostato")
        body = _(
            "Lo sportello «%(desk)s» ha spostato il tuo appuntamento a: %(when)s, %(where)s.\n\n"
            "Se il nuovo orario non va bene: %(link)s\n\nBinari",
            desk=desk.name,
            when=when,
            where=where,
            link=link,
        )
    else:
        subject = _("Binari: appuntamento annullato")
        body = _(
            "Lo sportello «%(desk)s» ha dovuto annullare l'appuntamento del %(when)s. "
            "Scegli un altro orario: %(link)s\n\nBinari",
            desk=desk.name,
            when=when,
            link=_absolute("desks.detail", desk_id=desk.id),
        )
    return subject, body


def tell(appointment: Appointment, kind: str, now: datetime) -> bool:
    """Mail the person (True), or put the appointment on the desk's phone list when there is no e-mail.

    A confirmation is not phoned: the person has just booked, on the page or with the operator.
    """
    email = appointment.email
    if email:
        person = appointment.user if appointment.user_id else None
        language = (person.language if person is not None else None) or appointment.language or None
        with force_locale(language or "it"):
            subject, body = compose(appointment, kind)
        send_mail(
            email,
            subject,
            body,
            user=person,
            site=appointment.desk.site_id,
            kind="reminder" if kind == REMINDER else "notice",
            language=language or "it",
        )
        return True
    if kind != CONFIRMED and appointment.phone:
        Appointment.update(phone_reason=kind, phone_since=now, phoned_at=None, phoned_by=None).where(
            Appointment.id == appointment.id
        ).execute()
    return False


def phone_list(site_ids: Sequence[int], now: datetime | None = None) -> list[Appointment]:
    """Appointments whose person must be phoned at these centres (and the calls of the last week)."""
    now = now or utcnow()
    if not site_ids:
        return []
    return list(
        Appointment.select(Appointment, Desk, Slot)
        .join(Desk)
        .switch(Appointment)
        .join(Slot)
        .where(
            Desk.site.in_(list(site_ids))
            & (Appointment.phone_reason != "")
            & (Appointment.phoned_at.is_null() | (Appointment.phoned_at >= now - timedelta(days=7)))
        )
        .order_by(Appointment.phone_since)
    )


def wait_phone_list(site_ids: Sequence[int], now: datetime | None = None) -> list[WaitEntry]:
    """Members without e-mail told by phone that a time is free (and the calls of the last week)."""
    now = now or utcnow()
    if not site_ids:
        return []
    return list(
        WaitEntry.select(WaitEntry, Desk, User)
        .join(Desk)
        .switch(WaitEntry)
        .join(User, on=(WaitEntry.user == User.id))
        .where(
            Desk.site.in_(list(site_ids))
            & WaitEntry.offered_at.is_null(False)
            & (User.email.is_null() | (User.email == ""))
            & (WaitEntry.day >= local_date(now))
            & (WaitEntry.phoned_at.is_null() | (WaitEntry.phoned_at >= now - timedelta(days=7)))
        )
        .order_by(WaitEntry.offered_at)
    )


def record_wait_call(entry: WaitEntry, staff: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    with database().atomic():
        WaitEntry.update(phoned_at=now, phoned_by=staff.id).where(WaitEntry.id == entry.id).execute()


def record_phone_call(appointment: Appointment, staff: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    with database().atomic():
        Appointment.update(phoned_at=now, phoned_by=staff.id).where(Appointment.id == appointment.id).execute()


# --- jobs ------------------------------------------------------------------------------------------


def run_retention(now: datetime) -> int:
    """Empty notes and subjects N months (DESK_NOTE_RETENTION_MONTHS) after the appointment. Idempotent."""
    months = int(current_app.config.get("DESK_NOTE_RETENTION_MONTHS", 12))
    limit = now - relativedelta(months=months)
    old = Slot.select(Slot.id).where(Slot.ends_at < limit)
    with database().atomic():
        purged = (
            Appointment.update(subject="", note="", purged_at=now)
            .where(Appointment.slot.in_(old) & ((Appointment.subject != "") | (Appointment.note != "")))
            .execute()
        )
        WaitEntry.delete().where(WaitEntry.day < local_date(now) - timedelta(days=30)).execute()
    return purged


def run_materialise(now: datetime) -> int:
    """Offer the slots of the coming weeks for every desk by appointment. Idempotent."""
    return sum(materialise(desk, now) for desk in Desk.select().where(Desk.active & (Desk.mode == MODE_APPOINTMENTS)))
