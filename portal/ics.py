"""The one iCalendar builder: Europe/Rome times with a VTIMEZONE, stable UIDs.

Every feed (the public agenda, one event, a person's bookings, shifts) builds a
list of `CalendarEntry` and calls `calendar_response`. UIDs are
``<kind>-<id>@<host of BASE_URL>``, never taken from the request, so the same
item keeps its identity in people's calendars; DTSTAMP is the item's last
change, so a feed fetched twice is byte-identical and caches well.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Response, current_app, make_response

from .clock import UTC, to_local
from .text import single_line


@dataclass(frozen=True)
class CalendarEntry:
    """One VEVENT. Times are the stored naive UTC datetimes."""

    uid: str  # the local part, e.g. "event-12"
    starts_at: datetime
    ends_at: datetime
    summary: str
    changed_at: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    categories: Sequence[str] = ()
    geo: tuple[float, float] | None = None
    organizer: tuple[str, str] | None = None  # (e-mail, display name)
    #: A whole Milan day (or days): starts_at is the first day's midnight, ends_at the last's or the
    #: next day's midnight; written as DATE values (a book's due date has no hour).
    all_day: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def uid_domain() -> str:
    """The host part of every UID: the configured public base URL's host."""
    base = current_app.config.get("BASE_URL") or ""
    return urlsplit(base).hostname or "binari"


def vevent(entry: CalendarEntry):
    from icalendar import Event, vText

    item = Event()
    item.add("uid", f"{entry.uid}@{uid_domain()}")
    changed = entry.changed_at.replace(tzinfo=UTC)
    item.add("dtstamp", changed)
    item.add("last-modified", changed)
    if entry.all_day:
        first = to_local(entry.starts_at).date()
        item.add("dtstart", first)
        item.add("dtend", max(to_local(entry.ends_at).date(), first + timedelta(days=1)))
    else:
        item.add("dtstart", to_local(entry.starts_at))
        item.add("dtend", to_local(entry.ends_at))
    item.add("summary", single_line(entry.summary))
    if entry.description or entry.url:
        text = entry.description.strip()
        item.add("description", f"{text}\n\n{entry.url}".strip() if entry.url else text)
    if entry.location:
        item.add("location", vText(single_line(entry.location)))
    if entry.geo and all(v is not None for v in entry.geo):
        item.add("geo", entry.geo)
    if entry.url:
        item.add("url", entry.url)
    if entry.categories:
        item.add("categories", [single_line(str(c)) for c in entry.categories])
    item.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    if entry.organizer:
        email, name = entry.organizer
        item.add("organizer", f"mailto:{email}", parameters={"CN": single_line(name)})
    for key, value in entry.extra.items():
        item.add(key, value)
    return item


def calendar_bytes(entries: Iterable[CalendarEntry], name: str) -> bytes:
    """A whole VCALENDAR with the Europe/Rome VTIMEZONE."""
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//Binari Kaleidoscopi Metropolitani//Calendario//IT")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", single_line(name))
    cal.add("x-wr-timezone", "Europe/Rome")
    for entry in entries:
        cal.add_component(vevent(entry))
    cal.add_missing_timezones()
    return cal.to_ical()


def calendar_response(
    body: bytes, filename: str, *, cache: str = "private, max-age=900", attachment: bool = False
) -> Response:
    """An iCalendar answer for `body` (from `calendar_bytes`, possibly cached)."""
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response
