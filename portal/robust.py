"""Input that must never become a 500: huge ids, far-away dates, numbers too big for a column.

- `<int:…>` in every route is bounded to what a database integer holds (2^63 - 1):
  a larger id is simply not found (404), the same as an id nobody has.
- `day_from(text)` reads a date from an address or a query string and refuses one
  outside the years the portal can count in (400 with a message, never a 500).
- A number too large for the database or a date overflowing in arithmetic that
  still slips through answers 400 with a message instead of a 500.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from .refusals import Refusal

DB_INT_MAX = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT
YEARS_AROUND = 100  # a staff page's date is within a century of today


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that matches only ids a database can hold (larger: 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=DB_INT_MAX if max is None else max, signed=signed)


class DayOutOfRange(Refusal):
    """A date in an address or a query string that is not a real day we can use."""

    def __init__(self, message: str | None = None, status: int = 400, field: str | None = None) -> None:
        super().__init__(
            message or _("Data non valida: scrivila come AAAA-MM-GG, entro cento anni da oggi."), status, field
        )


def day_from(text: str | None) -> date:
    """The ISO date in `text` (YYYY-MM-DD), within a century of today, or DayOutOfRange."""
    from .clock import today_local

    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        raise DayOutOfRange() from None
    if abs(day.year - today_local().year) > YEARS_AROUND:
        raise DayOutOfRange()
    return day


def int_or_none(text: object) -> int | None:
    """A form or query value as an id a database can hold, else None."""
    try:
        number = int(str(text))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= DB_INT_MAX else None


def init_app(app) -> None:
    """Bound `<int:>` app-wide (before any blueprint adds its rules) and answer overflows with 400."""
    from .rendering import render

    app.url_map.converters["int"] = BoundedIntegerConverter
    from .text import mask_links

    app.jinja_env.filters["mask_links"] = mask_links  # the staff outbox: links and codes masked

    @app.errorhandler(DayOutOfRange)
    def day_out_of_range(error):
        return render("errors/400.html", status=400, reason=error.message)

    @app.errorhandler(OverflowError)
    def overflow(error):
        # A number or a date beyond what the database or the calendar holds (e.g. year 9999 + 1 day).
        return render("errors/400.html", status=400, reason=_("Un numero o una data nella richiesta è fuori misura."))
