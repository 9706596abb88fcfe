"""The calendar's figures for the impact reports (the `figures` and `people` slots of the area).

Every figure is about the events *held* in the period: published (not cancelled, not a draft
or a proposal) and starting between the first and the last Milan day of the query, at the
query's centre and, for a partner, run by that partner. A few aggregated queries (GROUP BY,
SUM of CASE, DISTINCT) answer them all, whatever the number of events and registrations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Case, Expression, ModelSelect, Value, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day, utcnow
from portal.report_cells import Cells, Grouping, text_key

from .models import AUDIENCES, CATEGORIES, Event, Registration

AREA = "events"


def _held(query: ReportQuery) -> Expression:
    """The events held in the query's period, centre and partner (a condition on `Event`)."""
    lo = start_of_local_day(query.first)
    hi = start_of_local_day(query.last + timedelta(days=1))
    condition = (Event.status == "published") & (Event.starts_at >= lo) & (Event.starts_at < hi)
    if query.site_id is not None:
        condition &= Event.site == query.site_id
    if query.partner_id is not None:
        condition &= Event.partner == query.partner_id
    return condition


def _held_ids(query: ReportQuery) -> ModelSelect:
    return Event.select(Event.id).where(_held(query))


def _count(condition: Expression) -> Any:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): one column of an aggregated query."""
    return fn.SUM(Case(None, [(condition, 1)], 0))


def _breakdown(counts: dict[str, int], labels: dict[str, Any]) -> tuple[tuple[Any, int], ...]:
    """(label, count) pairs in the labels' order, then any unknown code as is; zero counts left out."""
    known = [(labels[code], counts[code]) for code in labels if counts.get(code)]
    unknown = [(code, n) for code, n in sorted(counts.items()) if code not in labels and n]
    return tuple(known + unknown)


def _person_key() -> Any:
    """The person of a registration as SQL, the same keys as `people` (for COUNT(DISTINCT …))."""
    email = fn.LOWER(fn.TRIM(Registration.email))
    phone = fn.REPLACE(Registration.phone, " ", "")
    has_email = Registration.email.is_null(False) & (fn.TRIM(Registration.email) != "")
    has_phone = Registration.phone.is_null(False) & (phone != "")
    return Case(
        None,
        [
            (Registration.user.is_null(False), text_key("u", Registration.user)),
            (has_email, Value("c").concat(email)),
            (has_phone, Value("c").concat(phone)),
        ],
        text_key(f"a{AREA}:", Registration.id),
    )


def people(query: ReportQuery) -> set[str]:
    """The distinct people who held a seat (a confirmed registration) at an event held in the period.

    Keys: "u<user id>" for accounts, "c<e-mail>" (trimmed, lower case) or "c<phone>" (without
    spaces) for guests, and "aevents:<registration id>" for a row that no longer has an account
    or a contact (a deleted account, a guest whose contact was forgotten): one person each.
    """
    return {key for (key,) in people_query(query).distinct().tuples()}


def people_query(query: ReportQuery) -> Any:
    """`people` as SQL: one column, "person" (for counting across areas in one query)."""
    return (
        Registration.select(_person_key().alias("person"))
        .join(Event)
        .where((Registration.status == "confirmed") & _held(query))
    )


def figures(query: ReportQuery) -> list[Figure]:
    """Events held (by category, by audience), registrations, attendance, waitlist promotions,
    no-shows and distinct people with a seat, for the query's period, centre and partner; split
    by centre and Milan month when the query asks (`portal.report_cells`)."""
    grouping = Grouping(query)
    cells = Cells(grouping)
    split = grouping.columns(Event.site, Event.starts_at)
    rows = (
        Event.select(*split, Event.category, Event.audience, fn.COUNT(Event.id))
        .where(_held(query))
        .group_by(*grouping.group_by(), Event.category, Event.audience)
        .tuples()
    )
    for row in rows:
        site, month, (category, audience, n) = grouping.split(row)
        cells.add(site, month, "held", n)
        cells.add(site, month, ("category", category), n)
        cells.add(site, month, ("audience", audience), n)

    confirmed = Registration.status == "confirmed"
    # "Attendance taken": the staff marked the event's roster (someone is marked present or absent).
    marked = Registration.select(Registration.event).where(
        Registration.attended.is_null(False) & Registration.event.in_(_held_ids(query))
    )
    not_present = Registration.attended.is_null() | (Registration.attended == False)  # noqa: E712
    no_show = confirmed & (Event.ends_at < utcnow()) & Event.id.in_(marked) & not_present
    counts = (
        Registration.select(
            *split,
            _count(confirmed),
            _count(Registration.status == "waitlist"),
            _count(confirmed & (Registration.attended == True)),  # noqa: E712
            _count(Registration.promoted_at.is_null(False)),
            _count(no_show),
        )
        .join(Event)
        .where(_held(query))
    )
    if grouping.group_by():
        counts = counts.group_by(*grouping.group_by())
    cells.rows(counts.tuples(), ("seats", "waiting", "present", "promoted", "absent"))
    cells.distinct(
        "people",
        lambda *columns: Registration.select(*columns).join(Event).where(confirmed & _held(query)),
        _person_key(),
        Event.site,
        Event.starts_at,
    )
    return cells.figures(_build)


def _build(bag: Counter[Hashable]) -> list[Figure]:
    """The figures of one cell from its numbers."""
    by_category = {name[1]: int(n) for name, n in bag.items() if isinstance(name, tuple) and name[0] == "category"}
    by_audience = {name[1]: int(n) for name, n in bag.items() if isinstance(name, tuple) and name[0] == "audience"}
    held = int(bag["held"])
    seats, waiting, present = int(bag["seats"]), int(bag["waiting"]), int(bag["present"])
    promoted, absent, reached = int(bag["promoted"]), int(bag["absent"]), int(bag["people"])
    return [
        Figure(
            f"{AREA}.held",
            _l("Eventi svolti, per categoria"),
            held,
            method=_l(
                "Eventi pubblicati (non annullati, non bozze né proposte) che iniziano nel periodo, ora di Milano, "
                "compresi quelli ancora in programma se il periodo non è finito; ogni data di un'attività "
                "ricorrente conta come un evento. Diviso per categoria."
            ),
            breakdown=_breakdown(by_category, CATEGORIES),
        ),
        Figure(
            f"{AREA}.held_by_audience",
            _l("Eventi svolti, per pubblico"),
            held,
            method=_l("Gli stessi eventi svolti, divisi per pubblico a cui sono rivolti."),
            breakdown=_breakdown(by_audience, AUDIENCES),
        ),
        Figure(
            f"{AREA}.registrations",
            _l("Iscrizioni"),
            seats + waiting,
            people=True,
            method=_l(
                "Iscrizioni non annullate agli eventi svolti nel periodo: posti confermati più persone "
                "rimaste in lista d'attesa. Le iscrizioni agli eventi annullati non contano."
            ),
            breakdown=((_l("Posti confermati"), seats), (_l("In lista d'attesa"), waiting)),
        ),
        Figure(
            f"{AREA}.attendance",
            _l("Presenze"),
            present,
            people=True,
            method=_l(
                "Iscrizioni confermate segnate come presenti dal personale, agli eventi svolti nel periodo. "
                "Chi entra senza iscrizione a un evento a ingresso libero non è contato."
            ),
        ),
        Figure(
            f"{AREA}.promotions",
            _l("Posti dati dalla lista d'attesa"),
            promoted,
            people=True,
            method=_l(
                "Iscrizioni passate dalla lista d'attesa a un posto confermato (anche se poi annullate), "
                "per gli eventi svolti nel periodo."
            ),
        ),
        Figure(
            f"{AREA}.no_shows",
            _l("Assenze (iscritti non venuti)"),
            absent,
            people=True,
            method=_l(
                "Iscrizioni confermate non segnate come presenti, per gli eventi del periodo già finiti di cui "
                "il personale ha registrato le presenze. Gli eventi senza registro delle presenze non contano."
            ),
        ),
        Figure(
            f"{AREA}.people",
            _l("Persone diverse con un posto"),
            reached,
            people=True,
            method=_l(
                "Persone diverse con un'iscrizione confermata a un evento svolto nel periodo: chi ha un account "
                "conta una volta, chi si iscrive come ospite conta una volta per indirizzo e-mail (maiuscole e "
                "spazi non contano) o numero di cellulare. Le iscrizioni di un account cancellato, o di un "
                "ospite di cui abbiamo dimenticato i contatti, non si possono più ricondurre a una persona: "
                "ciascuna conta come una persona anonima."
            ),
        ),
    ]
