"""The bookings area's figures for the impact reports (the `figures` and `people` slots).

Desk and room bookings are counted by their Milan day (`Booking.day`); equipment loans by the
Milan day they were handed over (`checked_out_at`) or brought back (`returned_at`). The centre is
the resource's (bookings) or the loan's. Every number comes from a few aggregated queries (GROUP
BY, COUNT), never one query per row. The area has no link to partner organisations: a query for a
partner gets no figures and no people.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day, utcnow
from portal.db import is_sqlite

from .models import KIND_DESK, KIND_ROOM, Booking, Item, Loan, LoanItem, Resource

AREA = "bookings"
#: Bookings that took place once their slot began: neither cancelled nor released as no-shows.
USED = ("booked", "checked_in")
#: Bookings held in the period: every one not cancelled (a no-show was held, then released).
HELD = (*USED, "no_show")
KIND_LABELS = {KIND_DESK: _l("Postazioni"), KIND_ROOM: _l("Sale")}

METHOD_BOOKINGS = _l(
    "Prenotazioni di postazioni e sale per i giorni del periodo (ora di Milano), comprese quelle "
    "liberate per mancato arrivo e quelle ancora da venire; non contano quelle annullate."
)
METHOD_HOURS = _l(
    "Somma della durata delle fasce prenotate (dall'inizio alla fine della fascia) delle prenotazioni già "
    "iniziate, non annullate e non liberate per mancato arrivo: lo sportello registra l'arrivo ma non "
    "l'uscita. Dove l'arrivo non si registra, ogni prenotazione conta come usata."
)
METHOD_NO_SHOWS = _l(
    "Prenotazioni liberate perché nessuno è arrivato entro il tempo previsto dalle regole del centro "
    "(solo dove l'arrivo si registra)."
)
METHOD_LOANS_OUT = _l("Prestiti di attrezzatura consegnati allo sportello nei giorni del periodo (ora di Milano).")
METHOD_ITEMS_OUT = _l(
    "Oggetti consegnati con i prestiti del periodo (un kit conta per ogni oggetto), per categoria dell'oggetto."
)
METHOD_LOANS_BACK = _l(
    "Prestiti di attrezzatura chiusi nei giorni del periodo (ora di Milano): tutti gli oggetti restituiti."
)
METHOD_PEOPLE = _l(
    "Persone distinte con una prenotazione usata (già iniziata, non annullata, non liberata per mancato arrivo) o un "
    "prestito consegnato nel periodo, contate per account. Le righe di un account cancellato non dicono più "
    "di chi erano: ognuna conta come una persona anonima a sé."
)


def _bounds(query: ReportQuery) -> tuple[datetime, datetime]:
    """[start, end) of the query's Milan days, as the naive UTC we store."""
    return start_of_local_day(query.first), start_of_local_day(query.last + timedelta(days=1))


def _hours() -> Any:
    """The length of a booking's slot in hours, as SQL (SQLite or PostgreSQL)."""
    if is_sqlite():
        return (fn.julianday(Booking.ends_at) - fn.julianday(Booking.starts_at)) * 24
    return fn.date_part("epoch", Booking.ends_at - Booking.starts_at) / 3600.0


def _bookings(query: ReportQuery) -> Any:
    found = (
        Booking.select()
        .join(Resource)
        .where((Booking.day >= query.first) & (Booking.day <= query.last) & (Booking.status.in_(HELD)))
    )
    if query.site_id is not None:
        found = found.where(Resource.site == query.site_id)
    return found


def _used(query: ReportQuery) -> Any:
    """The bookings of the period that were used: begun, and neither cancelled nor released."""
    return _bookings(query).where(Booking.status.in_(USED) & (Booking.starts_at <= utcnow()))


def _loans(query: ReportQuery, moment: Any) -> Any:
    lo, hi = _bounds(query)
    found = Loan.select().where((moment >= lo) & (moment < hi))
    if query.site_id is not None:
        found = found.where(Loan.site == query.site_id)
    return found


def _keys(rows: Iterable[tuple[Any, Any]], prefix: str) -> set[str]:
    """Person keys from (user id, row id if the user is gone) pairs."""
    return {f"u{user_id}" if user_id is not None else f"a{AREA}:{prefix}{row_id}" for user_id, row_id in rows}


def _anonymous_id(model: Any) -> Any:
    """The row's id when it no longer has a person (a deleted account), else NULL: one person per such row."""
    return Case(None, [(model.user.is_null(), model.id)], None)


def people(query: ReportQuery) -> set[str]:
    """Distinct people with a used booking or an equipment loan handed over in the period.

    Keys: ``"u<user id>"``; a row of a deleted account is one anonymous person,
    ``"abookings:b<booking id>"`` or ``"abookings:l<loan id>"``.
    """
    if query.partner_id is not None:
        return set()
    return _people(query)


def _people(query: ReportQuery) -> set[str]:
    booked = _used(query).select(Booking.user, _anonymous_id(Booking)).distinct().tuples()
    lent = _loans(query, Loan.checked_out_at).select(Loan.user, _anonymous_id(Loan)).distinct().tuples()
    return _keys(booked, "b") | _keys(lent, "l")


def _count_people(query: ReportQuery) -> int:
    """``len(people(query))`` without fetching a row per anonymous booking or loan."""
    accounts: set[int] = set()
    anonymous = 0
    used = _used(query)
    lent = _loans(query, Loan.checked_out_at)
    for rows, model in ((used, Booking), (lent, Loan)):
        accounts |= {
            user_id for (user_id,) in rows.select(model.user).where(model.user.is_null(False)).distinct().tuples()
        }
        anonymous += rows.select(fn.COUNT(model.id)).where(model.user.is_null()).scalar() or 0
    return len(accounts) + anonymous


def figures(query: ReportQuery) -> list[Figure]:
    """Bookings held, hours used, no-shows, equipment handed over and back, distinct people."""
    if query.partner_id is not None:
        return []
    # A report is a page view: it reads what is stored and writes nothing (no-shows are released
    # by the desk's own pages today, by the job worker once there is one).
    held: dict[str, int] = {}
    used_hours: dict[str, float] = {}
    no_shows = 0
    rows = (
        _bookings(query)
        .select(
            Resource.kind,
            Booking.status,
            fn.COUNT(Booking.id),
            fn.SUM(Case(None, [(Booking.starts_at <= utcnow(), _hours())], 0)),  # begun slots only
        )
        .group_by(Resource.kind, Booking.status)
        .tuples()
    )
    for kind, status, count, hours in rows:
        held[kind] = held.get(kind, 0) + count
        if status in USED:
            used_hours[kind] = used_hours.get(kind, 0.0) + float(hours or 0)
        else:
            no_shows += count
    kinds = [k for k in (KIND_DESK, KIND_ROOM) if k in held] + sorted(set(held) - {KIND_DESK, KIND_ROOM})
    loans_out = _loans(query, Loan.checked_out_at).count()
    loans_back = _loans(query, Loan.returned_at).where(Loan.status == "returned").count()
    lo, hi = _bounds(query)
    items = LoanItem.select(Item.category, fn.COUNT(LoanItem.id)).join(Item).switch(LoanItem).join(Loan)
    items = items.where((Loan.checked_out_at >= lo) & (Loan.checked_out_at < hi))
    if query.site_id is not None:
        items = items.where(Loan.site == query.site_id)
    # Most lent first, items without a category last.
    by_category = sorted(items.group_by(Item.category).tuples(), key=lambda row: (not row[0], -row[1], row[0] or ""))
    return [
        Figure(
            "bookings.bookings",
            _l("Co-working: prenotazioni di postazioni e sale"),
            sum(held.values()),
            method=METHOD_BOOKINGS,
            breakdown=tuple((KIND_LABELS.get(k, k), held[k]) for k in kinds),
        ),
        Figure(
            "bookings.hours",
            _l("Co-working: ore di utilizzo"),
            round(sum(used_hours.values()), 1),
            unit="h",
            method=METHOD_HOURS,
            breakdown=tuple((KIND_LABELS.get(k, k), round(used_hours.get(k, 0.0), 1)) for k in kinds),
        ),
        Figure("bookings.no_shows", _l("Co-working: mancati arrivi"), no_shows, method=METHOD_NO_SHOWS),
        Figure(
            "bookings.loans_out",
            _l("Prestito audio-video: prestiti consegnati"),
            loans_out,
            method=METHOD_LOANS_OUT,
        ),
        Figure(
            "bookings.items_out",
            _l("Prestito audio-video: oggetti consegnati"),
            sum(count for _category, count in by_category),
            method=METHOD_ITEMS_OUT,
            breakdown=tuple((category or _l("Senza categoria"), count) for category, count in by_category),
        ),
        Figure(
            "bookings.loans_returned",
            _l("Prestito audio-video: prestiti restituiti"),
            loans_back,
            method=METHOD_LOANS_BACK,
        ),
        Figure(
            "bookings.people",
            _l("Co-working e prestito audio-video: persone distinte"),
            _count_people(query),
            people=True,
            method=METHOD_PEOPLE,
        ),
    ]
