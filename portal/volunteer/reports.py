"""Volunteering's figures for the impact reports (the `figures` and `people` slots of the area).

Every figure is about the shifts *held* in the period: not cancelled and starting between the
first and the last Milan day of the query, of an opportunity at the query's centre. Volunteer
opportunities have no link to a partner organisation, so a partner's report gets no volunteer
figures and no volunteers (empty answers), rather than the centre's ones.
A few aggregated queries (COUNT, SUM of CASE, DISTINCT) answer them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Case, Expression, ModelSelect, Value, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day
from portal.report_cells import Cells, Grouping, text_key

from .models import ACTIVE, Opportunity, Shift, Signup

AREA = "volunteer"


def _held(query: ReportQuery) -> Expression:
    """The shifts held in the query's period and centre (a condition on `Shift` joined to `Opportunity`)."""
    lo = start_of_local_day(query.first)
    hi = start_of_local_day(query.last + timedelta(days=1))
    condition = Shift.cancelled_at.is_null() & (Shift.starts_at >= lo) & (Shift.starts_at < hi)
    if query.site_id is not None:
        condition &= Opportunity.site == query.site_id
    return condition


def _held_ids(query: ReportQuery) -> ModelSelect:
    return Shift.select(Shift.id).join(Opportunity).where(_held(query))


def _sum(condition: Expression, value: Any = 1) -> Any:
    """SUM(CASE WHEN condition THEN value ELSE 0 END): one column of an aggregated query."""
    return fn.SUM(Case(None, [(condition, value)], 0))


def _hours(minutes: Any) -> float:
    return round(int(minutes or 0) / 60, 1)


def _person_key() -> Any:
    """The person of a sign-up as SQL, the same keys as `people` (for COUNT(DISTINCT …))."""
    email = fn.LOWER(fn.TRIM(Signup.email))
    phone = fn.REPLACE(Signup.phone, " ", "")
    has_email = Signup.email.is_null(False) & (fn.TRIM(Signup.email) != "")
    has_phone = Signup.phone.is_null(False) & (phone != "")
    return Case(
        None,
        [
            (Signup.user.is_null(False), text_key("u", Signup.user)),
            (has_email, Value("c").concat(email)),
            (has_phone, Value("c").concat(phone)),
        ],
        text_key(f"a{AREA}:", Signup.id),
    )


def _present() -> Expression:
    return (Signup.status == ACTIVE) & (Signup.attended.is_null() | (Signup.attended == True))  # noqa: E712


def people(query: ReportQuery) -> set[str]:
    """The distinct volunteers: people with a place (an active sign-up) on a shift held in the
    period, less those the coordinator marked absent. Nobody for a partner's query.

    Keys: "u<user id>" for accounts, "c<e-mail>" (trimmed, lower case) or "c<phone>" (without
    spaces) for guests and walk-ins, and "avolunteer:<sign-up id>" for a row with neither
    (a deleted account): one person each. Companions (+N) have no record of their own.
    """
    found = people_query(query)
    return set() if found is None else {key for (key,) in found.distinct().tuples()}


def people_query(query: ReportQuery) -> Any:
    """`people` as SQL: one column, "person" (None for a partner's query: nobody)."""
    if query.partner_id is not None:
        return None
    return Signup.select(_person_key().alias("person")).join(Shift).join(Opportunity).where(_present() & _held(query))


def figures(query: ReportQuery) -> list[Figure]:
    """Shifts held and filled, hours served and distinct volunteers for the query's period and
    centre, split by centre and Milan month when asked; none for a partner's query
    (opportunities are not linked to partners)."""
    if query.partner_id is not None:
        return []
    grouping = Grouping(query)
    cells = Cells(grouping)
    split = grouping.columns(Opportunity.site, Shift.starts_at)
    shifts = (
        Shift.select(*split, fn.COUNT(Shift.id), _sum(Shift.taken >= Shift.capacity))
        .join(Opportunity)
        .where(_held(query))
    )
    if grouping.group_by():
        shifts = shifts.group_by(*grouping.group_by())
    cells.rows(shifts.tuples(), ("held", "filled"))
    served = Signup.attended == True  # noqa: E712
    minutes = (
        Signup.select(
            *split, _sum(served, Signup.minutes_served), _sum(served, Signup.minutes_served * (Signup.party - 1))
        )
        .join(Shift)
        .join(Opportunity)
        .where(_held(query))
    )
    if grouping.group_by():
        minutes = minutes.group_by(*grouping.group_by())
    cells.rows(minutes.tuples(), ("own", "companions"))
    cells.distinct(
        "people",
        lambda *columns: Signup.select(*columns).join(Shift).join(Opportunity).where(_present() & _held(query)),
        _person_key(),
        Opportunity.site,
        Shift.starts_at,
    )
    return cells.figures(_build)


def _build(bag: Counter[Hashable]) -> list[Figure]:
    """The figures of one cell from its numbers."""
    held, filled = bag["held"], bag["filled"]
    own_hours, companion_hours = _hours(bag["own"]), _hours(bag["companions"])
    volunteers = int(bag["people"])
    return [
        Figure(
            f"{AREA}.shifts",
            _l("Turni di volontariato svolti"),
            int(held or 0),
            method=_l(
                "Turni non annullati che iniziano nel periodo, ora di Milano, compresi quelli ancora da svolgere "
                "se il periodo non è finito."
            ),
        ),
        Figure(
            f"{AREA}.shifts_filled",
            _l("Turni al completo"),
            int(filled or 0),
            method=_l(
                "Turni svolti nel periodo in cui tutti i posti erano occupati da volontari iscritti "
                "(accompagnatori compresi)."
            ),
        ),
        Figure(
            f"{AREA}.hours",
            _l("Ore di volontariato"),
            round(own_hours + companion_hours, 1),
            unit="h",
            method=_l(
                "Ore registrate dal coordinatore per chi era presente ai turni svolti nel periodo (la durata del "
                "turno), moltiplicate per le persone del gruppo: chi si è iscritto più i suoi accompagnatori."
            ),
            breakdown=((_l("Volontari iscritti"), own_hours), (_l("Accompagnatori"), companion_hours)),
        ),
        Figure(
            f"{AREA}.volunteers",
            _l("Volontari diversi"),
            volunteers,
            people=True,
            method=_l(
                "Persone diverse con un posto in un turno svolto nel periodo, tranne chi è stato segnato assente: "
                "chi ha un account conta una volta, gli altri una volta per e-mail (maiuscole e spazi non "
                "contano) o cellulare. Gli accompagnatori non sono contati. I turni di un account cancellato "
                "non si possono più ricondurre a una persona: ciascuno conta come una persona anonima."
            ),
        ),
    ]
