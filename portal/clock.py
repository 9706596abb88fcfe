"""Rome time, the one set of helpers every area uses.

The database stores naive UTC datetimes (``utcnow()``). Everything a person
reads or types is Milan wall-clock time. The helpers here convert between the
two and always hand back *aware* datetimes for local time, so a local value can
never be mistaken for a stored one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")
UTC = UTC


def utcnow() -> datetime:
    """Now, as the naive UTC datetime we store."""
    return datetime.now(UTC).replace(tzinfo=None)


def now_local() -> datetime:
    """Now in Milan (aware)."""
    return datetime.now(ROME)


def today_local() -> date:
    """Today's date in Milan (at 00:30 in Milan the UTC date is still yesterday)."""
    return datetime.now(ROME).date()


def to_utc(day_or_moment: date | datetime, clock: time | None = None) -> datetime:
    """A Milan wall-clock moment as the naive UTC we store.

    Accepts ``to_utc(date, time)``, a naive local ``datetime`` or an aware one.
    Wall-clock times that do not exist (the spring-forward hour) move forward
    by the gap, as ``zoneinfo`` does; repeated ones take the first (fold=0).
    """
    if clock is not None:
        moment = datetime.combine(day_or_moment, clock)
    elif isinstance(day_or_moment, datetime):
        moment = day_or_moment
    else:
        moment = datetime.combine(day_or_moment, time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ROME)
    return moment.astimezone(UTC).replace(tzinfo=None)


def to_local(utc_naive: datetime) -> datetime:
    """A stored naive UTC datetime as an aware Milan datetime."""
    return utc_naive.replace(tzinfo=UTC).astimezone(ROME)


def local_date(utc_naive: datetime) -> date:
    """The Milan calendar day of a stored moment."""
    return to_local(utc_naive).date()


def start_of_local_day(day: date) -> datetime:
    """Midnight at the start of a Milan day, as naive UTC."""
    return to_utc(day, time())


def end_of_local_day(day: date) -> datetime:
    """The last second of a Milan calendar day, as naive UTC."""
    return to_utc(day, time(23, 59, 59))


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Milan day as naive UTC (23 or 25 hours on DST days)."""
    return start_of_local_day(day), start_of_local_day(day + timedelta(days=1))


def month_bounds_utc(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a Milan month, as naive UTC."""
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start_of_local_day(start), start_of_local_day(end)
