"""The booking rules: slots from opening hours, booking, cancelling, loans.

Every write happens inside `with database().atomic():`. Overlaps are refused
by the unique indexes of SlotClaim / ItemClaim (IntegrityError rolls the whole
request back), quotas by a conditional UPDATE checked by its row count. Work
that must happen "later" (releasing no-shows, keeping overdue items blocked) is
done lazily whenever availability is read, never by cron.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from peewee import IntegrityError

from portal import audit
from portal.clock import local_date, to_local, to_utc, today_local, utcnow
from portal.db import database
from portal.i18n import date_filter
from portal.ics import CalendarEntry
from portal.images import ImageUploadError
from portal.models import OpeningHours, Site, User, closed_days
from portal.refusals import Refusal

from . import notices
from .models import (
    HALVES,
    KIND_EQUIPMENT,
    MIDDAY,
    POLICY_DEFAULTS,
    Booking,
    Item,
    ItemClaim,
    Kit,
    KitItem,
    Loan,
    LoanItem,
    Policy,
    Resource,
    SlotClaim,
    WeeklyCount,
    week_start,
)
from .photos import delete_photo, save_photo

#: {weekday: [(opens, closes), ...]} of a centre.
Spans = dict[int, list[tuple[time, time]]]
#: One slot of a day in the booking list: (slot, start, end, free resources, my booking or None).
SlotEntry = tuple[str, time, time, list[Resource], Booking | None]


class BookingError(Refusal):
    """A booking refused for a reason the person can understand (message, status, field)."""


class LoanConflict(BookingError):
    """Loan dates that take a day another loan holds: names that day, offers nearby free periods.

    `alternatives` are (pickup day, return day) pairs of the same length, nearest first.
    """

    def __init__(self, message: str, day: date, alternatives: Sequence[tuple[date, date]] = ()) -> None:
        super().__init__(message, status=409)
        self.day = day
        self.alternatives = list(alternatives)


# --- opening hours and slots ---------------------------------------------------------------


def opening_spans(site_id: int) -> Spans:
    """{weekday: [(opens, closes), ...]} for a centre (one query)."""
    spans: Spans = {}
    for row in (
        OpeningHours.select(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes)
        .where(OpeningHours.site == site_id)
        .order_by(OpeningHours.weekday, OpeningHours.opens)
    ):
        spans.setdefault(row.weekday, []).append((_as_time(row.opens), _as_time(row.closes)))
    return spans


def _as_time(value):
    if isinstance(value, str):  # SQLite may hand back text
        return time.fromisoformat(value)
    return value


def day_slots(spans_of_day: Sequence[tuple[time, time]]) -> dict[str, tuple[time, time]]:
    """The slots of a day from its opening spans.

    Morning: the opening time before 13:00; afternoon: after 13:00 (so 9–13 and
    14–19 give 9:00–13:00 and 14:00–19:00). The whole day exists only when both
    halves do. Returns {"am": (start, end), "pm": ..., "day": ...}.
    """
    slots = {}
    morning = [(o, min(c, MIDDAY)) for o, c in spans_of_day if o < MIDDAY]
    afternoon = [(max(o, MIDDAY), c) for o, c in spans_of_day if c > MIDDAY]
    if morning:
        slots["am"] = (min(o for o, _c in morning), max(c for _o, c in morning))
    if afternoon:
        slots["pm"] = (min(o for o, _c in afternoon), max(c for _o, c in afternoon))
    if "am" in slots and "pm" in slots:
        slots["day"] = (slots["am"][0], slots["pm"][1])
    return slots


def slot_times(site_id: int, day: date, slot: str) -> tuple[datetime, datetime] | None:
    """(starts_at, ends_at) in naive UTC for a slot, or None when the centre is closed then."""
    if day in closed_days(site_id, day, day):
        return None
    found = day_slots(opening_spans(site_id).get(day.weekday(), [])).get(slot)
    if not found:
        return None
    return to_utc(day, found[0]), to_utc(day, found[1])


def open_at(spans: Spans, closed: Collection[date], day: date, at: time) -> bool:
    """True when a centre is open at local `day` `at` (pickups and returns)."""
    if day in closed:
        return False
    return any(o <= at <= c for o, c in spans.get(day.weekday(), []))


# --- scheduled work: no-shows and overdue loans (jobs; pages compute the same in their queries) --


def policies_by_key() -> dict[tuple[int, str], Policy]:
    return {(p.site_id, p.kind): p for p in Policy.select()}


def release_no_shows(now: datetime | None = None) -> int:
    """Release desk and room bookings nobody checked in for within the window.

    Run by the job "bookings-release-no-shows" every minute and before a booking is made; pages
    that only read leave a lapsed claim out in their query (`availability`). The booking stays,
    marked `no_show`, for the record.
    """
    now = now or utcnow()
    saved = policies_by_key()
    windows = [p.checkin_minutes for p in saved.values() if p.kind != KIND_EQUIPMENT and p.checkin_minutes > 0]
    windows += [POLICY_DEFAULTS[k]["checkin_minutes"] for k in ("desk", "room")]
    shortest = min(windows)
    candidates = list(
        Booking.select(Booking.id, Booking.starts_at, Booking.created_at, Resource.site, Resource.kind)
        .join(Resource)
        .where(
            (Booking.status == "booked")
            & (Booking.starts_at <= now - timedelta(minutes=shortest))
            # bounded: with check-in turned off old rows stay "booked"
            & (Booking.starts_at > now - timedelta(days=7))
        )
        .objects()
    )
    due = []
    for row in candidates:
        policy = saved.get((row.site, row.kind))
        minutes = policy.checkin_minutes if policy else POLICY_DEFAULTS[row.kind]["checkin_minutes"]
        # Booked after the slot began (a walk-in): the window runs from the booking.
        if minutes > 0 and max(row.starts_at, row.created_at) <= now - timedelta(minutes=minutes):
            due.append(row.id)
    if not due:
        return 0
    released = 0
    with database().atomic():
        for i in range(0, len(due), 500):
            chunk = due[i : i + 500]
            released += (
                Booking.update(status="no_show", released_at=now)
                .where(Booking.id.in_(chunk) & (Booking.status == "booked"))
                .execute()
            )
            SlotClaim.delete().where(SlotClaim.booking.in_(chunk)).execute()
    return released


def extend_overdue_claims(now: datetime | None = None) -> int:
    """Keep the items of overdue loans claimed up to today plus the buffer.

    An overdue loan is never free: the job "bookings-extend-overdue" (and a new loan request)
    claims the days since the planned return for the items still out (ignoring days another loan
    already holds: the overdue list shows those to staff); `item_busy_days` counts them busy
    meanwhile.
    """
    now = now or utcnow()
    today = today_local()
    overdue = list(
        Loan.select(Loan.id, Loan.site, Loan.return_at, Loan.claims_until).where(
            (Loan.status == "out")
            & (Loan.return_at < now)
            & (Loan.claims_until.is_null() | (Loan.claims_until < today))
        )
    )
    if not overdue:
        return 0
    saved = policies_by_key()
    with database().atomic():
        for loan in overdue:
            policy = saved.get((loan.site_id, KIND_EQUIPMENT))
            buffer = policy.buffer_days if policy else POLICY_DEFAULTS[KIND_EQUIPMENT]["buffer_days"]
            until = today + timedelta(days=buffer)
            item_ids = [
                li.item_id
                for li in LoanItem.select(LoanItem.item).where(
                    (LoanItem.loan == loan.id) & LoanItem.returned_at.is_null()
                )
            ]
            rows = []
            day = today
            while day <= until:
                rows += [{"item": item_id, "day": day, "loan": loan.id} for item_id in item_ids]
                day += timedelta(days=1)
            if rows:
                ItemClaim.insert_many(rows).on_conflict_ignore().execute()
            Loan.update(claims_until=today).where(Loan.id == loan.id).execute()
    return len(overdue)


# --- quotas -------------------------------------------------------------------------------------


def take_quota(user_id: int, site_id: int, kind: str, day: date, maximum: int) -> None:
    """Count one more booking in the week of `day`, or raise when the quota is used up.

    The counter row is created if missing (ignoring a concurrent creation) and
    raised by a conditional UPDATE: only one of two concurrent requests for the
    last place sees a row count of 1.
    """
    week = week_start(day)
    WeeklyCount.insert(user=user_id, site=site_id, kind=kind, week=week, taken=0).on_conflict_ignore().execute()
    updated = (
        WeeklyCount.update(taken=WeeklyCount.taken + 1)
        .where(
            (WeeklyCount.user == user_id)
            & (WeeklyCount.site == site_id)
            & (WeeklyCount.kind == kind)
            & (WeeklyCount.week == week)
            & (WeeklyCount.taken < maximum)
        )
        .execute()
    )
    if updated != 1:
        raise BookingError(
            ngettext(
                "Hai già %(num)d prenotazione in quella settimana: è il massimo consentito.",
                "Hai già %(num)d prenotazioni in quella settimana: è il massimo consentito.",
                maximum,
            )
        )


def give_back_quota(user_id: int, site_id: int, kind: str, day: date) -> None:
    week = week_start(day)
    (
        WeeklyCount.update(taken=WeeklyCount.taken - 1)
        .where(
            (WeeklyCount.user == user_id)
            & (WeeklyCount.site == site_id)
            & (WeeklyCount.kind == kind)
            & (WeeklyCount.week == week)
            & (WeeklyCount.taken > 0)
        )
        .execute()
    )


# --- desks and rooms --------------------------------------------------------------------------


def availability(
    site: Site, kind: str, days: int | None = None, user: Any = None
) -> tuple[Policy, list[Resource], list[tuple[date, list[SlotEntry]]]]:
    """Free resources per day and slot for the booking list, in a bounded number of queries.

    Returns (policy, [(day, [(slot, start, end, free_resources, mine)])]) for the
    days from today within the policy's horizon, skipping closed days and past slots.
    Writes nothing: a booking nobody checked in for within the window counts as free even
    before the job has released it.
    """
    policy = Policy.for_site(site, kind)
    now = utcnow()
    today = today_local()
    horizon = today + timedelta(days=days if days is not None else policy.advance_days)
    resources = list(
        Resource.select()
        .where((Resource.site == site) & (Resource.kind == kind) & Resource.active)
        .order_by(Resource.position, Resource.name)
    )
    spans = opening_spans(site.id)
    closed = closed_days(site.id, today, horizon)
    taken: dict[tuple[date, str], set[int]] = {}
    if resources:
        claims = SlotClaim.select(SlotClaim.resource, SlotClaim.day, SlotClaim.half).where(
            (SlotClaim.day >= today) & (SlotClaim.day <= horizon) & SlotClaim.resource.in_([r.id for r in resources])
        )
        if policy.checkin_minutes > 0:
            cutoff = now - timedelta(minutes=policy.checkin_minutes)
            lapsed = Booking.select(Booking.id).where(
                (Booking.status == "booked") & (Booking.starts_at <= cutoff) & (Booking.created_at <= cutoff)
            )
            claims = claims.where(SlotClaim.booking.not_in(lapsed))
        for claim in claims.tuples():
            taken.setdefault((claim[1], claim[2]), set()).add(claim[0])
    mine = {}
    if user is not None and user.is_authenticated:
        for b in (
            Booking.select(Booking.id, Booking.day, Booking.slot, Booking.resource)
            .join(Resource)
            .where(
                (Booking.user == user.id)
                & (Resource.site == site)
                & (Resource.kind == kind)
                & (Booking.day >= today)
                & (Booking.day <= horizon)
                & Booking.status.in_(["booked", "checked_in"])
            )
        ):
            for half in HALVES[b.slot]:
                mine[(b.day, half)] = b
    result = []
    day = today
    while day <= horizon:
        if day not in closed:
            entries = []
            for slot, (start, end) in day_slots(spans.get(day.weekday(), [])).items():
                ends_at = to_utc(day, end)
                if ends_at <= now:
                    continue
                busy = set()
                for half in HALVES[slot]:
                    busy |= taken.get((day, half), set())
                free = [r for r in resources if r.id not in busy]
                my = next((mine[(day, h)] for h in HALVES[slot] if (day, h) in mine), None)
                entries.append((slot, start, end, free, my))
            if entries:
                result.append((day, entries))
        day += timedelta(days=1)
    return policy, resources, result


def book_slot(
    user: Any,
    site: Site,
    kind: str,
    day: date,
    slot: str,
    resource_id: int | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book a desk or a room for a slot (`_book_slot`) and confirm it to the person by e-mail."""
    booking = _book_slot(user, site, kind, day, slot, resource_id, now)
    notices.confirm_booking(booking)
    return booking


def _book_slot(
    user: Any,
    site: Site,
    kind: str,
    day: date,
    slot: str,
    resource_id: int | None = None,
    now: datetime | None = None,
    series: int | None = None,
    advance_days: int | None = None,
) -> Booking:
    """Book a desk (any free one, or the one asked for) or a room for a slot.

    All-or-nothing: the quota, the booking and its claims are one transaction.
    A week of a weekly slot (`weekly.book_weekly`) passes its `series` and its own horizon (`advance_days`).
    """
    now = now or utcnow()
    if slot not in HALVES:
        raise BookingError(_("Scegli mattina, pomeriggio o giornata intera."))
    policy = Policy.for_site(site, kind)
    today = today_local()
    if day < today:
        raise BookingError(_("Questo giorno è già passato: scegli un altro momento."))
    horizon = policy.advance_days if advance_days is None else advance_days
    if day > today + timedelta(days=horizon):
        raise BookingError(
            ngettext(
                "Si può prenotare al massimo %(num)d giorno prima.",
                "Si può prenotare al massimo %(num)d giorni prima.",
                horizon,
            )
        )
    times = slot_times(site.id, day, slot)
    if times is None:
        raise BookingError(_("Il centro è chiuso in quel momento: scegli un orario di apertura."))
    starts_at, ends_at = times
    if ends_at <= now:
        raise BookingError(_("Questo orario è già passato: scegli un altro momento."))
    query = Resource.select().where((Resource.site == site) & (Resource.kind == kind) & Resource.active)
    if resource_id is not None:
        query = query.where(Resource.id == resource_id)
    candidates = list(query.order_by(Resource.position, Resource.name))
    if not candidates:
        raise BookingError(_("Risorsa non trovata."), status=404)
    halves = HALVES[slot]
    release_no_shows(now)
    try:
        with database().atomic():
            if (
                SlotClaim.select()
                .where(
                    (SlotClaim.user == user.id)
                    & (SlotClaim.kind == kind)
                    & (SlotClaim.day == day)
                    & SlotClaim.half.in_(halves)
                )
                .exists()
            ):
                raise BookingError(_("Hai già una prenotazione in quel momento."))
            take_quota(user.id, site.id, kind, day, policy.max_per_week)
            for resource in candidates:
                try:
                    with database().atomic():  # a savepoint: a taken desk does not spoil the transaction
                        booking = Booking.create(
                            user=user.id,
                            resource=resource,
                            day=day,
                            slot=slot,
                            starts_at=starts_at,
                            ends_at=ends_at,
                            status="booked",
                            series=series,
                        )
                        SlotClaim.insert_many(
                            [
                                {
                                    "resource": resource.id,
                                    "day": day,
                                    "half": half,
                                    "booking": booking.id,
                                    "user": user.id,
                                    "kind": kind,
                                }
                                for half in halves
                            ]
                        ).execute()
                    return booking
                except IntegrityError:
                    continue
            if resource_id is not None:
                raise BookingError(_("Nel frattempo qualcuno l'ha prenotata: scegli un altro momento."), status=409)
            raise BookingError(_("Nel frattempo sono state prenotate tutte: scegli un altro momento."), status=409)
    except IntegrityError:  # the person's own concurrent request got there first
        raise BookingError(_("Hai già una prenotazione in quel momento."), status=409)


def cancel_booking(booking: Booking, by_staff: bool = False, now: datetime | None = None) -> int:
    """Cancel a booking; residents only until the policy's cut-off before the start."""
    now = now or utcnow()
    if booking.status != "booked":
        raise BookingError(_("Questa prenotazione non si può più annullare."))
    resource = booking.resource
    policy = Policy.for_site(resource.site_id, resource.kind)
    if not by_staff and booking.starts_at - timedelta(hours=policy.cancel_cutoff_hours) < now:
        raise BookingError(
            ngettext(
                "Si può annullare fino a %(num)d ora prima dell'inizio: chiama il centro.",
                "Si può annullare fino a %(num)d ore prima dell'inizio: chiama il centro.",
                policy.cancel_cutoff_hours,
            )
        )
    with database().atomic():
        changed = (
            Booking.update(status="cancelled", cancelled_at=now)
            .where((Booking.id == booking.id) & (Booking.status == "booked"))
            .execute()
        )
        if changed:
            SlotClaim.delete().where(SlotClaim.booking == booking.id).execute()
            give_back_quota(booking.user_id, resource.site_id, resource.kind, booking.day)
    return changed


def check_in_booking(booking: Booking, staff: Any, now: datetime | None = None) -> None:
    """The person arrived: the desk stays theirs for the slot."""
    now = now or utcnow()
    if booking.status == "checked_in":
        return
    if booking.status != "booked":
        raise BookingError(_("Questa prenotazione non è più attiva (annullata o liberata per mancato arrivo)."))
    if now < booking.starts_at - timedelta(hours=1) or now > booking.ends_at:
        raise BookingError(_("L'arrivo si registra il giorno stesso, durante la fascia prenotata."))
    with database().atomic():
        (
            Booking.update(status="checked_in", checked_in_at=now, checked_in_by=staff.id)
            .where((Booking.id == booking.id) & (Booking.status == "booked"))
            .execute()
        )


# --- equipment --------------------------------------------------------------------------------


def claim_days(pickup_day: date, return_day: date, buffer_days: int) -> list[date]:
    days, day = [], pickup_day
    while day <= return_day + timedelta(days=buffer_days):
        days.append(day)
        day += timedelta(days=1)
    return days


def overdue_item_ids(item_ids: Iterable[int] | None = None) -> set[int]:
    """Items still out on a loan whose return time has passed."""
    query = (
        LoanItem.select(LoanItem.item)
        .join(Loan)
        .where((Loan.status == "out") & (Loan.return_at < utcnow()) & LoanItem.returned_at.is_null())
    )
    if item_ids is not None:
        query = query.where(LoanItem.item.in_(list(item_ids)))
    return {row.item_id for row in query}


def request_loan(
    user: Any,
    site: Site,
    items: Sequence[Item],
    pickup_day: date,
    pickup_time: time,
    return_day: date,
    return_time: time,
    purpose: str = "",
    kit: Kit | None = None,
    now: datetime | None = None,
) -> Loan:
    """Ask for items (or a kit) for a date range; the items are held until staff decide.

    The claims for every item and day (plus the buffer) are inserted in one
    statement inside the transaction: a kit is booked all-or-nothing.
    """
    now = now or utcnow()
    policy = Policy.for_site(site, KIND_EQUIPMENT)
    today = today_local()
    if not items:
        raise BookingError(_("Scegli almeno un oggetto."))
    if any(item.site_id != site.id for item in items):
        raise BookingError(_("Risorsa non trovata."), status=404)
    pickup_at, return_at = check_loan_dates(site, policy, pickup_day, pickup_time, return_day, return_time, now)
    if pickup_day > today + timedelta(days=policy.advance_days):
        raise BookingError(
            ngettext(
                "Si può prenotare al massimo %(num)d giorno prima.",
                "Si può prenotare al massimo %(num)d giorni prima.",
                policy.advance_days,
            )
        )
    extend_overdue_claims(now)
    try:
        with database().atomic():
            item_ids = [item.id for item in items]
            # Re-read inside the transaction: the state staff may just have changed.
            broken = list(Item.select(Item.name).where(Item.id.in_(item_ids) & (Item.status != "available")))
            if broken:
                raise BookingError(
                    _(
                        "%(names)s: in manutenzione o fuori servizio, non si può prenotare.",
                        names=", ".join(i.name for i in broken),
                    )
                )
            late = overdue_item_ids(item_ids)
            if late:
                names = ", ".join(i.name for i in items if i.id in late)
                raise BookingError(_("%(names)s: non è ancora stato restituito, non si può prenotare.", names=names))
            take_quota(user.id, site.id, KIND_EQUIPMENT, pickup_day, policy.max_per_week)
            loan = Loan.create(
                user=user.id,
                site=site,
                kit=kit,
                pickup_at=pickup_at,
                return_at=return_at,
                purpose=purpose.strip()[:1000],
                status="requested",
            )
            LoanItem.insert_many([{"loan": loan.id, "item": i} for i in item_ids]).execute()
            ItemClaim.insert_many(
                [
                    {"item": i, "day": d, "loan": loan.id}
                    for i in item_ids
                    for d in claim_days(pickup_day, return_day, policy.buffer_days)
                ]
            ).execute()
            return loan
    except IntegrityError:
        raise loan_conflict(
            site, [item.id for item in items], pickup_day, pickup_time, return_day, return_time, now=now
        )


def check_loan_dates(
    site: Site,
    policy: Policy,
    pickup_day: date,
    pickup_time: time,
    return_day: date,
    return_time: time,
    now: datetime,
) -> tuple[datetime, datetime]:
    """The rules every loan's dates follow (a request, a move by staff): order, future, length, opening hours.

    Returns (pickup_at, return_at) in naive UTC."""
    if return_day < pickup_day or (return_day == pickup_day and return_time <= pickup_time):
        raise BookingError(_("La restituzione deve venire dopo il ritiro."))
    pickup_at, return_at = to_utc(pickup_day, pickup_time), to_utc(return_day, return_time)
    if pickup_at <= now:
        raise BookingError(_("Il ritiro è nel passato: scegli una data futura."))
    check_loan_length(policy, pickup_day, return_day)
    spans = opening_spans(site.id)
    closed = closed_days(site.id, pickup_day, return_day)
    if not open_at(spans, closed, pickup_day, pickup_time):
        raise BookingError(_("Il ritiro deve essere in un orario di apertura del centro."))
    if not open_at(spans, closed, return_day, return_time):
        raise BookingError(_("La restituzione deve essere in un orario di apertura del centro."))
    return pickup_at, return_at


def check_loan_length(policy: Policy, pickup_day: date, return_day: date) -> None:
    if (return_day - pickup_day).days + 1 > policy.max_loan_days:
        raise BookingError(
            ngettext(
                "Il prestito può durare al massimo %(num)d giorno.",
                "Il prestito può durare al massimo %(num)d giorni.",
                policy.max_loan_days,
            )
        )


# --- the equipment calendar: days held, check days, free periods -------------------------------

DAY_BUSY, DAY_CHECK = "busy", "check"


def _as_day(value: Any) -> date:
    if isinstance(value, str):  # SQLite may hand back text
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value


def held_days(
    item_ids: Iterable[int], start: date, end: date, exclude_loan: int | None = None, now: datetime | None = None
) -> dict[date, str]:
    """{day: "busy" | "check"} for the days between start and end on which any of the items is held.

    "check" is a day kept after another loan's return for checking the equipment (the policy's
    buffer days: claimed like the loan days, so a new loan cannot take it); "busy" is a loan day,
    or a day an overdue item is presumed still out (computed: a page never writes). Two queries.
    """
    now = now or utcnow()
    ids = list(item_ids)
    held: dict[date, str] = {}
    if not ids:
        return held
    query = (
        ItemClaim.select(ItemClaim.day, Loan.return_at, Loan.status)
        .join(Loan)
        .where(ItemClaim.item.in_(ids) & (ItemClaim.day >= start) & (ItemClaim.day <= end))
    )
    if exclude_loan is not None:
        query = query.where(ItemClaim.loan != exclude_loan)
    for day, return_at, status in query.tuples():
        day = _as_day(day)
        late = status == "out" and return_at < now
        kind = DAY_CHECK if day > local_date(return_at) and not late else DAY_BUSY
        if held.get(day) != DAY_BUSY:
            held[day] = kind
    for days in _overdue_days(ids, start, end).values():
        for day in days:
            held[day] = DAY_BUSY
    return held


def first_held_day(held: Mapping[date, str], pickup_day: date, return_day: date, buffer_days: int) -> date | None:
    """The first day of a loan (its days and the check days after it) that is already held, or None."""
    return next((day for day in claim_days(pickup_day, return_day, buffer_days) if day in held), None)


def free_periods(
    site: Site,
    item_ids: Sequence[int],
    pickup_day: date,
    pickup_time: time,
    return_day: date,
    return_time: time,
    exclude_loan: int | None = None,
    now: datetime | None = None,
) -> list[tuple[date, date]]:
    """The nearest free period of the same length before the asked one and the nearest after it, nearest first.

    A period is free when its days and check days are not held, the centre is open at the same
    pickup and return times on its first and last days, it starts in the future and within the
    booking horizon. Three queries, whatever the distance searched.
    """
    now = now or utcnow()
    policy = Policy.for_site(site, KIND_EQUIPMENT)
    length = timedelta(days=(return_day - pickup_day).days)
    today = today_local()
    last_start = today + timedelta(days=policy.advance_days)
    horizon = last_start + length + timedelta(days=policy.buffer_days)
    held = held_days(item_ids, today, horizon, exclude_loan, now)
    spans = opening_spans(site.id)
    closed = closed_days(site.id, today, horizon)

    def fits(start: date) -> bool:
        end = start + length
        return (
            today <= start <= last_start
            and to_utc(start, pickup_time) > now
            and open_at(spans, closed, start, pickup_time)
            and open_at(spans, closed, end, return_time)
            and first_held_day(held, start, end, policy.buffer_days) is None
        )

    before = after = None
    for step in range(1, (last_start - today).days + 1):
        if before is None and fits(pickup_day - timedelta(days=step)):
            before = (step, pickup_day - timedelta(days=step))
        if after is None and fits(pickup_day + timedelta(days=step)):
            after = (step, pickup_day + timedelta(days=step))
        if before and after:
            break
    found = sorted(p for p in (before, after) if p)
    return [(start, start + length) for _step, start in found]


def loan_conflict(
    site: Site,
    item_ids: Sequence[int],
    pickup_day: date,
    pickup_time: time,
    return_day: date,
    return_time: time,
    exclude_loan: int | None = None,
    now: datetime | None = None,
) -> BookingError:
    """The refusal for dates the unique index turned down: the first day already held, and free periods nearby.

    Read after the failed transaction; if the day was freed meanwhile, a plain "taken" message."""
    policy = Policy.for_site(site, KIND_EQUIPMENT)
    end = return_day + timedelta(days=policy.buffer_days)
    held = held_days(item_ids, pickup_day, end, exclude_loan, now)
    day = first_held_day(held, pickup_day, return_day, policy.buffer_days)
    if day is None:
        return BookingError(_("Nel frattempo qualcuno ha preso quelle date: scegline altre."), status=409)
    when = date_filter("long")(day)
    if day > return_day:
        message = ngettext(
            "Dopo la restituzione l'attrezzatura resta %(num)d giorno al centro per il controllo, "
            "ma %(day)s è già occupata da un altro prestito.",
            "Dopo la restituzione l'attrezzatura resta %(num)d giorni al centro per il controllo, "
            "ma %(day)s è già occupata da un altro prestito.",
            policy.buffer_days,
            day=when,
        )
    else:
        message = _("Qualcosa di quello che chiedi è già prenotato o in prestito %(day)s.", day=when)
    alternatives = free_periods(
        site, item_ids, pickup_day, pickup_time, return_day, return_time, exclude_loan=exclude_loan, now=now
    )
    return LoanConflict(message, day, alternatives)


def calendar_days(
    site: Site,
    items: Sequence[Item],
    first: date,
    last: date,
    overdue: Collection[int] = (),
    start: date | None = None,
    end: date | None = None,
    exclude_loan: int | None = None,
) -> tuple[list[list[dict[str, Any]]], date | None, date | None]:
    """Weeks of days for the equipment calendar, each {day, state, pick, chosen}, and the chosen start and end.

    state: past, busy (lent, in repair or not back from a late loan), check (a check day after a
    loan, or a free day that cannot be used because the check day after it is taken), closed, free.
    pick: "start" for a free day that can begin a loan, "end" for a day that can end the loan
    beginning at the chosen `start` (its days and check days free, within the longest loan);
    chosen: the day is in the chosen period. A chosen start or end that cannot be used is
    dropped (None). `exclude_loan`: a loan staff are moving (its own days count as free).
    Reads only (a few queries).
    """
    policy = Policy.for_site(site, KIND_EQUIPMENT)
    today = today_local()
    buffer = timedelta(days=policy.buffer_days)
    horizon = today + timedelta(days=policy.advance_days)
    reach = last + timedelta(days=policy.max_loan_days) + buffer
    held = held_days([i.id for i in items], first, reach, exclude_loan)
    spans = opening_spans(site.id)
    closed = closed_days(site.id, first, reach)
    # In repair, or not back from a late loan: never shown as free.
    broken = any(i.status != "available" or i.id in overdue for i in items)

    def open_day(day: date) -> bool:
        return day not in closed and bool(spans.get(day.weekday()))

    def usable(day: date) -> bool:
        return not broken and day >= today and first_held_day(held, day, day, policy.buffer_days) is None

    def can_start(day: date) -> bool:
        return usable(day) and open_day(day) and day <= horizon

    start = start if start is not None and can_start(start) else None

    def can_end(day: date) -> bool:
        return (
            start is not None
            and start <= day < start + timedelta(days=policy.max_loan_days)
            and open_day(day)
            and first_held_day(held, start, day, policy.buffer_days) is None
        )

    end = end if end is not None and can_end(end) else None
    weeks, day = [], first
    while day <= last:
        week = []
        for _i in range(7):
            if day < today:
                state = "past"
            elif broken or held.get(day) == DAY_BUSY:
                state = "busy"
            elif day in held:  # another loan's check day (a closed day may be one)
                state = "check"
            elif not open_day(day):
                state = "closed"
            elif not usable(day):  # its own check day would fall on a held day
                state = "check"
            else:
                state = "free"
            pick = None
            if start is not None and end is None and can_end(day):
                pick = "end"
            elif can_start(day):
                pick = "start"
            chosen = start is not None and start <= day <= (end or start)
            week.append({"day": day, "state": state, "pick": pick, "chosen": chosen})
            day += timedelta(days=1)
        weeks.append(week)
    return weeks, start, end


def move_loan(
    loan: Loan,
    staff: User,
    pickup_day: date,
    pickup_time: time,
    return_day: date,
    return_time: time,
    now: datetime | None = None,
) -> bool:
    """Staff move a pending or approved loan to other dates within the rules; the borrower is told.

    One transaction: a conditional UPDATE on the dates staff saw (of two moves at once only one
    applies), the loan's claims replaced (the unique index refuses a day, or a check day, another
    loan holds), the week's count moved, the audit entry and the notice (e-mail in the outbox, or
    the phone list). Returns True when the borrower was mailed, False when they must be phoned.
    """
    now = now or utcnow()
    if loan.status not in ("requested", "approved"):
        raise BookingError(_("Si spostano solo i prestiti in attesa o approvati."))
    site = loan.site
    policy = Policy.for_site(site, KIND_EQUIPMENT)
    pickup_at, return_at = check_loan_dates(site, policy, pickup_day, pickup_time, return_day, return_time, now)
    if (pickup_at, return_at) == (loan.pickup_at, loan.return_at):
        raise BookingError(_("Sono le stesse date di prima."))
    item_ids = [li.item_id for li in LoanItem.select(LoanItem.item).where(LoanItem.loan == loan.id)]
    extend_overdue_claims(now)
    try:
        with database().atomic():
            changed = (
                Loan.update(pickup_at=pickup_at, return_at=return_at, moved_at=now)
                .where(
                    (Loan.id == loan.id)
                    & Loan.status.in_(["requested", "approved"])
                    & (Loan.pickup_at == loan.pickup_at)
                    & (Loan.return_at == loan.return_at)
                )
                .execute()
            )
            if not changed:
                raise BookingError(_("Nel frattempo il prestito è cambiato: ricarica la pagina."), status=409)
            _move_week_count(loan, local_date(loan.pickup_at), pickup_day)
            ItemClaim.delete().where(ItemClaim.loan == loan.id).execute()
            ItemClaim.insert_many(
                [
                    {"item": i, "day": d, "loan": loan.id}
                    for i in item_ids
                    for d in claim_days(pickup_day, return_day, policy.buffer_days)
                ]
            ).execute()
            audit.record(
                "bookings.loan_moved",
                subject_user=loan.user_id,
                site=loan.site_id,
                area="bookings",
                record=f"bookings.loan:{loan.id}",
                detail=f"{_stamp(loan.pickup_at)}–{_stamp(loan.return_at)} → {_stamp(pickup_at)}–{_stamp(return_at)}",
                actor=staff,
            )
            return notices.tell_borrower(Loan.get_by_id(loan.id), notices.MOVED, now)
    except IntegrityError:
        raise loan_conflict(
            site, item_ids, pickup_day, pickup_time, return_day, return_time, exclude_loan=loan.id, now=now
        )


def _stamp(moment: datetime) -> str:
    """A stored moment as Milan wall-clock text for the audit log."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def _move_week_count(loan: Loan, old_day: date, new_day: date) -> None:
    """Move the borrower's weekly count with the pickup (staff decide: no quota refusal here)."""
    if loan.user_id is None or week_start(old_day) == week_start(new_day):
        return
    give_back_quota(loan.user_id, loan.site_id, KIND_EQUIPMENT, old_day)
    take_quota(loan.user_id, loan.site_id, KIND_EQUIPMENT, new_day, maximum=10_000)


def free_item_days(loan: Loan) -> None:
    """Drop a loan's claims (declined, cancelled)."""
    ItemClaim.delete().where(ItemClaim.loan == loan.id).execute()


def decide_loan(loan: Loan, staff: User, approve: bool, message: str, now: datetime | None = None) -> bool:
    """Approve or decline a request and tell the borrower: True by e-mail, False when they must be phoned."""
    now = now or utcnow()
    if loan.status != "requested":
        raise BookingError(_("Questa richiesta è già stata gestita."))
    with database().atomic():
        if approve:
            broken = list(
                Item.select(Item.name).join(LoanItem).where((LoanItem.loan == loan.id) & (Item.status != "available"))
            )
            if broken:
                raise BookingError(
                    _(
                        "%(names)s: in manutenzione o fuori servizio, non si può prenotare.",
                        names=", ".join(i.name for i in broken),
                    )
                )
        changed = (
            Loan.update(
                status="approved" if approve else "declined",
                staff_message=message.strip()[:1000],
                decided_at=now,
                decided_by=staff.id,
            )
            .where((Loan.id == loan.id) & (Loan.status == "requested"))
            .execute()
        )
        if changed and not approve:
            free_item_days(loan)
            give_back_quota(loan.user_id, loan.site_id, KIND_EQUIPMENT, local_date(loan.pickup_at))
    if not changed:
        raise BookingError(_("Questa richiesta è già stata gestita."))
    return notices.tell_borrower(Loan.get_by_id(loan.id), notices.APPROVED if approve else notices.DECLINED, now)


def remind_overdue(loan: Loan, now: datetime | None = None) -> bool:
    """Remind the borrower of an overdue loan: by e-mail (True) or on the phone list (False)."""
    now = now or utcnow()
    if not (loan.status == "out" and loan.return_at < now):
        raise BookingError(_("Questo prestito non è in ritardo."))
    return notices.tell_borrower(loan, notices.OVERDUE, now)


def record_phone_call(loan: Loan, staff: User, now: datetime | None = None) -> None:
    """Staff phoned the borrower about the loan's pending notice."""
    if not loan.phone_notice:
        raise BookingError(_("Non c'è nessuna telefonata da fare per questo prestito."))
    now = now or utcnow()
    Loan.update(phoned_at=now, phoned_by=staff.id).where((Loan.id == loan.id) & Loan.phoned_at.is_null()).execute()


def phone_list(site_ids: Collection[int], done_since: datetime | None = None) -> list[Loan]:
    """Loans whose borrower must be phoned at these centres (and the calls of the last week)."""
    if not site_ids:
        return []
    done_since = done_since or utcnow() - timedelta(days=7)
    return list(
        Loan.select(Loan, User, Site)
        .join(User, on=(Loan.user == User.id))
        .switch(Loan)
        .join(Site)
        .where(
            Loan.site.in_(list(site_ids))
            & (Loan.phone_notice != "")
            & (Loan.phoned_at.is_null() | (Loan.phoned_at >= done_since))
        )
        .order_by(Loan.phoned_at.is_null(False), Loan.phone_notice_at)
        .limit(500)
    )


def cancel_loan(loan: Loan, now: datetime | None = None, by_staff: bool = False) -> None:
    """The borrower withdraws a request or an approved loan before the pickup (staff: until handed over)."""
    now = now or utcnow()
    if loan.status not in ("requested", "approved") or (loan.pickup_at <= now and not by_staff):
        raise BookingError(_("Questo prestito non si può più annullare: parla con lo sportello."))
    cutoff = Policy.for_site(loan.site_id, KIND_EQUIPMENT).cancel_cutoff_hours
    if not by_staff and loan.status == "approved" and loan.pickup_at - timedelta(hours=cutoff) < now:
        # A request not yet approved can always be withdrawn; an approved loan until the cut-off.
        raise BookingError(
            ngettext(
                "Si può annullare fino a %(num)d ora prima del ritiro: chiama il centro.",
                "Si può annullare fino a %(num)d ore prima del ritiro: chiama il centro.",
                cutoff,
            )
        )
    with database().atomic():
        changed = (
            Loan.update(status="cancelled", decided_at=now)
            .where((Loan.id == loan.id) & Loan.status.in_(["requested", "approved"]))
            .execute()
        )
        if changed:
            free_item_days(loan)
            give_back_quota(loan.user_id, loan.site_id, KIND_EQUIPMENT, local_date(loan.pickup_at))


def check_out_loan(
    loan: Loan,
    staff: Any,
    ticked_item_ids: Collection[int],
    deposit: int,
    now: datetime | None = None,
    early: bool = False,
) -> None:
    """Hand the items over: every item ticked on the checklist, deposit recorded.

    Before the pickup day only when staff say so (`early`): the loan then starts now, within the
    longest loan, and the days from today to the planned pickup are claimed in the same
    transaction (the unique index refuses a day another loan holds)."""
    now = now or utcnow()
    today = today_local()
    if loan.status != "approved":
        raise BookingError(_("Si consegna solo un prestito approvato."))
    planned = local_date(loan.pickup_at)
    if planned > today and not early:
        raise BookingError(
            _(
                "Il ritiro è previsto per il %(day)s: per consegnare prima usa «Consegna in anticipo».",
                day=date_filter("long")(planned),
            )
        )
    early = planned > today
    if early:
        check_loan_length(Policy.for_site(loan.site_id, KIND_EQUIPMENT), today, local_date(loan.return_at))
    lines = list(loan.loan_items)
    missing = [li for li in lines if li.item_id not in ticked_item_ids]
    if missing:
        raise BookingError(
            _("Spunta ogni oggetto consegnato: mancano %(names)s.", names=", ".join(li.item.name for li in missing))
        )
    if deposit < 0:
        raise BookingError(_("La cauzione non può essere negativa."))
    still_out = list(
        LoanItem.select(LoanItem, Item)
        .join(Item)
        .switch(LoanItem)
        .join(Loan)
        .where(
            LoanItem.item.in_([li.item_id for li in lines])
            & (Loan.status == "out")
            & LoanItem.returned_at.is_null()
            & (Loan.id != loan.id)
        )
    )
    if still_out:
        # The previous borrower has not brought it back: it cannot be in two hands.
        raise BookingError(
            _(
                "%(names)s: chi l'ha preso prima non l'ha ancora restituito, non si può consegnare.",
                names=", ".join(li.item.name for li in still_out),
            )
        )
    fields: dict[str, Any] = {"status": "out", "checked_out_at": now, "checked_out_by": staff.id}
    if early:
        fields.update(pickup_at=now, moved_at=now)
    try:
        with database().atomic():
            changed = (
                Loan.update(deposit_taken=deposit, **fields)
                .where((Loan.id == loan.id) & (Loan.status == "approved") & (Loan.pickup_at == loan.pickup_at))
                .execute()
            )
            if not changed:
                raise BookingError(_("Questa richiesta è già stata gestita."))
            LoanItem.update(out_checked=True).where(LoanItem.loan == loan.id).execute()
            if early:
                days = claim_days(today, planned - timedelta(days=1), 0)
                ItemClaim.insert_many(
                    [{"item": li.item_id, "day": d, "loan": loan.id} for li in lines for d in days]
                ).execute()
                _move_week_count(loan, planned, today)
                audit.record(
                    "bookings.loan_handed_early",
                    subject_user=loan.user_id,
                    site=loan.site_id,
                    area="bookings",
                    record=f"bookings.loan:{loan.id}",
                    detail=f"{_stamp(loan.pickup_at)} → {_stamp(now)}",
                    actor=staff,
                )
    except IntegrityError:
        held = held_days([li.item_id for li in lines], today, planned, exclude_loan=loan.id, now=now)
        day = min(held, default=today)
        raise BookingError(
            _(
                "Non si può consegnare in anticipo: %(day)s l'attrezzatura è già prenotata o in prestito.",
                day=date_filter("long")(day),
            ),
            status=409,
        )


def check_in_loan(
    loan: Loan,
    staff: Any,
    returned_ids: Collection[int],
    notes: Mapping[int, str],
    damaged_ids: Collection[int],
    deposit_returned: int,
    now: datetime | None = None,
) -> int:
    """Take items back: ticked items are returned (damaged ones go to maintenance).

    Items not ticked stay out, so the loan stays open and overdue when late.
    """
    now = now or utcnow()
    if loan.status != "out":
        raise BookingError(_("Questo prestito non è in corso."))
    if not returned_ids:
        raise BookingError(_("Spunta almeno un oggetto restituito."))
    if deposit_returned < 0 or deposit_returned > loan.deposit_taken:
        raise BookingError(_("La cauzione restituita deve essere tra 0 e %(n)d euro.", n=loan.deposit_taken))
    policy = Policy.for_site(loan.site_id, KIND_EQUIPMENT)
    keep_until = today_local() + timedelta(days=policy.buffer_days)
    with database().atomic():
        for line in LoanItem.select().where((LoanItem.loan == loan.id) & LoanItem.returned_at.is_null()):
            if line.item_id not in returned_ids:
                continue
            line.returned_at = now
            line.condition_note = (notes.get(line.item_id) or "").strip()[:500]
            line.damaged = line.item_id in damaged_ids
            line.save()
            item_update = {}
            if line.damaged:
                item_update["status"] = "maintenance"
            if line.condition_note:
                item_update["condition"] = line.condition_note[:200]
            if item_update:
                Item.update(**item_update).where(Item.id == line.item_id).execute()
            # Back early: free the days after the buffer.
            (
                ItemClaim.delete()
                .where((ItemClaim.loan == loan.id) & (ItemClaim.item == line.item_id) & (ItemClaim.day > keep_until))
                .execute()
            )
        still_out = LoanItem.select().where((LoanItem.loan == loan.id) & LoanItem.returned_at.is_null()).count()
        fields: dict[str, Any] = {"deposit_returned": deposit_returned}
        if still_out == 0:
            fields.update(status="returned", returned_at=now, returned_by=staff.id)
        Loan.update(**fields).where(Loan.id == loan.id).execute()
    return still_out


def item_busy_days(item_ids: Iterable[int], start: date, end: date) -> dict[int, dict[date, int]]:
    """{item_id: {day: loan_id}} between start and end (two queries).

    An item still out on an overdue loan is busy from today to the end of the buffer, whether
    or not the job has claimed those days yet (a page never writes)."""
    busy: dict[int, dict[date, int]] = {}
    if not item_ids:
        return busy
    for item_id, day, loan_id in (
        ItemClaim.select(ItemClaim.item, ItemClaim.day, ItemClaim.loan)
        .where(ItemClaim.item.in_(list(item_ids)) & (ItemClaim.day >= start) & (ItemClaim.day <= end))
        .tuples()
    ):
        if isinstance(day, str):
            day = datetime.fromisoformat(day).date()
        busy.setdefault(item_id, {})[day] = loan_id
    for item_id, days in _overdue_days(item_ids, start, end).items():
        for day, loan_id in days.items():
            busy.setdefault(item_id, {}).setdefault(day, loan_id)
    return busy


def _overdue_days(item_ids: Iterable[int], start: date, end: date) -> dict[int, dict[date, int]]:
    """{item_id: {day: loan_id}}: items still out on an overdue loan, busy from today to the end of the buffer."""
    busy: dict[int, dict[date, int]] = {}
    today = today_local()
    if end < today:
        return busy
    overdue = (
        LoanItem.select(LoanItem.item, Loan.id, Loan.site)
        .join(Loan)
        .where(
            LoanItem.item.in_(list(item_ids))
            & LoanItem.returned_at.is_null()
            & (Loan.status == "out")
            & (Loan.return_at < utcnow())
        )
        .tuples()
    )
    saved = None
    for item_id, loan_id, site_id in overdue:
        if saved is None:
            saved = policies_by_key()
        policy = saved.get((site_id, KIND_EQUIPMENT))
        buffer = policy.buffer_days if policy else POLICY_DEFAULTS[KIND_EQUIPMENT]["buffer_days"]
        day = max(start, today)
        while day <= min(end, today + timedelta(days=buffer)):
            busy.setdefault(item_id, {}).setdefault(day, loan_id)
            day += timedelta(days=1)
    return busy


def kit_items(kit_ids: Iterable[int]) -> dict[int, list[Item]]:
    """{kit_id: [Item, ...]} (one query)."""
    result: dict[int, list[Item]] = {}
    if not kit_ids:
        return result
    for link in (
        KitItem.select(KitItem, Item)
        .join(Item)
        .where(KitItem.kit.in_(list(kit_ids)))
        .order_by(Item.position, Item.name)
    ):
        result.setdefault(link.kit_id, []).append(link.item)
    return result


# --- the private calendar feed ----------------------------------------------------------------


def _last_change(*moments: datetime | None) -> datetime:
    return max(m for m in moments if m is not None)


def calendar_entries(user_id: int, url: str, now: datetime | None = None) -> list[CalendarEntry]:
    """A person's desk bookings and confirmed loans (pickup and return) for their ICS feed.

    DTSTAMP is each row's last change, so the same feed fetched twice is the same bytes.
    """
    since = (now or utcnow()) - timedelta(days=60)
    owner = User.get_or_none(User.id == user_id)
    entries = []
    for b in (
        Booking.select(Booking, Resource, Site)
        .join(Resource)
        .join(Site)
        .where((Booking.user == user_id) & (Booking.starts_at >= since) & Booking.status.in_(["booked", "checked_in"]))
        .order_by(Booking.starts_at)
        .limit(500)
    ):
        entries.append(
            CalendarEntry(
                uid=f"booking-{b.id}",
                starts_at=b.starts_at,
                ends_at=b.ends_at,
                summary=f"{b.resource.name} – {b.resource.site.short_name}",
                changed_at=_last_change(b.created_at, b.checked_in_at),
                location=b.resource.site.full_address,
                url=url,
            )
        )
    loans = (
        Loan.select(Loan, Site)
        .join(Site)
        # Only confirmed loans: a pending request is not an appointment yet.
        .where((Loan.user == user_id) & (Loan.return_at >= since) & Loan.status.in_(["approved", "out"]))
        .order_by(Loan.pickup_at)
        .limit(200)
    )
    with force_locale((owner.language if owner else None) or "it"):
        labels = {"pickup": _("Ritiro attrezzatura"), "return": _("Restituzione attrezzatura")}
    for loan in loans:
        changed = _last_change(loan.created_at, loan.decided_at, loan.checked_out_at, loan.moved_at)
        for kind, at in (("pickup", loan.pickup_at), ("return", loan.return_at)):
            entries.append(
                CalendarEntry(
                    uid=f"loan-{loan.id}-{kind}",
                    starts_at=at,
                    ends_at=at + timedelta(minutes=15),
                    summary=f"{labels[kind]} – {loan.site.short_name}",
                    changed_at=changed,
                    location=loan.site.full_address,
                    url=url,
                )
            )
    return entries


# --- items and kits (staff) ---------------------------------------------------------------------

ITEM_FIELDS = ("name", "category", "description", "condition", "status", "deposit")


def _stored_photo(upload: Any) -> str | None:
    """Save an uploaded photo (None when no file was chosen); a bad file is refused on the photo field."""
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        return save_photo(upload)
    except ImageUploadError as exc:
        raise BookingError(str(exc), field="photo") from exc


def save_item(item: Item | None, site_id: int, fields: Mapping[str, Any], photo: Any = None) -> Item:
    """Add or change an item; a new photo replaces (and deletes) the old one."""
    photo_name = _stored_photo(photo)
    item = item or Item()
    old_photo = item.photo
    for name in ITEM_FIELDS:
        setattr(item, name, fields.get(name) or (0 if name == "deposit" else ""))
    item.site_id = site_id
    if photo_name:
        item.photo = photo_name
    item.save()
    if photo_name and old_photo:
        delete_photo(old_photo)
    return item


def save_kit(
    kit: Kit | None,
    site_id: int,
    name: str,
    description: str,
    active: bool,
    item_ids: Collection[int],
    photo: Any = None,
) -> Kit:
    """Add or change a kit and its items (only items of the kit's centre), all in one transaction."""
    chosen = list(Item.select(Item.id).where(Item.id.in_(list(item_ids)) & (Item.site == site_id)))
    if not chosen:
        raise BookingError(_("Scegli almeno un oggetto di questo centro."), field="items")
    photo_name = _stored_photo(photo)
    with database().atomic():
        kit = kit or Kit()
        kit.site_id, kit.name, kit.description, kit.active = site_id, name, description, active
        if photo_name:
            kit.photo = photo_name
        kit.save()
        KitItem.delete().where(KitItem.kit == kit.id).execute()
        KitItem.insert_many([{"kit": kit.id, "item": i.id} for i in chosen]).execute()
    return kit


# --- scheduled jobs (portal.jobs runs them; each is idempotent) --------------------------------


def release_no_shows_job(now: datetime) -> int:
    """Release the no-shows at `now` (conditional on the booking still being "booked")."""
    return release_no_shows(now)


def extend_overdue_job(now: datetime) -> int:
    """Claim today's days for items of overdue loans (a loan claimed up to today is skipped)."""
    return extend_overdue_claims(now)
