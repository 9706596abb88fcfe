"""The help desks' figures for the impact reports (the `figures` and `people` slots).

Appointments are counted by the Milan day of their slot; the centre is the desk's and, for a
partner's report, only the desks that partner runs. A few aggregated queries (GROUP BY, COUNT),
split by centre and Milan month when the report asks (`portal.report_cells`), whatever the
number of months and centres.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day
from portal.db import is_sqlite
from portal.models import Site
from portal.report_cells import Cells, Grouping, text_key

from .models import TOPICS, Appointment, Desk, Slot

AREA = "desks"
#: Appointments held: every one not cancelled (no-shows were held, then not used).
HELD = ("booked", "arrived", "no_show")

METHOD_APPOINTMENTS = _l(
    "Appuntamenti agli sportelli nei giorni del periodo (ora di Milano), compresi quelli ancora da venire e i "
    "mancati arrivi; non contano quelli annullati. Per argomento: un appuntamento conta per ogni argomento "
    "dello sportello."
)
METHOD_NO_SHOWS = _l("Appuntamenti del periodo segnati dallo sportello come «non venuta/o».")
METHOD_PEOPLE = _l(
    "Persone distinte con un appuntamento non annullato nel periodo: per account, o per e-mail o cellulare di chi "
    "ha prenotato senza account. Le righe di un account cancellato contano ognuna come una persona anonima."
)
METHOD_WAIT = _l(
    "Giorni medi tra la prenotazione e l'appuntamento, per gli appuntamenti prenotati nei giorni del periodo: "
    "quanto si aspetta il primo orario libero che la persona ha scelto."
)


def _bounds(query: ReportQuery) -> tuple[datetime, datetime]:
    return start_of_local_day(query.first), start_of_local_day(query.last + timedelta(days=1))


def _scope(found: Any, query: ReportQuery) -> Any:
    if query.site_id is not None:
        found = found.where(Desk.site == query.site_id)
    if query.partner_id is not None:
        found = found.where(Desk.partner == query.partner_id)
    return found


def _held(query: ReportQuery) -> Any:
    lo, hi = _bounds(query)
    found = (
        Appointment.select()
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .where((Slot.starts_at >= lo) & (Slot.starts_at < hi) & Appointment.status.in_(HELD))
    )
    return _scope(found, query)


def people(query: ReportQuery) -> set[str]:
    """``u<id>`` / ``c<contact>`` of the period's people; ``adesks:<id>`` for each row of a deleted account."""
    rows = _held(query).select(Appointment.id, Appointment.person_key).tuples()
    return {key if key else f"a{AREA}:{row_id}" for row_id, key in rows}


def people_query(query: ReportQuery) -> Any:
    """`people` as SQL (one column, "person"), so the report counts residents across areas in one query."""
    return _held(query).select(_person().alias("person"))


def _person() -> Any:
    """The person of an appointment as SQL, the same keys as `people` (for COUNT(DISTINCT …))."""
    return Case(None, [(Appointment.person_key != "", Appointment.person_key)], text_key(f"a{AREA}:", Appointment.id))


def _wait_days() -> Any:
    """Days from booking to the appointment's slot (never below zero), as SQL."""
    if is_sqlite():
        return fn.MAX(0.0, fn.julianday(Slot.starts_at) - fn.julianday(Appointment.created_at))
    return fn.GREATEST(0.0, fn.date_part("epoch", Slot.starts_at - Appointment.created_at) / 86400.0)


def figures(query: ReportQuery) -> list[Figure]:
    """Appointments per desk and topic, no-shows, distinct people, waiting time to the first free
    slot; split by centre and Milan month when the query asks (`portal.report_cells`)."""
    grouping = Grouping(query)
    cells = Cells(grouping)
    rows = (
        _held(query)
        .select(
            *grouping.columns(Desk.site, Slot.starts_at), Appointment.desk, Appointment.status, fn.COUNT(Appointment.id)
        )
        .group_by(*grouping.group_by(), Appointment.desk, Appointment.status)
        .tuples()
    )
    desk_ids: set[int] = set()
    for row in rows:
        site, month, (desk_id, status, count) = grouping.split(row)
        desk_ids.add(desk_id)
        cells.add(site, month, ("desk", desk_id), count)
        if status == "no_show":
            cells.add(site, month, "no_shows", count)
    desks = {d.id: d for d in Desk.select(Desk, Site).join(Site).where(Desk.id.in_(sorted(desk_ids) or [0]))}
    lo, hi = _bounds(query)
    waits = _scope(
        Appointment.select(
            *grouping.columns(Desk.site, Appointment.created_at), fn.SUM(_wait_days()), fn.COUNT(Appointment.id)
        )
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .where((Appointment.created_at >= lo) & (Appointment.created_at < hi) & Appointment.status.in_(HELD)),
        query,
    )
    if grouping.group_by():
        waits = waits.group_by(*grouping.group_by())
    cells.rows(waits.tuples(), ("wait_days", "waits"))
    cells.distinct("people", lambda *columns: _held(query).select(*columns), _person(), Desk.site, Slot.starts_at)
    return cells.figures(lambda bag: _build(bag, desks))


def _build(bag: Counter[Hashable], desks: dict[int, Desk]) -> list[Figure]:
    """The figures of one cell from its numbers (desks in the order of their ids, as stored)."""
    per_desk = dict(
        sorted((name[1], int(n)) for name, n in bag.items() if isinstance(name, tuple) and name[0] == "desk")
    )
    per_topic: dict[str, int] = {}
    for desk_id, count in per_desk.items():
        for topic in desks[desk_id].topic_keys:
            per_topic[topic] = per_topic.get(topic, 0) + count
    by_desk = sorted(per_desk.items(), key=lambda row: (-row[1], desks[row[0]].name))
    waits = int(bag["waits"])
    return [
        Figure(
            "desks.appointments",
            _l("Sportelli: appuntamenti"),
            sum(per_desk.values()),
            method=METHOD_APPOINTMENTS,
            breakdown=tuple((f"{desks[d].name} ({desks[d].site.short_name})", n) for d, n in by_desk),
        ),
        Figure(
            "desks.topics",
            _l("Sportelli: appuntamenti per argomento"),
            sum(per_desk.values()),
            method=METHOD_APPOINTMENTS,
            breakdown=tuple((TOPICS.get(t, t), n) for t, n in sorted(per_topic.items(), key=lambda r: -r[1])),
        ),
        Figure("desks.no_shows", _l("Sportelli: mancati arrivi"), int(bag["no_shows"]), method=METHOD_NO_SHOWS),
        Figure(
            "desks.people",
            _l("Sportelli: persone distinte"),
            int(bag["people"]),
            people=True,
            method=METHOD_PEOPLE,
        ),
        Figure(
            "desks.wait_days",
            _l("Sportelli: giorni di attesa medi per un appuntamento"),
            round(float(bag["wait_days"]) / waits, 1) if waits else 0,
            unit="",
            method=METHOD_WAIT,
        ),
    ]
