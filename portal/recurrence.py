"""The one recurrence engine: event series and volunteer shifts use it.

A rule is a frequency ("weekly", "biweekly", "monthly" on the same nth weekday,
or "" for a single date) from a first day, until a date or for a count, less
skipped dates, pause periods and — when asked — the centre's closed days.
dateutil's rrule does the calendar arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday


def parse_dates(text: str | None) -> tuple[list[date], list[str]]:
    """Dates typed one per line or comma-separated (dd/mm/yyyy or yyyy-mm-dd).

    Returns (dates, bad_tokens)."""
    found: list[date] = []
    bad: list[str] = []
    for token in re.split(r"[,;\n]+", text or ""):
        token = token.strip()
        if not token:
            continue
        day = _parse_one_date(token)
        (found.append(day) if day else bad.append(token))
    return sorted(set(found)), bad


def _parse_one_date(token: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(token, pattern).date()
        except ValueError:
            continue
    return None


def parse_periods(text: str | None) -> tuple[list[tuple[date, date]], list[str]]:
    """Pause periods "01/08/2027 - 31/08/2027", one per line. Returns (periods, bad)."""
    periods: list[tuple[date, date]] = []
    bad: list[str] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"\s+-\s+|\s*–\s*|\s+al\s+|\s*\.\.\s*", line)
        if len(parts) != 2:
            bad.append(line)
            continue
        first, last = _parse_one_date(parts[0].strip()), _parse_one_date(parts[1].strip())
        if not first or not last or last < first:
            bad.append(line)
            continue
        periods.append((first, last))
    return periods, bad


def format_dates(days: Iterable[date]) -> str:
    return "\n".join(d.strftime("%d/%m/%Y") for d in days)


def format_periods(periods: Iterable[tuple[date, date]]) -> str:
    return "\n".join(f"{a.strftime('%d/%m/%Y')} - {b.strftime('%d/%m/%Y')}" for a, b in periods)


def nth_weekday_of(day: date) -> tuple[int, int]:
    """(n, weekday) of a date within its month: 1..4, or -1 for the last one."""
    n = (day.day - 1) // 7 + 1
    return (-1 if n == 5 else n), day.weekday()


MAX_OCCURRENCES = 200


def occurrence_dates(
    freq: str,
    first_day: date,
    until: date | None = None,
    count: int | None = None,
    skip: Collection[date] = (),
    pauses: Iterable[tuple[date, date]] = (),
) -> list[date]:
    """The dates of a series, computed with dateutil's rrule.

    `count` counts the occurrences that really happen (skipped and paused dates
    do not use it up); `until` is inclusive.
    """
    if freq == "weekly":
        rule: dict = dict(freq=WEEKLY, interval=1)
    elif freq == "biweekly":
        rule = dict(freq=WEEKLY, interval=2)
    elif freq == "monthly":
        n, wd = nth_weekday_of(first_day)
        rule = dict(freq=MONTHLY, byweekday=weekday(wd)(n))
    else:
        return [first_day]
    skip = set(skip)
    pauses = list(pauses)
    limit_until = until or (first_day + timedelta(days=3 * 366))
    dates: list[date] = []
    for moment in rrule(
        dtstart=datetime.combine(first_day, time()), until=datetime.combine(limit_until, time()), **rule
    ):
        day = moment.date()
        if day in skip or any(a <= day <= b for a, b in pauses):
            continue
        dates.append(day)
        if (count and len(dates) >= count) or len(dates) >= MAX_OCCURRENCES:
            break
    return dates


def split_closed(days: Iterable[date], closed: Collection[date]) -> tuple[list[date], list[date]]:
    """(open days, closed days) of a list of dates, given a centre's closed days."""
    days = list(days)
    return [d for d in days if d not in closed], [d for d in days if d in closed]
