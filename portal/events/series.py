"""Recurring activities: a `Series` holds the rule, its dates are materialised as
`Event` rows (see `models`). Creating or editing a series (re)generates them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from flask_babel import gettext as _

from portal.clock import local_date, to_utc, utcnow
from portal.db import database
from portal.models import User, closed_days
from portal.recurrence import format_dates, format_periods, occurrence_dates, parse_dates, parse_periods
from portal.refusals import Refusal

from .models import Event, Registration, Series
from .services import cancel_event, grow_capacity


def materialise(series: Series, start_from: date | None = None) -> tuple[int, int, int]:
    """Create or update the occurrences of a series from its rule.

    Occurrences edited on their own (detached) keep their text and time; dates
    that left the rule are deleted, or cancelled when people registered.
    Returns (created, updated, removed).
    """
    start_from = start_from or (utcnow() - timedelta(days=1)).date()
    # A weekly course does not meet on the centre's holidays and closures: those dates are skipped
    # automatically (an occurrence already there on a day that became a closure leaves the rule).
    wanted = [d for d in open_dates(series) if d >= start_from]
    existing = {
        e.occurrence_date: e
        for e in Event.select().where((Event.series == series) & (Event.occurrence_date >= start_from))
    }
    counts = {e.id: 0 for e in existing.values()}
    if existing:
        for row in Registration.select(Registration.event, Registration.id).where(
            Registration.event.in_(list(counts)) & (Registration.status != "cancelled")
        ):
            counts[row.event_id] += 1
    created = updated = removed = 0
    grown = []
    now = utcnow()
    shared = {name: getattr(series, name) for name in Event.SHARED}
    shared = {k: (v.id if hasattr(v, "id") else v) for k, v in shared.items()}
    with database().atomic():
        new_rows = []
        for day in wanted:
            starts = to_utc(day, series.start_time)
            ends = to_utc(day, series.end_time)
            event = existing.pop(day, None)
            if event is None:
                new_rows.append(
                    dict(
                        shared,
                        series=series.id,
                        occurrence_date=day,
                        starts_at=starts,
                        ends_at=ends,
                        status="published",
                        created_at=now,
                        updated_at=now,
                        created_by=series.created_by_id,
                    )
                )
                created += 1
            elif not event.detached:
                values = dict(shared, starts_at=starts, ends_at=ends, updated_at=now)
                if event.status == "cancelled" and not event.cancel_reason:
                    values["status"] = "published"
                # Never fewer seats than people already holding one.
                if event.taken and (values["capacity"] is None or values["capacity"] < event.taken):
                    values["capacity"] = max(event.taken, event.capacity or 0)
                Event.update(**values).where(Event.id == event.id).execute()
                if (values["capacity"] or 0) > (event.capacity or 0):
                    grown.append(event.id)
                updated += 1
        for batch in range(0, len(new_rows), 100):
            Event.insert_many(new_rows[batch : batch + 100]).execute()
        for event in existing.values():  # dates no longer in the rule
            if counts.get(event.id) and event.status != "draft":  # a draft was never public: just deleted
                if event.status != "cancelled":
                    cancel_event(event, _("Questa data è stata tolta dal calendario dell'attività."))
            else:
                event.delete_instance()
            removed += 1
    for event_id in grown:  # more seats: the waiting lists move up
        grow_capacity(Event.get_by_id(event_id))
    return created, updated, removed


def _closures_for(series: Series) -> set[date]:
    """The centre's closed days over the rule's span (a year beyond its last date: a count moves on past skips)."""
    days = series.dates()
    if not days:
        return set()
    return closed_days(series.site_id, days[0], days[-1] + timedelta(days=366))


def open_dates(series: Series) -> list[date]:
    """The series' dates on days its centre is open (closures skipped like the rule's own skips)."""
    return series.dates(closed=_closures_for(series))


def skipped_dates(series: Series) -> list[date]:
    """The closures that the rule would otherwise have met on (for staff: "skipped: 8/12, 25/12")."""
    closed = _closures_for(series)
    held = open_dates(series)
    if not held or not closed:
        return []
    skip, _bad = parse_dates(series.skip_dates)
    pauses, _bad = parse_periods(series.pauses)
    span = occurrence_dates(series.freq, series.first_day, held[-1], None, skip, pauses)
    return [d for d in span if d in closed]


def _rule(
    freq: str,
    day: date,
    start: time,
    end: time,
    until: date | None,
    count: int | None,
    skip: list[date],
    pauses: list[tuple[date, date]],
) -> dict[str, Any]:
    return dict(
        freq=freq,
        first_day=day,
        start_time=start,
        end_time=end,
        until=until,
        count=count,
        skip_dates=format_dates(skip),
        pauses=format_periods(pauses),
    )


def create_series(
    values: dict[str, Any],
    status: str,
    user: User,
    *,
    freq: str,
    day: date,
    start: time,
    end: time,
    until: date | None = None,
    count: int | None = None,
    skip: list[date] | None = None,
    pauses: list[tuple[date, date]] | None = None,
) -> tuple[Series, int]:
    """A recurring activity and its dates (all drafts when `status` is "draft").

    Returns (series, number of dates created)."""
    with database().atomic():
        series = Series.create(
            created_by=user.id, **_rule(freq, day, start, end, until, count, skip or [], pauses or []), **values
        )
        created, _updated, _removed = materialise(series, start_from=day)
        if status == "draft":
            Event.update(status="draft").where(Event.series == series).execute()
    return series, created


def update_series(
    series: Series,
    values: dict[str, Any],
    *,
    freq: str,
    day: date,
    start: time,
    end: time,
    until: date | None = None,
    count: int | None = None,
    skip: list[date] | None = None,
    pauses: list[tuple[date, date]] | None = None,
) -> tuple[int, int, int]:
    """Change a whole series: every future date not changed on its own follows.

    Returns (created, updated, removed)."""
    if not freq:
        raise Refusal(_("Una serie deve ripetersi: per una data sola modifica quell'evento."), field="freq")
    with database().atomic():
        for key, value in values.items():
            setattr(series, key if key not in ("site", "room", "partner") else f"{key}_id", value)
        for key, value in _rule(freq, day, start, end, until, count, skip or [], pauses or []).items():
            setattr(series, key, value)
        series.save()
        return materialise(series)


@dataclass
class SeriesSummary:
    """A series in words for flyers and the programme: "ogni martedì, 17:00–19:00, dal … al …, tranne …"."""

    freq: str
    weekday: date  # any date on the series' weekday (for the locale's weekday name)
    start: time
    end: time
    first: date | None
    last: date | None
    skipped: list[date]  # closures, skip dates and cancelled dates between first and last
    pauses: list[tuple[date, date]]
    meetings: int
    upcoming: list[date]  # the next meetings (at most 12)


def public_meetings(series_ids) -> dict[int, list[Event]]:
    """The published and cancelled dates of each series (by id), in time order: one query for many series."""
    meetings: dict[int, list[Event]] = {}
    query = (
        Event.select(Event.series, Event.starts_at, Event.status, Event.occurrence_date)
        .where(Event.series.in_(list(series_ids)) & Event.status.in_(("published", "cancelled")))
        .order_by(Event.starts_at, Event.id)
    )
    for event in query:
        meetings.setdefault(event.series_id, []).append(event)
    return meetings


def summarise(
    series: Series,
    from_day: date | None = None,
    until_day: date | None = None,
    whole_window: bool = False,
    occurrences: list[Event] | None = None,
) -> SeriesSummary:
    """What a reader needs to know about the series' public dates from `from_day` (to `until_day`).

    The dates it skips are those between its first and last meeting, or with `whole_window` (a month's
    programme, which names no first and last date) from `from_day` on. `occurrences`: the series'
    public_meetings(), when the caller has loaded them for many series at once."""
    if occurrences is None:
        occurrences = public_meetings([series.id]).get(series.id, [])
    days = [(local_date(e.starts_at), e.status) for e in occurrences]
    if from_day:
        days = [(d, status) for d, status in days if d >= from_day]
    if until_day:
        days = [(d, status) for d, status in days if d <= until_day]
    held = [d for d, status in days if status == "published"]
    first, last = (held[0], held[-1]) if held else (None, None)
    skipped: set[date] = {d for d, status in days if status == "cancelled"}
    since = from_day if whole_window and from_day else first
    pauses, _bad = parse_periods(series.pauses)
    pauses = [(a, b) for a, b in pauses if since and last and b >= since and a <= last]
    if since and last:
        # Every date the rule would meet on between the first and the last, but won't: holidays,
        # closures and skipped dates (pauses are said as periods, not date by date).
        rule = occurrence_dates(series.freq, series.first_day, last, None, (), ())
        in_pause = {d for d in rule for a, b in pauses if a <= d <= b}
        skipped |= {d for d in rule if since <= d <= last and d not in held and d not in in_pause}
    return SeriesSummary(
        freq=series.freq,
        weekday=series.first_day,
        start=series.start_time,
        end=series.end_time,
        first=first,
        last=last,
        skipped=sorted(d for d in skipped if not since or not last or since <= d <= last),
        pauses=pauses,
        meetings=len(held),
        upcoming=held[:12],
    )
