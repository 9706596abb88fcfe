"""The calendar's figures for the impact reports (the `figures` and `people` slots of the area).

Every figure is about the events *held* in the period: published (not cancelled, not a draft
or a proposal) and starting between the first and the last Milan day of the query, at the
query's centre and, for a partner, run by that partner. A few aggregated queries (GROUP BY,
SUM of CASE, DISTINCT) answer them all, whatever the number of events and registrations.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Case, Expression, ModelSelect, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day, utcnow

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


def people(query: ReportQuery) -> set[str]:
    """The distinct people who held a seat (a confirmed registration) at an event held in the period.

    Keys: "u<user id>" for accounts, "c<e-mail>" (trimmed, lower case) or "c<phone>" (without
    spaces) for guests, and "aevents:<registration id>" for a row that no longer has an account
    or a contact (a deleted account, a guest whose contact was forgotten): one person each.
    """
    email = fn.LOWER(fn.TRIM(Registration.email))
    phone = fn.REPLACE(Registration.phone, " ", "")
    has_email = Registration.email.is_null(False) & (fn.TRIM(Registration.email) != "")
    has_phone = Registration.phone.is_null(False) & (phone != "")
    rows = (
        Registration.select(
            Registration.user,
            Case(None, [(Registration.user.is_null(False), None), (has_email, email)], None).alias("email"),
            Case(None, [(Registration.user.is_null(False) | has_email, None), (has_phone, phone)], None).alias("phone"),
            Case(None, [(Registration.user.is_null() & ~has_email & ~has_phone, Registration.id)], None).alias(
                "row_id"
            ),
        )
        .where((Registration.status == "confirmed") & Registration.event.in_(_held_ids(query)))
        .distinct()
        .tuples()
    )
    found = set()
    for user_id, email_key, phone_key, row_id in rows:
        if user_id is not None:
            found.add(f"u{user_id}")
        elif email_key:
            found.add(f"c{email_key}")
        elif phone_key:
            found.add(f"c{phone_key}")
        else:
            found.add(f"a{AREA}:{row_id}")
    return found


def figures(query: ReportQuery) -> list[Figure]:
    """Events held (by category, by audience), registrations, attendance, waitlist promotions,
    no-shows and distinct people with a seat, for the query's period, centre and partner."""
    by_category: dict[str, int] = {}
    by_audience: dict[str, int] = {}
    held = 0
    for category, audience, n in (
        Event.select(Event.category, Event.audience, fn.COUNT(Event.id))
        .where(_held(query))
        .group_by(Event.category, Event.audience)
        .tuples()
    ):
        held += n
        by_category[category] = by_category.get(category, 0) + n
        by_audience[audience] = by_audience.get(audience, 0) + n

    confirmed = Registration.status == "confirmed"
    # "Attendance taken": the staff marked the event's roster (someone is marked present or absent).
    marked = Registration.select(Registration.event).where(
        Registration.attended.is_null(False) & Registration.event.in_(_held_ids(query))
    )
    not_present = Registration.attended.is_null() | (Registration.attended == False)  # noqa: E712
    no_show = confirmed & (Event.ends_at < utcnow()) & Event.id.in_(marked) & not_present
    row = (
        Registration.select(
            _count(confirmed),
            _count(Registration.status == "waitlist"),
            _count(confirmed & (Registration.attended == True)),  # noqa: E712
            _count(Registration.promoted_at.is_null(False)),
            _count(no_show),
        )
        .join(Event)
        .where(_held(query))
        .tuples()
        .get()
    )
    seats, waiting, present, promoted, absent = (int(value or 0) for value in row)
    reached = len(people(query))

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
