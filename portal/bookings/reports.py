"""The bookings area's figures for the impact reports (the `figures` and `people` slots).

Desk and room bookings are counted by their Milan day (`Booking.day`); equipment loans by the
Milan day they were handed over (`checked_out_at`) or brought back (`returned_at`). The centre is
the resource's (bookings) or the loan's. Every number comes from a few aggregated queries (GROUP
BY, COUNT), never one query per row. The area has no link to partner organisations: a query for a
partner gets no figures and no people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import SQL, Case, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day, utcnow
from portal.db import is_sqlite
from portal.report_cells import Cells, Grouping, text_key

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


def people(query: ReportQuery) -> set[str]:
    """Distinct people with a used booking or an equipment loan handed over in the period.

    Keys: ``"u<user id>"``; a row of a deleted account is one anonymous person,
    ``"abookings:b<booking id>"`` or ``"abookings:l<loan id>"``.
    """
    if query.partner_id is not None:
        return set()
    return _people(query)


def _people(query: ReportQuery) -> set[str]:
    return {key for (key,) in _people_query(query).tuples()}


def people_query(query: ReportQuery) -> Any:
    """`people` as SQL: one column, "person" (None for a partner's query: nobody)."""
    if query.partner_id is not None:
        return None
    return _people_query(query)


def _people_query(query: ReportQuery) -> Any:
    def person(model: Any, prefix: str) -> Any:
        return Case(None, [(model.user.is_null(False), text_key("u", model.user))], text_key(prefix, model.id))

    booked = _used(query).select(person(Booking, f"a{AREA}:b").alias("person"))
    lent = _loans(query, Loan.checked_out_at).select(person(Loan, f"a{AREA}:l").alias("person"))
    return booked | lent  # UNION: each key once


def figures(query: ReportQuery) -> list[Figure]:
    """Bookings held, hours used, no-shows, equipment handed over and back, distinct people; split
    by centre and Milan month when the query asks (`portal.report_cells`)."""
    if query.partner_id is not None:
        return []
    # A report is a page view: it reads what is stored and writes nothing (no-shows are released
    # by the desk's own pages today, by the job worker once there is one).
    grouping = Grouping(query)
    cells = Cells(grouping)
    now = utcnow()
    rows = (
        _bookings(query)
        .select(
            *grouping.columns(Resource.site, Booking.day, dates=True),
            Resource.kind,
            Booking.status,
            fn.COUNT(Booking.id),
            fn.SUM(Case(None, [(Booking.starts_at <= now, _hours())], 0)),  # begun slots only
        )
        .group_by(*grouping.group_by(), Resource.kind, Booking.status)
        .tuples()
    )
    for row in rows:
        site, month, (kind, status, count, hours) = grouping.split(row)
        cells.add(site, month, ("held", kind), count)
        if status in USED:
            cells.add(site, month, ("hours", kind), float(hours or 0))
        else:
            cells.add(site, month, "no_shows", count)
    for moment, name in ((Loan.checked_out_at, "loans_out"), (Loan.returned_at, "loans_back")):
        lent = _loans(query, moment)
        if name == "loans_back":
            lent = lent.where(Loan.status == "returned")
        lent = lent.select(*grouping.columns(Loan.site, moment), fn.COUNT(Loan.id))
        if grouping.group_by():
            lent = lent.group_by(*grouping.group_by())
        cells.rows(lent.tuples(), (name,))
    lo, hi = _bounds(query)
    items = (
        LoanItem.select(*grouping.columns(Loan.site, Loan.checked_out_at), Item.category, fn.COUNT(LoanItem.id))
        .join(Item)
        .switch(LoanItem)
        .join(Loan)
        .where((Loan.checked_out_at >= lo) & (Loan.checked_out_at < hi))
    )
    if query.site_id is not None:
        items = items.where(Loan.site == query.site_id)
    for row in items.group_by(*grouping.group_by(), Item.category).tuples():
        site, month, (category, count) = grouping.split(row)
        cells.add(site, month, ("items", category or ""), count)
    _count_people(query, cells)
    return cells.figures(_build)


def _count_people(query: ReportQuery, cells: Cells) -> None:
    """Distinct people (as in `people`) per cell: one COUNT(DISTINCT …) over used bookings and
    loans handed over together (UNION ALL), without fetching a row per person."""
    booked = _used(query).select(
        Resource.site.alias("site"),
        Booking.starts_at.alias("moment"),  # in the Milan month of the booking's day
        Case(None, [(Booking.user.is_null(False), text_key("u", Booking.user))], text_key("b", Booking.id)).alias(
            "person"
        ),
    )
    lent = _loans(query, Loan.checked_out_at).select(
        Loan.site.alias("site"),
        Loan.checked_out_at.alias("moment"),
        Case(None, [(Loan.user.is_null(False), text_key("u", Loan.user))], text_key("l", Loan.id)).alias("person"),
    )
    both = (booked + lent).alias("rows")  # UNION ALL

    def column(name: str) -> Any:
        return SQL(f'"rows"."{name}"')

    cells.distinct(
        "people",
        lambda *cols: Booking.select(*cols).from_(both),
        column("person"),
        column("site"),
        column("moment"),
    )


def _build(bag: Counter[Hashable]) -> list[Figure]:
    """The figures of one cell from its numbers."""
    held = {name[1]: int(n) for name, n in bag.items() if isinstance(name, tuple) and name[0] == "held"}
    used_hours = {name[1]: float(n) for name, n in bag.items() if isinstance(name, tuple) and name[0] == "hours"}
    no_shows = int(bag["no_shows"])
    kinds = [k for k in (KIND_DESK, KIND_ROOM) if k in held] + sorted(set(held) - {KIND_DESK, KIND_ROOM})
    loans_out, loans_back = int(bag["loans_out"]), int(bag["loans_back"])
    categories = [(name[1], int(n)) for name, n in bag.items() if isinstance(name, tuple) and name[0] == "items"]
    # Most lent first, items without a category last.
    by_category = sorted(categories, key=lambda row: (not row[0], -row[1], row[0]))
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
            int(bag["people"]),
            people=True,
            method=METHOD_PEOPLE,
        ),
    ]
