"""A weekly desk or room slot ("every Tuesday morning until …") in one step, within the quotas.

`plan` shows, without writing, what each week would give; `book_weekly` books every week it can
with the one atomic booking (`services._book_slot`: the quota counter, the booking and its claims
under the unique indexes), each week in its own savepoint inside one transaction, and lists the
weeks it could not book with the reason (closed, taken, over the weekly quota, already booked then).
At most `MAX_WEEKS` weeks from the first day: a regular slot may reach past the policy's usual
booking horizon (that is its point), the weekly quota still counts every week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal.clock import to_utc, today_local, utcnow
from portal.db import database
from portal.models import Site, closed_days

from .models import (
    HALVES,
    KIND_DESK,
    KIND_ROOM,
    Booking,
    BookingSeries,
    Policy,
    Resource,
    SlotClaim,
    WeeklyCount,
    week_start,
)
from .notices import confirm_weekly
from .services import BookingError, _book_slot, cancel_booking, day_slots, opening_spans

MAX_WEEKS = 12

#: Why a week was not booked, for people.
REASONS = {
    "closed": _l("il centro è chiuso"),
    "past": _l("è già passato"),
    "mine": _l("hai già una prenotazione in quel momento"),
    "quota": _l("hai già il massimo di prenotazioni per quella settimana"),
    "taken": _l("è già tutto prenotato"),
}


@dataclass
class Week:
    """One week of a weekly slot: its day, and either a booking (or "" in a preview: bookable) or a reason."""

    day: date
    reason: str = ""
    booking: Booking | None = None

    @property
    def reason_text(self) -> str:
        return str(REASONS.get(self.reason, self.reason))


def week_days(first_day: date, until: date) -> list[date]:
    """The first day and the same weekday every week up to `until` (at most MAX_WEEKS)."""
    days: list[date] = []
    day = first_day
    while day <= until and len(days) < MAX_WEEKS:
        days.append(day)
        day += timedelta(days=7)
    return days


def check_request(site: Site, kind: str, first_day: date, slot: str, until: date, resource_id: int | None) -> Policy:
    """Refuse what no week could give (BookingError on the field); returns the kind's policy."""
    if kind not in (KIND_DESK, KIND_ROOM):
        raise BookingError(_("Scegli una postazione o una sala."), field="what")
    if slot not in HALVES:
        raise BookingError(_("Scegli mattina, pomeriggio o giornata intera."), field="slot")
    policy = Policy.for_site(site, kind)
    today = today_local()
    if first_day < today:
        raise BookingError(_("Questo giorno è già passato: scegli un altro momento."), field="day")
    if first_day > today + timedelta(days=policy.advance_days):
        raise BookingError(
            ngettext(
                "Si può prenotare al massimo %(num)d giorno prima.",
                "Si può prenotare al massimo %(num)d giorni prima.",
                policy.advance_days,
            ),
            field="day",
        )
    if until < first_day:
        raise BookingError(_("La fine viene prima del primo giorno."), field="until")
    if until >= first_day + timedelta(weeks=MAX_WEEKS):
        raise BookingError(
            ngettext(
                "Al massimo %(num)d settimana: scegli una fine più vicina.",
                "Al massimo %(num)d settimane: scegli una fine più vicina.",
                MAX_WEEKS,
            ),
            field="until",
        )
    if kind == KIND_ROOM and not resource_id:
        raise BookingError(_("Scegli una postazione o una sala."), field="what")
    return policy


def _resources(site: Site, kind: str, resource_id: int | None) -> list[Resource]:
    query = Resource.select().where((Resource.site == site) & (Resource.kind == kind) & Resource.active)
    if resource_id:
        query = query.where(Resource.id == resource_id)
    return list(query.order_by(Resource.position, Resource.name))


def plan(
    user: Any, site: Site, kind: str, first_day: date, slot: str, until: date, resource_id: int | None = None
) -> list[Week]:
    """What each week would give now (no writes): "" where it can be booked, else the reason."""
    policy = check_request(site, kind, first_day, slot, until, resource_id)
    return _weeks(policy, user, site, kind, week_days(first_day, until), slot, resource_id)


def _weeks(
    policy: Policy, user: Any, site: Site, kind: str, days: list[date], slot: str, resource_id: int | None
) -> list[Week]:
    resources = _resources(site, kind, resource_id)
    if not resources:
        raise BookingError(_("Risorsa non trovata."), status=404, field="what")
    halves = HALVES[slot]
    spans = opening_spans(site.id)
    closed = closed_days(site.id, days[0], days[-1])
    busy: dict[date, set[int]] = {}
    for resource, day in (
        SlotClaim.select(SlotClaim.resource, SlotClaim.day)
        .where(SlotClaim.day.in_(days) & SlotClaim.half.in_(halves) & SlotClaim.resource.in_([r.id for r in resources]))
        .tuples()
    ):
        busy.setdefault(day, set()).add(resource)
    mine = {
        row[0]
        for row in SlotClaim.select(SlotClaim.day)
        .where(
            (SlotClaim.user == user.id)
            & (SlotClaim.kind == kind)
            & SlotClaim.day.in_(days)
            & SlotClaim.half.in_(halves)
        )
        .tuples()
    }
    used = {
        row[0]: row[1]
        for row in WeeklyCount.select(WeeklyCount.week, WeeklyCount.taken)
        .where(
            (WeeklyCount.user == user.id)
            & (WeeklyCount.site == site.id)
            & (WeeklyCount.kind == kind)
            & WeeklyCount.week.in_([week_start(d) for d in days])
        )
        .tuples()
    }
    now = utcnow()
    weeks = []
    for day in days:
        times = day_slots(spans.get(day.weekday(), [])).get(slot)
        if day in closed or times is None:
            reason = "closed"
        elif to_utc(day, times[1]) <= now:
            reason = "past"
        elif day in mine:
            reason = "mine"
        elif used.get(week_start(day), 0) >= policy.max_per_week:
            reason = "quota"
        elif len(busy.get(day, set())) >= len(resources):
            reason = "taken"
        else:
            reason = ""
        weeks.append(Week(day, reason))
    return weeks


def book_weekly(
    user: Any, site: Site, kind: str, first_day: date, slot: str, until: date, resource_id: int | None = None
) -> tuple[BookingSeries, list[Week]]:
    """Book every week that can be booked, in one transaction; one mail lists the weeks.

    Returns (the series, its weeks: a booking, or the reason it was not booked)."""
    days = week_days(first_day, until)
    horizon = (days[-1] - today_local()).days if days else 0
    with database().atomic():
        weeks = plan(user, site, kind, first_day, slot, until, resource_id)
        if all(week.reason for week in weeks):
            raise BookingError(_("Nessuna settimana libera con queste scelte: prova un altro momento."), status=409)
        series = BookingSeries.create(
            user=user.id, site=site.id, kind=kind, resource=resource_id or None, slot=slot,
            first_day=first_day, until=days[-1],
        )  # fmt: skip
        for week in weeks:
            if week.reason:
                continue
            try:
                week.booking = _book_slot(
                    user, site, kind, week.day, slot, resource_id or None, series=series.id, advance_days=horizon
                )
            except BookingError:  # taken (or the quota used) since the plan was read: say why now
                week.reason = _reason_now(user, site, kind, week.day, slot, resource_id)
        series.outcome = "\n".join(f"{w.day.isoformat()} {w.reason}" for w in weeks if w.reason)
        series.save()
        confirm_weekly(series, weeks)
    return series, weeks


def _reason_now(user: Any, site: Site, kind: str, day: date, slot: str, resource_id: int | None) -> str:
    found = _weeks(Policy.for_site(site, kind), user, site, kind, [day], slot, resource_id)[0].reason
    return found or "taken"


def series_weeks(series: BookingSeries) -> list[Week]:
    """A weekly slot's weeks as booked (with each booking's status now) and as refused (with the reason)."""
    reasons: dict[date, str] = {}
    for line in series.outcome.splitlines():
        iso, _sep, reason = line.partition(" ")
        reasons[date.fromisoformat(iso)] = reason
    bookings = {
        b.day: b
        for b in Booking.select(Booking, Resource)
        .join(Resource)
        .where(Booking.series == series.id)
        .order_by(Booking.id)
    }
    weeks: list[Week] = []
    for day in week_days(series.first_day, series.until):
        if day in bookings:
            weeks.append(Week(day, booking=bookings[day]))
        elif day in reasons:
            weeks.append(Week(day, reasons[day]))
    return weeks


def cancel_weekly(series: BookingSeries, now: datetime | None = None) -> tuple[int, int]:
    """Cancel every remaining week of a weekly slot; weeks past the cancel cut-off stay (call the centre).

    Returns (cancelled, kept)."""
    now = now or utcnow()
    cancelled = kept = 0
    with database().atomic():
        for booking in Booking.select().where(
            (Booking.series == series.id) & (Booking.status == "booked") & (Booking.starts_at > now)
        ):
            try:
                cancelled += cancel_booking(booking, now=now)
            except BookingError:
                kept += 1
    return cancelled, kept
