"""The agenda's search: periods ("oggi", "questa settimana", "weekend", chosen dates), small typos
forgiven ("did you mean"), and the dates of one course shown as one result."""

from __future__ import annotations

import re
from datetime import date, timedelta

from peewee import fn

from portal.clock import local_day_bounds, today_local, utcnow
from portal.text import did_you_mean, fold

from .models import Event

WHENS = ("today", "week", "weekend")


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def period_days(when: str, first: date | None, last: date | None) -> tuple[date | None, date | None]:
    """The Milan days a period covers (inclusive), or (None, None) for "any time"."""
    today = today_local()
    if when == "today":
        return today, today
    if when == "week":  # from today to Sunday
        return today, today + timedelta(days=6 - today.weekday())
    if when == "weekend":  # the coming Saturday and Sunday (today, when it is the weekend)
        saturday = today + timedelta(days=(5 - today.weekday()) % 7) if today.weekday() < 5 else today
        return saturday, today + timedelta(days=6 - today.weekday())
    if first and last and last < first:
        first, last = last, first
    return first, last


def period_bounds(first: date | None, last: date | None) -> dict:
    """`Event.filtered` bounds (naive UTC) for Milan days `first`..`last`."""
    bounds = {}
    if first:
        bounds["start"] = local_day_bounds(first)[0]
    if last:
        bounds["end"] = local_day_bounds(last)[1]
    return bounds


def vocabulary(limit: int = 2000) -> set[str]:
    """The words of upcoming public events' titles (folded), for "did you mean"."""
    titles = (
        Event.select(fn.DISTINCT(Event.title))
        .where(Event.status.in_(("published", "cancelled")) & (Event.ends_at >= utcnow()))
        .limit(limit)
        .tuples()
    )
    words: set[str] = set()
    for (title,) in titles:
        words.update(w for w in re.findall(r"\w+", fold(title)) if len(w) >= 3)
    return words


def suggestion(q: str) -> str | None:
    """The search with each unknown word replaced by the closest title word, when that changes it."""
    return did_you_mean(q, {word: word for word in vocabulary()})


def group_courses(events: list[Event], query) -> list[Event]:
    """One result per course: its first date here, with `other_dates` = how many more dates match."""
    series_ids = {e.series_id for e in events if e.series_id and not e.detached}
    if not series_ids:
        return events
    counts = dict(
        query.select(Event.series, fn.COUNT(Event.id))
        .where(Event.series.in_(list(series_ids)) & (Event.detached == False))  # noqa: E712
        .group_by(Event.series)
        .order_by()
        .tuples()
    )
    seen, grouped = set(), []
    for event in events:
        if event.series_id and not event.detached:
            if event.series_id in seen:
                continue
            seen.add(event.series_id)
            event.other_dates = max(0, counts.get(event.series_id, 1) - 1)
        grouped.append(event)
    return grouped
