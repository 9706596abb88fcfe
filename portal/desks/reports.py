"""The help desks' figures for the impact reports (the `figures` and `people` slots).

Appointments are counted by the Milan day of their slot; the centre is the desk's and, for a
partner's report, only the desks that partner runs. A few aggregated queries (GROUP BY, COUNT).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day
from portal.models import Site
from portal.report_cells import text_key

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
    key = Case(None, [(Appointment.person_key != "", Appointment.person_key)], text_key(f"a{AREA}:", Appointment.id))
    return _held(query).select(key.alias("person"))


def figures(query: ReportQuery) -> list[Figure]:
    """Appointments per desk and topic, no-shows, distinct people, waiting time to the first free slot."""
    per_desk: dict[int, int] = {}
    no_shows = 0
    for desk_id, status, count in (
        _held(query)
        .select(Appointment.desk, Appointment.status, fn.COUNT(Appointment.id))
        .group_by(Appointment.desk, Appointment.status)
        .tuples()
    ):
        per_desk[desk_id] = per_desk.get(desk_id, 0) + count
        if status == "no_show":
            no_shows += count
    desks = {d.id: d for d in Desk.select(Desk, Site).join(Site).where(Desk.id.in_(list(per_desk) or [0]))}
    per_topic: dict[str, int] = {}
    for desk_id, count in per_desk.items():
        for topic in desks[desk_id].topic_keys:
            per_topic[topic] = per_topic.get(topic, 0) + count
    lo, hi = _bounds(query)
    waits = _scope(
        Appointment.select(Appointment.created_at, Slot.starts_at)
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .where((Appointment.created_at >= lo) & (Appointment.created_at < hi) & Appointment.status.in_(HELD)),
        query,
    ).tuples()
    gaps = [max(0.0, (_dt(start) - _dt(created)).total_seconds() / 86400) for created, start in waits]
    by_desk = sorted(per_desk.items(), key=lambda row: (-row[1], desks[row[0]].name))
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
        Figure("desks.no_shows", _l("Sportelli: mancati arrivi"), no_shows, method=METHOD_NO_SHOWS),
        Figure(
            "desks.people",
            _l("Sportelli: persone distinte"),
            len(people(query)),
            people=True,
            method=METHOD_PEOPLE,
        ),
        Figure(
            "desks.wait_days",
            _l("Sportelli: giorni di attesa medi per un appuntamento"),
            round(sum(gaps) / len(gaps), 1) if gaps else 0,
            unit="",
            method=METHOD_WAIT,
        ),
    ]


def _dt(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
