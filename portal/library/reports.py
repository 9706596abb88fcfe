"""The library's figures for the impact reports (the `figures` and `people` slots).

Everything is counted by Milan days (`portal.clock`): a loan issued at 00:30 on the 1st of a month
in Milan (still the previous day in UTC) belongs to that month. The centre is the library's. Every
number comes from a few aggregated queries (GROUP BY, COUNT), never one query per row. The library
has no link to partner organisations: a query for a partner gets no figures and no people.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day

from .forms import LANGUAGE_LABELS
from .models import Hold, Library, LibraryMember, Loan, Title

AREA = "library"

METHOD_LOANS = _l("Prestiti registrati allo sportello nei giorni del periodo (ora di Milano), per lingua del libro.")
METHOD_RETURNS = _l("Libri restituiti allo sportello nei giorni del periodo (ora di Milano).")
METHOD_NEW_READERS = _l(
    "Persone che hanno preso il loro primo libro in prestito in questa biblioteca nel periodo; chi ha poi "
    "cancellato l'account resta contato, in forma anonima."
)
METHOD_HOLDS_PLACED = _l(
    "Prenotazioni di libri fatte nel periodo, qualunque sia stato il loro esito. Le prenotazioni di chi ha "
    "cancellato l'account vengono cancellate con l'account e non sono contate."
)
METHOD_HOLDS_COLLECTED = _l(
    "Prenotazioni chiuse nel periodo con il prestito del libro alla persona che l'aveva prenotato."
)
METHOD_READERS = _l(
    "Persone distinte che hanno preso almeno un libro in prestito nel periodo, contate per account. Un "
    "prestito restituito da chi non ha scelto di conservare lo storico, o di un account cancellato, non dice "
    "più chi l'ha preso: ognuno di questi prestiti conta come una persona anonima a sé, quindi chi ne ha "
    "presi più di uno può essere contato più volte."
)


def _bounds(query: ReportQuery) -> tuple[datetime, datetime]:
    """[start, end) of the query's Milan days, as the naive UTC we store."""
    return start_of_local_day(query.first), start_of_local_day(query.last + timedelta(days=1))


def _libraries(query: ReportQuery) -> Any:
    libraries = Library.select(Library.id)
    if query.site_id is not None:
        libraries = libraries.where(Library.site == query.site_id)
    return libraries


def _loans_issued(query: ReportQuery) -> Any:
    lo, hi = _bounds(query)
    return Loan.select().where(Loan.library.in_(_libraries(query)) & (Loan.issued_at >= lo) & (Loan.issued_at < hi))


def people(query: ReportQuery) -> set[str]:
    """Distinct readers: people with a loan issued in the period.

    Keys: ``"u<user id>"``; a loan that no longer names its reader (returned without a kept
    history, or of a deleted account) is one anonymous person, ``"alibrary:<loan id>"``.
    """
    if query.partner_id is not None:
        return set()
    rows = (
        _loans_issued(query)
        .select(Loan.member, Case(None, [(Loan.member.is_null(), Loan.id)], None))
        .distinct()
        .tuples()
    )
    return {f"u{member_id}" if member_id is not None else f"a{AREA}:{loan_id}" for member_id, loan_id in rows}


def figures(query: ReportQuery) -> list[Figure]:
    """Loans (by language), returns, new readers, holds placed and collected, distinct readers."""
    if query.partner_id is not None:
        return []
    lo, hi = _bounds(query)
    libraries = _libraries(query)
    # One pass over the period's loans: by language and reader (every anonymous loan of a language in one row).
    loans: dict[str, int] = {}
    accounts: set[int] = set()
    anonymous = 0
    rows = (
        _loans_issued(query).select(Loan.language, Loan.member, fn.COUNT(Loan.id)).group_by(Loan.language, Loan.member)
    )
    for language, member_id, count in rows.tuples():
        code = language if language in LANGUAGE_LABELS else "other"  # "" on old rows
        loans[code] = loans.get(code, 0) + count
        if member_id is None:
            anonymous += count  # each loan without a reader is one person (see METHOD_READERS)
        else:
            accounts.add(member_id)
    by_language = sorted(loans.items(), key=lambda row: (-row[1], row[0]))
    returns = (
        Loan.select().where(Loan.library.in_(libraries) & (Loan.returned_at >= lo) & (Loan.returned_at < hi)).count()
    )
    new_readers = (
        LibraryMember.select()
        .where(LibraryMember.library.in_(libraries) & (LibraryMember.joined_at >= lo) & (LibraryMember.joined_at < hi))
        .count()
    )
    holds = Hold.select().join(Title).where(Title.library.in_(libraries))
    placed = holds.where((Hold.created_at >= lo) & (Hold.created_at < hi)).count()
    collected = holds.where((Hold.status == "collected") & (Hold.closed_at >= lo) & (Hold.closed_at < hi)).count()
    return [
        Figure(
            "library.loans",
            _l("Biblioteca: prestiti"),
            sum(count for _language, count in by_language),
            method=METHOD_LOANS,
            breakdown=tuple((LANGUAGE_LABELS[code], count) for code, count in by_language),
        ),
        Figure("library.returns", _l("Biblioteca: restituzioni"), returns, method=METHOD_RETURNS),
        Figure(
            "library.new_readers",
            _l("Biblioteca: nuovi lettori"),
            new_readers,
            people=True,
            method=METHOD_NEW_READERS,
        ),
        Figure("library.holds_placed", _l("Biblioteca: prenotazioni fatte"), placed, method=METHOD_HOLDS_PLACED),
        Figure(
            "library.holds_collected",
            _l("Biblioteca: prenotazioni ritirate"),
            collected,
            method=METHOD_HOLDS_COLLECTED,
        ),
        Figure(
            "library.readers",
            _l("Biblioteca: lettori distinti"),
            len(accounts) + anonymous,
            people=True,
            method=METHOD_READERS,
            breakdown=(
                (_l("con il proprio account"), len(accounts)),
                (_l("prestiti senza nome (anonimi)"), anonymous),
            ),
        ),
    ]
