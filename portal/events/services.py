"""The calendar's rules: seats and waitlist, registrations, events and proposals,
reminders and the forgetting of guests' contacts.

Views validate a form, call ONE function here and render; a `Refusal` carries
the message (in the asking person's language), the status and the field.
Mail texts live in `notices`, series in `series`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, cast

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import IntegrityError, ModelSelect

from portal.areas import PhoneCall
from portal.clock import local_date, local_day_bounds, to_local, to_utc, utcnow
from portal.db import database
from portal.models import Site, User, closed_days
from portal.phrases import Phrase, phrase
from portal.refusals import Refusal
from portal.reminders import in_site_context, morning_yet, remind

from .models import Event, Registration
from .notices import (
    language_of,
    notify_cancelled,
    notify_changed,
    notify_guest_already_registered,
    notify_guest_confirm,
    notify_promoted,
    notify_proposal_approved,
    notify_proposal_rejected,
    notify_registered,
    reminder_text,
    request_language,
)


def time_of(moment: datetime) -> str:
    """HH:MM in Milan."""
    return to_local(moment).strftime("%H:%M")


class AlreadyRegistered(Refusal):
    """The person already holds a seat or a waitlist place for this event."""

    def __init__(self, message: str | None = None, status: int = 422, field: str | None = None) -> None:
        super().__init__(
            message or _("Risulti già iscritta/o a questo evento (o in lista d'attesa) con questi dati."), status, field
        )


class RegistrationClosed(Refusal):
    """Cancelled, past, not published or without registration."""

    def __init__(self, message: str | None = None, status: int = 422, field: str | None = None) -> None:
        super().__init__(message or _("Le iscrizioni a questo evento sono chiuse."), status, field)


def _closed_message(event: Event | None, desk: bool) -> str:
    """Why nobody can register for `event` now, for a member/guest or for the staff's desk."""
    if desk:
        if event is not None and event.capacity is None:
            return _("Questo evento non ha posti da prenotare: l'ingresso è libero.")
        return _("Le iscrizioni sono chiuse: l'evento è annullato, passato o non pubblicato.")
    if event is None:
        return _("Le iscrizioni a questo evento sono chiuse.")
    if event.is_cancelled:
        return _("Questo evento è stato annullato: non ci si può più iscrivere.")
    if event.capacity is None:
        return _("Per questo evento non serve iscriversi: l'ingresso è libero.")
    return _("Questo evento è già iniziato o passato: non ci si può più iscrivere.")


# --- seats and waitlist -----------------------------------------------------------
def register(
    event_id: int,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    user: int | User | None = None,
    source: str = "online",
    added_by: int | User | None = None,
    language: str | None = None,
    confirm_by: datetime | None = None,
    course_key: str | None = None,
) -> Registration:
    """Give a seat if one is free, else a waitlist place. Returns the Registration.

    The seat is taken by a conditional UPDATE (taken + 1 <= capacity) whose row
    count decides, inside one transaction: two requests can never take the
    last seat twice. The partial unique indexes refuse a second registration.
    `confirm_by` marks a guest's place as unconfirmed: it holds the seat until then.
    An account holder always wins over a guest row with the same address or number:
    an unconfirmed one is cancelled first (its seat goes to the account), a
    confirmed one (its owner proved the address) becomes the account's.
    """
    desk = added_by is not None
    try:
        with database().atomic():
            event = Event.get_or_none(Event.id == event_id)
            if event is None or event.capacity is None or event.status != "published" or event.starts_at <= utcnow():
                raise RegistrationClosed(_closed_message(event, desk))
            if user is not None:
                claimed = _account_wins(event_id, user, email, phone)
                if claimed is not None:
                    return claimed
            got_seat = (
                Event.update(taken=Event.taken + 1)
                .where((Event.id == event_id) & (Event.status == "published") & (Event.taken + 1 <= Event.capacity))
                .execute()
            ) == 1
            return Registration.create(
                event=event_id,
                user=user,
                name=name.strip()[:120],
                email=(email or "").strip().lower() or None,
                phone=phone or None,
                status="confirmed" if got_seat else "waitlist",
                source=source,
                added_by=added_by,
                # At the desk the staff's own language says nothing about the person's.
                language=language
                or (current_app.config.get("BABEL_DEFAULT_LOCALE", "it") if desk else request_language()),
                confirm_by=confirm_by,
                call_reason="confirm" if confirm_by is not None and not (email or "").strip() else "",
                course_key=course_key,
            )
    except IntegrityError as exc:  # the transaction rolled back: the seat was given back too
        message = _("Questa persona è già iscritta (o in lista d'attesa).") if desk else None
        raise AlreadyRegistered(message) from exc


def _account_wins(event_id: int, user: int | User, email: str | None, phone: str | None) -> Registration | None:
    """Inside register()'s transaction: clear the way for an account from guest rows with its contacts.

    Returns a confirmed guest row now given to the account (the account is registered), else None.
    """
    email = (email or "").strip().lower() or None
    match = None
    if email:
        match = Registration.email == email
    if phone:
        match = (Registration.phone == phone) if match is None else (match | (Registration.phone == phone))
    if match is None:
        return None
    guests = Registration.select().where(
        (Registration.event == event_id) & Registration.user.is_null() & (Registration.status != "cancelled") & match
    )
    for guest in list(guests):
        if guest.confirm_by is None:  # proved by its mailed link or confirmed by staff: it is this person's
            Registration.update(user=user).where(Registration.id == guest.id).execute()
            guest.user = user
            return guest
        changed = (
            Registration.update(status="cancelled", cancelled_at=utcnow(), call_reason="")
            .where((Registration.id == guest.id) & (Registration.status == guest.status))
            .execute()
        )
        if changed and guest.status == "confirmed":
            Event.update(taken=Event.taken - 1).where((Event.id == event_id) & (Event.taken > 0)).execute()
    return None


def guest_sign_up(event: Event, name: str, email: str | None, phone: str | None) -> str:
    """A guest asks for a place: limits, an unconfirmed place, and a mail with fixed text.

    Returns how the guest confirms: "mail" (a link was mailed) or "phone" (staff call).
    The answer is the same whether or not the address or number was already registered:
    the mail says so instead, so the page never tells a stranger who is registered.
    Over a limit: TooManyGuestRequests (429). Closed event: RegistrationClosed.
    """
    from portal.guests import admit, confirm_deadline

    admit("event", event.id)
    email = (email or "").strip().lower() or None
    try:
        reg = register(event.id, name, email=email, phone=phone, confirm_by=confirm_deadline(bool(email)))
    except AlreadyRegistered:
        if email:
            notify_guest_already_registered(event, email)
        return "mail" if email else "phone"
    reg.event = event
    notify_guest_confirm(reg)
    return "mail" if email else "phone"


def confirm_registration(reg: Registration) -> bool:
    """A guest's place is confirmed (mailed link, or staff after a call). False when there was nothing to confirm.

    A place asked for with a whole course is confirmed with the course's other dates: the person
    asked for them in one step and confirms them in one step."""
    which = (Registration.course_key == reg.course_key) if reg.course_key else (Registration.id == reg.id)
    changed = (
        Registration.update(confirm_by=None, call_reason="")
        .where(which & (Registration.status != "cancelled") & Registration.confirm_by.is_null(False))
        .execute()
    )
    if changed:
        reg.confirm_by, reg.call_reason = None, ""
    return bool(changed)


def expire_unconfirmed(now: datetime | None = None) -> int:
    """Job: free the places of guests who did not confirm in time (waitlist promoted). Idempotent.

    A guest with only a phone number stays on the phone list ("expired"), so staff can tell them.
    """
    now = now or utcnow()
    due = Registration.select(Registration.id, Registration.email).where(
        (Registration.status != "cancelled") & Registration.confirm_by.is_null(False) & (Registration.confirm_by < now)
    )
    count = 0
    for reg in list(due.limit(500)):
        cancelled, _promoted = cancel_registration(reg.id)
        if cancelled is not None:
            Registration.update(call_reason="" if reg.email else "expired").where(Registration.id == reg.id).execute()
            count += 1
    return count


def expire_unconfirmed_job(now: datetime) -> int:
    """Scheduled (every minute): see expire_unconfirmed."""
    return expire_unconfirmed(now)


def sign_up(event: Event, name: str, email: str | None = None, phone: str | None = None, **kwargs: Any) -> Registration:
    """Register a person (online, by phone or at the door) and send the confirmation mail."""
    reg = register(event.id, name, email=email, phone=phone, **kwargs)
    reg.event = event
    notify_registered(reg)
    return reg


def cancel_registration(registration_id: int) -> tuple[Registration | None, Registration | None]:
    """Cancel a registration; a freed seat goes to the first on the waitlist.

    Returns (cancelled registration or None, promoted registration or None).
    """
    with database().atomic():
        reg = Registration.get_or_none(Registration.id == registration_id)
        if reg is None or reg.status == "cancelled":
            return None, None
        was_confirmed = reg.status == "confirmed"
        changed = (
            Registration.update(status="cancelled", cancelled_at=utcnow())
            .where((Registration.id == reg.id) & (Registration.status == reg.status))
            .execute()
        )
        if not changed:
            return None, None
        promoted = None
        if was_confirmed:
            Event.update(taken=Event.taken - 1).where((Event.id == reg.event_id) & (Event.taken > 0)).execute()
            promoted = promote_waitlist(reg.event_id)
        reg.status = "cancelled"
    if promoted:
        notify_promoted(promoted)
    return reg, promoted


def promote_waitlist(event_id: int) -> Registration | None:
    """Move the first person in line to a free seat (call inside a transaction)."""
    event = Event.get_by_id(event_id)
    if event.status != "published" or event.starts_at <= utcnow():
        return None
    first = (
        Registration.select()
        .where((Registration.event == event_id) & (Registration.status == "waitlist"))
        .order_by(Registration.created_at, Registration.id)
        .first()
    )
    if first is None:
        return None
    seat = (
        Event.update(taken=Event.taken + 1)
        .where((Event.id == event_id) & (Event.taken + 1 <= Event.capacity))
        .execute()
    )
    if seat != 1:
        return None
    Registration.update(status="confirmed", promoted_at=utcnow(), call_reason="" if first.email else "promoted").where(
        Registration.id == first.id
    ).execute()
    first.status = "confirmed"
    return first


def grow_capacity(event: Event) -> list[Registration]:
    """After staff raised the capacity, fill the new seats from the waitlist."""
    promoted = []
    with database().atomic():
        while True:
            person = promote_waitlist(event.id)
            if person is None:
                break
            promoted.append(person)
    for person in promoted:
        notify_promoted(person)
    return promoted


def cancel_event(event: Event, reason: str) -> list[Registration]:
    """Cancel an event and tell everyone registered (mail, or the phone list).

    Only public events are cancelled: a cancelled event is shown as "Annullato", so cancelling a draft
    would publish it (drafts are deleted instead, `drafts.delete_draft`)."""
    if event.status not in ("published", "cancelled"):
        raise Refusal(_("Si annullano solo gli eventi pubblicati: una bozza si elimina."), status=400)
    with database().atomic():
        event.status = "cancelled"
        event.cancel_reason = reason
        event.save()
        people = list(
            Registration.select().where((Registration.event == event.id) & (Registration.status != "cancelled"))
        )
        Registration.update(call_reason="cancelled").where(
            (Registration.event == event.id) & (Registration.status != "cancelled") & Registration.email.is_null()
        ).execute()
    for reg in people:
        notify_cancelled(reg, event, reason)
    return people


def mark_attendance(event: Event, present: Collection[int]) -> None:
    """Who came (ids in `present`) and who did not, among the confirmed registrations."""
    with database().atomic():
        confirmed = [
            r.id
            for r in Registration.select(Registration.id).where(
                (Registration.event == event.id) & (Registration.status == "confirmed")
            )
        ]
        Registration.update(attended=True).where(Registration.id.in_([i for i in confirmed if i in present])).execute()
        Registration.update(attended=False).where(
            Registration.id.in_([i for i in confirmed if i not in present])
        ).execute()


# --- events and proposals --------------------------------------------------------
def closed_dates(site: Site | int, days: Iterable[date]) -> list[date]:
    """The given days on which the centre is closed (holidays or closures), in order."""
    days = sorted(set(days))
    if not days:
        return []
    site_id = site if isinstance(site, int) else site.id
    closed = closed_days(site_id, days[0], days[-1])
    return [d for d in days if d in closed]


def create_event(values: dict[str, Any], day: date, start: time, end: time, status: str, user: User) -> Event:
    """A single event from staff's form values (Milan wall-clock day and times)."""
    with database().atomic():
        return Event.create(
            starts_at=to_utc(day, start),
            ends_at=to_utc(day, end),
            status=status,
            created_by=user.id,
            **values,
        )


def update_event(event: Event, values: dict[str, Any], day: date, start: time, end: time, status: str) -> Event:
    """Edit one event (in a series, only this date: it is detached from the series).

    The capacity changes by a conditional UPDATE, so it never drops below the
    seats already taken, even when someone registers meanwhile; new seats go to
    the waitlist.
    """
    old_capacity = event.capacity
    before = (event.starts_at, event.ends_at, event.site_id, event.room_id)
    capacity = values["capacity"]
    with database().atomic():
        if capacity is None:
            changed = Event.update(capacity=None).where((Event.id == event.id) & (Event.taken == 0)).execute()
        else:
            changed = (
                Event.update(capacity=capacity).where((Event.id == event.id) & (Event.taken <= capacity)).execute()
            )
        if changed != 1:
            taken = Event.select(Event.taken).where(Event.id == event.id).scalar() or 0
            if capacity is None:
                message = _("Ci sono persone iscritte: annulla le iscrizioni prima di togliere i posti.")
            else:
                message = ngettext(
                    "C'è già %(num)d iscritto: i posti non possono essere meno.",
                    "Ci sono già %(num)d iscritti: i posti non possono essere meno.",
                    taken,
                )
            raise Refusal(message, field="capacity")
        for key, value in values.items():
            setattr(event, key if key not in ("site", "room", "partner") else f"{key}_id", value)
        event.starts_at = to_utc(day, start)
        event.ends_at = to_utc(day, end)
        if event.status in ("published", "draft"):
            event.status = status
        if event.series_id:
            event.detached = True
        # taken and capacity change only by conditional UPDATEs: never write them back from here.
        event.save(only=[f for f in Event._meta.sorted_fields if f.name not in ("taken", "capacity", "id")])
    if (capacity or 0) > (old_capacity or 0):
        grow_capacity(event)
    if event.status == "published" and before != (event.starts_at, event.ends_at, event.site_id, event.room_id):
        tell_changed(event)
    return event


def tell_changed(event: Event) -> int:
    """The day, time or place changed: mail the people registered (waitlist too); people without
    e-mail go on the phone list; the reminder the day before will be sent again for the new day."""
    regs = list(Registration.select().where((Registration.event == event.id) & (Registration.status != "cancelled")))
    Registration.update(reminded_at=None).where(Registration.id.in_([r.id for r in regs])).execute()
    for reg in regs:
        reg.event = event
        if reg.email:
            notify_changed(reg, event)
        elif reg.phone:
            Registration.update(call_reason="changed").where(
                (Registration.id == reg.id) & (Registration.call_reason == "")
            ).execute()
    return len(regs)


def publish_event(event: Event, whole_series: bool = False) -> None:
    """Publish a draft (or, for a series, every draft date of it)."""
    if event.status != "draft":
        raise Refusal(_("Si può pubblicare solo una bozza."), status=400)
    with database().atomic():
        if event.series_id and whole_series:
            Event.update(status="published", updated_at=utcnow()).where(
                (Event.series == event.series_id) & (Event.status == "draft")
            ).execute()
        else:
            event.status = "published"
            event.save()


def propose_event(user: User, values: dict[str, Any], day: date, start: time, end: time) -> Event:
    """A resident's or partner's proposal: pending until staff decide."""
    with database().atomic():
        return Event.create(
            starts_at=to_utc(day, start),
            ends_at=to_utc(day, end),
            status="pending",
            proposed_by=user.id,
            **values,
        )


def _decide(event: Event, status: str, note: str) -> None:
    changed = (
        Event.update(status=status, moderation_note=note, updated_at=utcnow())
        .where((Event.id == event.id) & (Event.status == "pending"))
        .execute()
    )
    if changed != 1:
        raise Refusal(_("Questa proposta è già stata decisa."), status=400)
    event.status, event.moderation_note = status, note


def approve_proposal(event: Event) -> None:
    """Approve a proposal: it is published and the proposer told, in their language."""
    _decide(event, "published", "")
    notify_proposal_approved(event)


def reject_proposal(event: Event, message: str) -> None:
    """Reject a proposal; the message goes to the proposer, in their language."""
    _decide(event, "rejected", message)
    notify_proposal_rejected(event, message)


# --- people to phone -------------------------------------------------------------------
def call_done(reg: Registration) -> None:
    """The person has been phoned: off the list."""
    Registration.update(call_reason="").where(Registration.id == reg.id).execute()


def calls_query(site_ids: Sequence[int]) -> ModelSelect:
    """Registrations whose person must be phoned (no e-mail), at these centres."""
    return (
        Registration.select(Registration, Event, Site)
        .join(Event)
        .join(Site)
        .where(Event.site.in_(list(site_ids)) & (Registration.call_reason != ""))
        .order_by(Event.starts_at, Registration.id)
    )


def people_to_phone(site_ids: Sequence[int]) -> list[PhoneCall]:
    """The `people_to_phone` slot: promoted from the waitlist, event cancelled, guest place to confirm or expired."""
    calls = []
    regs = cast("list[Registration]", list(calls_query(site_ids)))
    # A guest who asked for a whole course by phone is one call (confirm, or tell it expired), not one per date.
    course_dates: dict[tuple[str, str], int] = {}
    for reg in regs:
        if reg.course_key and reg.call_reason in COURSE_CALLS:
            course_dates[(reg.course_key, reg.call_reason)] = course_dates.get((reg.course_key, reg.call_reason), 0) + 1
    for reg in regs:
        event = reg.event
        group = (reg.course_key or "", reg.call_reason)
        if group in course_dates:
            calls.append(_course_call(reg, course_dates.pop(group)))
            continue
        if group[0] and reg.call_reason in COURSE_CALLS:
            continue  # another date of a course already listed
        if reg.call_reason == "promoted":
            reason = phrase("Ha un posto per «%(title)s» (dalla lista d'attesa)", title=event.title)
            since = reg.promoted_at
        elif reg.call_reason == "changed":
            reason = phrase(
                "«%(title)s» è cambiato: ora %(when)s",
                title=event.title,
                when=to_local(event.starts_at).strftime("%d/%m/%Y %H:%M"),
            )
            since = event.updated_at
        elif reg.call_reason == "confirm":
            reason = phrase("Iscrizione a «%(title)s» da confermare per telefono", title=event.title)
            since = reg.created_at
        elif reg.call_reason == "expired":
            reason = phrase("Iscrizione a «%(title)s» scaduta: non confermata in tempo", title=event.title)
            since = reg.cancelled_at
        else:
            reason = phrase("«%(title)s» è annullato", title=event.title)
            since = event.updated_at
        calls.append(
            PhoneCall(
                area="events",
                site_id=event.site_id,
                name=reg.name,
                phone=reg.phone or "",
                reason=reason,
                link=url_for("events.staff_registrations", event_id=event.id),
                since=since,
                key=f"reg:{reg.id}:{reg.call_reason}",
            )
        )
    return calls


COURSE_CALLS = ("confirm", "expired")


def _course_call(reg: Registration, dates: int) -> PhoneCall:
    """The phone list's one entry for a guest's whole-course request (`dates` of them) to confirm or expired."""
    event = reg.event
    if reg.call_reason == "confirm":
        reason = ngettext(
            "Iscrizione a tutto il corso «%(title)s» (%(num)d data) da confermare per telefono",
            "Iscrizione a tutto il corso «%(title)s» (%(num)d date) da confermare per telefono",
            dates,
            title=event.title,
        )
        since = reg.created_at
    else:
        reason = ngettext(
            "Iscrizione a tutto il corso «%(title)s» (%(num)d data) scaduta: non confermata in tempo",
            "Iscrizione a tutto il corso «%(title)s» (%(num)d date) scaduta: non confermata in tempo",
            dates,
            title=event.title,
        )
        since = reg.cancelled_at or reg.created_at
    return PhoneCall(
        area="events",
        site_id=event.site_id,
        name=reg.name,
        phone=reg.phone or "",
        reason=reason,
        link=url_for("events.staff_registrations", event_id=event.id),
        since=since,
        key=f"course:{reg.course_key}:{reg.call_reason}",
    )


def phone_done(key: str, staff: User) -> bool:
    """The `phone_done` slot: the core phone list recorded the call; the registration leaves the list."""
    kind, _sep, rest = key.partition(":")
    reg_id, _sep, reason = rest.partition(":")
    if kind == "course" and reason in COURSE_CALLS:  # every date of a whole-course request at once
        return bool(
            Registration.update(call_reason="")
            .where((Registration.course_key == reg_id) & (Registration.call_reason == reason))
            .execute()
        )
    if kind != "reg" or not reg_id.isdigit():
        return False
    return bool(
        Registration.update(call_reason="")
        .where((Registration.id == int(reg_id)) & (Registration.call_reason == reason))
        .execute()
    )


# --- reminders the day before --------------------------------------------------------------
REMINDER_KIND = "events_day_before"


def _reminder_reason(event: Event) -> Phrase:
    return phrase("Promemoria: domani «%(title)s» alle %(time)s", title=event.title, time=time_of(event.starts_at))


@in_site_context
def remind_day_before(now: datetime) -> int:
    """The job: remind people with a seat at an event on the next Milan day (from 08:00).

    Once per registration (`portal.reminders.remind` keeps the key); people who registered less
    than a day before the event need no reminder; people without e-mail go on the phone list.
    Returns how many reminders were given (mail or phone list).
    """
    if not morning_yet(now):
        return 0
    first, last = local_day_bounds(local_date(now) + timedelta(days=1))
    due = (
        Registration.select(Registration, Event, Site)
        .join(Event)
        .join(Site)
        .where(
            (Registration.status == "confirmed")
            & Registration.reminded_at.is_null()
            & (Event.status == "published")
            & (Event.starts_at >= first)
            & (Event.starts_at < last)
        )
        .order_by(Event.starts_at, Registration.id)
    )
    given = 0
    for reg in list(due):  # read first: an open cursor makes the claims fail ("database is locked")
        if reg.created_at > reg.event.starts_at - timedelta(hours=24):
            continue  # registered less than a day before: they remember
        event = reg.event
        channel = remind(
            f"events:reg:{reg.id}:day_before:{event.starts_at:%Y%m%d%H%M}",
            REMINDER_KIND,
            site_id=event.site_id,
            name=reg.name,
            email=reg.email,
            phone=reg.phone,
            user=reg.user_id,
            language=language_of(reg),
            message=partial(reminder_text, reg),
            reason=partial(_reminder_reason, event),
            link=url_for("events.staff_registrations", event_id=event.id),
        )
        Registration.update(reminded_at=now).where(
            (Registration.id == reg.id) & Registration.reminded_at.is_null()
        ).execute()
        given += bool(channel)
    return given


def send_due_reminders(limit: int = 10, now: datetime | None = None) -> int:
    """Run the day-before reminders now (the scheduler runs `remind_day_before` every hour)."""
    return remind_day_before(now or utcnow())


GUEST_DATA_DAYS = 180


def purge_guest_contacts(days: int = GUEST_DATA_DAYS, now: datetime | None = None) -> int:
    """Forget guests' names and contacts some months after their event.

    Counts and attendance stay (for the centres' reports); people with an account
    keep their history on their own page. Run daily by the job "events-purge-guests".
    Returns the number of rows anonymised.
    """
    old_events = Event.select(Event.id).where(Event.ends_at < (now or utcnow()) - timedelta(days=days))
    return (
        Registration.update(name="—", email=None, phone=None, call_reason="")
        .where(
            Registration.user.is_null()
            & Registration.event.in_(old_events)
            & ((Registration.email.is_null(False)) | (Registration.phone.is_null(False)) | (Registration.name != "—"))
        )
        .execute()
    )


# --- scheduled jobs (portal.jobs runs them; each is idempotent) --------------------------------


def purge_guests_job(now: datetime) -> int:
    """Anonymise guests of events long past (rows already anonymised are left alone)."""
    with database().atomic():
        return purge_guest_contacts(now=now)
