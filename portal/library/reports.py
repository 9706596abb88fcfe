"""The library's figures for the impact reports (the `figures` and `people` slots).

Everything is counted by Milan days (`portal.clock`): a loan issued at 00:30 on the 1st of a month
in Milan (still the previous day in UTC) belongs to that month. The centre is the library's. Every
number comes from a few aggregated queries (GROUP BY, COUNT), never one query per row. The library
has no link to partner organisations: a query for a partner gets no figures and no people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import JOIN, Case, Value, fn

from portal.areas import Figure, ReportQuery
from portal.clock import start_of_local_day
from portal.report_cells import Cells, Grouping, text_key

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
    "cancellato l'account restano contate, in forma anonima."
)
METHOD_HOLDS_COLLECTED = _l(
    "Prenotazioni chiuse nel periodo con il prestito del libro alla persona che l'aveva prenotato."
)
METHOD_READERS = _l(
    "Persone distinte che hanno preso almeno un libro in prestito nel periodo. Ogni lettore ha una chiave "
    "anonima casuale che resta sui suoi prestiti anche quando il prestito non dice più chi l'ha preso "
    "(restituito senza storico, o account cancellato): si contano le chiavi distinte, quindi chi cancella "
    "l'account resta contato una volta, in forma anonima. Solo i prestiti più vecchi di questa chiave, "
    "senza nome, contano ciascuno come una persona a sé."
)


def _bounds(query: ReportQuery) -> tuple[datetime, datetime]:
    """[start, end) of the query's Milan days, as the naive UTC we store."""
    return start_of_local_day(query.first), start_of_local_day(query.last + timedelta(days=1))


def _libraries(query: ReportQuery) -> Any:
    libraries = Library.select(Library.id)
    if query.site_id is not None:
        libraries = libraries.where(Library.site == query.site_id)
    return libraries


def _in_period(column: Any, query: ReportQuery) -> Any:
    lo, hi = _bounds(query)
    return (column >= lo) & (column < hi)


def _loans_issued(query: ReportQuery) -> Any:
    return Loan.select().where(Loan.library.in_(_libraries(query)) & _in_period(Loan.issued_at, query))


def _reader() -> Any:
    """A loan's reader as SQL: the pseudonymous reader key, else the account, else the loan itself
    (a loan from before the keys that no longer names its reader: one anonymous reader each)."""
    return Case(
        None,
        [
            (Loan.reader_key != "", text_key("k", Loan.reader_key)),
            (Loan.member.is_null(False), text_key("u", Loan.member)),
        ],
        text_key("l", Loan.id),
    )


def _unknown() -> Any:
    return (Loan.reader_key == "") & Loan.member.is_null()


def people(query: ReportQuery) -> set[str]:
    """Distinct readers: people with a loan issued in the period.

    Keys: ``"u<user id>"`` (a loan that no longer names its reader is traced back through the
    reader key while the account exists); ``"alibrary:k<reader key>"`` for a deleted account's
    loans; ``"alibrary:<loan id>"`` for an old loan with neither (one anonymous person each).
    """
    found = people_query(query)
    return set() if found is None else {key for (key,) in found.distinct().tuples()}


def people_query(query: ReportQuery) -> Any:
    """`people` as SQL: one column, "person" (None for a partner's query: nobody)."""
    if query.partner_id is not None:
        return None
    owner = LibraryMember.alias("owner")
    person = Case(
        None,
        [
            (Loan.member.is_null(False), text_key("u", Loan.member)),
            (owner.user.is_null(False), text_key("u", owner.user)),
            (Loan.reader_key != "", Value(f"a{AREA}:k").concat(Loan.reader_key)),
        ],
        text_key(f"a{AREA}:", Loan.id),
    )
    known = (
        (owner.library == Loan.library)
        & (owner.reader_key == Loan.reader_key)
        & (Loan.reader_key != "")
        & Loan.member.is_null()
        & owner.user.is_null(False)
    )
    return _loans_issued(query).select(person.alias("person")).join(owner, JOIN.LEFT_OUTER, on=known)


def figures(query: ReportQuery) -> list[Figure]:
    """Loans (by language), returns, new readers, holds placed and collected, distinct readers;
    split by centre and Milan month when the query asks (`portal.report_cells`)."""
    if query.partner_id is not None:
        return []
    grouping = Grouping(query)
    cells = Cells(grouping)
    libraries = _libraries(query)

    def grouped(select: Any, *more: Any) -> Any:
        group = [*grouping.group_by(), *more]
        return select.group_by(*group) if group else select

    issued = Loan.library.in_(libraries) & _in_period(Loan.issued_at, query)
    loans = Loan.select(
        *grouping.columns(Library.site, Loan.issued_at),
        Loan.language,
        fn.COUNT(Loan.id),
        fn.SUM(Case(None, [(_unknown(), 1)], 0)),
    ).join(Library)
    for row in grouped(loans.where(issued), Loan.language).tuples():
        site, month, (language, count, unknown) = grouping.split(row)
        code = language if language in LANGUAGE_LABELS else "other"  # "" on old rows
        cells.add(site, month, ("language", code), count)
        cells.add(site, month, "unknown_readers", unknown or 0)
    returns = Loan.select(*grouping.columns(Library.site, Loan.returned_at), fn.COUNT(Loan.id)).join(Library)
    returns = returns.where(Loan.library.in_(libraries) & _in_period(Loan.returned_at, query))
    cells.rows(grouped(returns).tuples(), ("returns",))
    joined = LibraryMember.select(*grouping.columns(Library.site, LibraryMember.joined_at), fn.COUNT(LibraryMember.id))
    joined = joined.join(Library).where(
        LibraryMember.library.in_(libraries) & _in_period(LibraryMember.joined_at, query)
    )
    cells.rows(grouped(joined).tuples(), ("new_readers",))
    for moment, name, condition in (
        (Hold.created_at, "holds_placed", None),
        (Hold.closed_at, "holds_collected", Hold.status == "collected"),
    ):
        holds = Hold.select(*grouping.columns(Library.site, moment), fn.COUNT(Hold.id)).join(Title).join(Library)
        where = Title.library.in_(libraries) & _in_period(moment, query)
        if condition is not None:
            where &= condition
        cells.rows(grouped(holds.where(where)).tuples(), (name,))
    cells.distinct(
        "readers_known",
        lambda *columns: Loan.select(*columns).join(Library).where(issued & ~_unknown()),
        _reader(),
        Library.site,
        Loan.issued_at,
    )
    return cells.figures(_build)


def _build(bag: Counter[Hashable]) -> list[Figure]:
    """The figures of one cell from its numbers."""
    loans = {name[1]: int(n) for name, n in bag.items() if isinstance(name, tuple) and name[0] == "language" and n}
    by_language = sorted(loans.items(), key=lambda row: (-row[1], row[0]))
    known, unknown = int(bag["readers_known"]), int(bag["unknown_readers"])
    return [
        Figure(
            "library.loans",
            _l("Biblioteca: prestiti"),
            sum(count for _language, count in by_language),
            method=METHOD_LOANS,
            breakdown=tuple((LANGUAGE_LABELS[code], count) for code, count in by_language),
        ),
        Figure("library.returns", _l("Biblioteca: restituzioni"), int(bag["returns"]), method=METHOD_RETURNS),
        Figure(
            "library.new_readers",
            _l("Biblioteca: nuovi lettori"),
            int(bag["new_readers"]),
            people=True,
            method=METHOD_NEW_READERS,
        ),
        Figure(
            "library.holds_placed",
            _l("Biblioteca: prenotazioni fatte"),
            int(bag["holds_placed"]),
            method=METHOD_HOLDS_PLACED,
        ),
        Figure(
            "library.holds_collected",
            _l("Biblioteca: prenotazioni ritirate"),
            int(bag["holds_collected"]),
            method=METHOD_HOLDS_COLLECTED,
        ),
        Figure(
            "library.readers",
            _l("Biblioteca: lettori distinti"),
            known + unknown,
            people=True,
            method=METHOD_READERS,
            breakdown=(
                (_l("lettori riconosciuti (account o chiave anonima)"), known),
                (_l("prestiti senza nome e senza chiave (anonimi)"), unknown),
            ),
        ),
    ]
