"""Grouped answers for the report figures: one aggregated query per figure family, split by centre
and by Milan month, instead of one set of queries per month and per centre.

An area's ``figures(query)`` uses these helpers when `ReportQuery.by_site` or
`ReportQuery.by_month` is set (see `portal.areas.Figure.cells`):

- `Grouping(query).columns(site, moment)` gives the SELECT columns that split a query by centre
  and by month, and `group_by(...)` the matching GROUP BY. The month is the Milan month: the
  stored naive-UTC moment is compared with the UTC instants at which each Milan month begins
  (a CASE over precomputed boundaries, the same SQL on SQLite and PostgreSQL, and daylight
  saving time is handled by the boundaries themselves). A date column (a Milan day) is compared
  with the first days of the months.
- `Cells.add(site, month, name, value)` sums a number into every cell a row belongs to (the
  whole query, its centre, its month, its centre and month); `Cells.distinct(...)` counts
  distinct people with one `COUNT(DISTINCT …)` query per level, since people do not add up
  across months or centres.
- `Cells.figures(build)` calls the area's ``build(bag) -> [Figure]`` once per cell and puts the
  cells' figures under the whole query's figures (`Figure.cells`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from peewee import SQL, Case, Cast, Value, fn

from .areas import Cell, Figure, ReportQuery
from .clock import start_of_local_day

SITE = "cell_site"
MONTH = "cell_month"
#: A grouping level: (by centre, by month).
Level = tuple[bool, bool]


def month_starts(first: date, last: date) -> list[date]:
    """The first day of each calendar month that `first`..`last` touches."""
    found = []
    month = first.replace(day=1)
    while month <= last:
        found.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return found


class Grouping:
    """How a report query splits: by centre (`by_site`), by Milan month (`by_month`)."""

    def __init__(self, query: ReportQuery) -> None:
        self.query = query
        self.by_site = query.by_site
        self.by_month = query.by_month
        self.months = month_starts(query.first, query.last)
        # With a single month there is nothing to split in SQL: every row is in months[0].
        self.month_in_sql = self.by_month and len(self.months) > 1

    @property
    def grouped(self) -> bool:
        return self.by_site or self.by_month

    def levels(self) -> list[Level]:
        """The levels a distinct count is needed at: the whole query, per centre, per month, both."""
        found: list[Level] = [(False, False)]
        if not self.query.people_cells:
            return found
        if self.by_site:
            found.append((True, False))
        if self.by_month and self.query.people_months:
            found.append((False, True))
        if self.by_site and self.by_month and self.query.people_months:
            found.append((True, True))
        return found

    def month_of(self, column: Any, dates: bool = False) -> Any:
        """The index in `months` of the Milan month of a naive-UTC moment (or of a Milan date).

        Nested CASEs halving the months (a binary search): about four comparisons a row for a
        year rather than six on average, on every row of every grouped query.
        """
        starts = self.months[1:]
        bounds: Sequence[Any] = starts if dates else [start_of_local_day(day) for day in starts]

        def within(low: int, high: int) -> Any:  # the row's month is one of low..high
            if low == high:
                return low
            middle = (low + high) // 2  # bounds[middle] begins month middle + 1
            return Case(None, [(column < bounds[middle], within(low, middle))], within(middle + 1, high))

        return within(0, len(bounds))

    def columns(self, site: Any, moment: Any, dates: bool = False, level: Level | None = None) -> list[Any]:
        """SELECT columns for a level (default: the finest the query asks for)."""
        by_site, by_month = level if level is not None else (self.by_site, self.by_month)
        found = []
        if by_site:
            found.append(site.alias(SITE))
        if by_month and self.month_in_sql:
            found.append(self.month_of(moment, dates).alias(MONTH))
        return found

    def group_by(self, level: Level | None = None) -> list[Any]:
        by_site, by_month = level if level is not None else (self.by_site, self.by_month)
        found = []
        if by_site:
            found.append(SQL(f'"{SITE}"'))
        if by_month and self.month_in_sql:
            found.append(SQL(f'"{MONTH}"'))
        return found

    def split(self, row: Sequence[Any], level: Level | None = None) -> tuple[int | None, date | None, Sequence[Any]]:
        """(site id, month, the other values) of a row whose first columns came from `columns`."""
        by_site, by_month = level if level is not None else (self.by_site, self.by_month)
        values = list(row)
        site = values.pop(0) if by_site else None
        month = None
        if by_month:
            month = self.months[int(values.pop(0))] if self.month_in_sql else self.months[0]
        return site, month, values


class Cells:
    """Numbers per cell (site id or None, month or None); (None, None) is the whole query."""

    def __init__(self, grouping: Grouping) -> None:
        self.grouping = grouping
        self.bags: dict[Cell, Counter[Any]] = {(None, None): Counter[Any]()}

    def _cells(self, site: int | None, month: date | None) -> list[Cell]:
        g = self.grouping
        found: list[Cell] = [(None, None)]
        if g.by_site:
            found.append((site, None))
        if g.by_month:
            found.append((None, month))
        if g.by_site and g.by_month:
            found.append((site, month))
        return found

    def add(self, site: int | None, month: date | None, name: Hashable, value: float) -> None:
        """Add `value` to `name` in every cell the row is in."""
        for cell in self._cells(site, month):
            self.bags.setdefault(cell, Counter[Any]())[name] += value  # type: ignore[assignment]  # float counts (hours)

    def put(self, cell: Cell, name: Hashable, value: float) -> None:
        self.bags.setdefault(cell, Counter[Any]())[name] = value  # type: ignore[assignment]

    def rows(self, rows: Iterable[Sequence[Any]], names: Sequence[Hashable]) -> None:
        """Add grouped rows (cell columns first, then one value per name)."""
        for row in rows:
            site, month, values = self.grouping.split(row)
            for name, value in zip(names, values, strict=True):
                self.add(site, month, name, value or 0)

    def distinct(
        self,
        name: Hashable,
        select: Callable[..., Any],
        key: Any,
        site: Any,
        moment: Any,
        dates: bool = False,
    ) -> None:
        """Distinct `key`s per level: ``select(*columns)`` gives the query (from, joins, where)."""
        g = self.grouping
        for level in g.levels():
            query = select(*g.columns(site, moment, dates, level), fn.COUNT(fn.DISTINCT(key)))
            group = g.group_by(level)
            if group:
                query = query.group_by(*group)
            for row in query.tuples():
                cell_site, month, (count,) = g.split(row, level)
                self.put((cell_site, month), name, int(count or 0))

    def figures(self, build: Callable[[Counter[Any]], list[Figure]]) -> list[Figure]:
        """The whole query's figures, each with its cells' figures when the query is grouped."""
        total = build(self.bags[(None, None)])
        if not self.grouping.grouped:
            return total
        per_cell = {cell: {fig.key: fig for fig in build(bag)} for cell, bag in self.bags.items()}
        query = self.grouping.query

        def counted(cell: Cell, fig: Figure) -> bool:
            """Whether the cell's figure is known: people only at the levels counted (`levels`)."""
            if not fig.people:
                return True
            if not query.people_cells:
                return cell == (None, None)
            return query.people_months or cell[1] is None

        return [
            replace(
                fig,
                cells={
                    cell: figs[fig.key] for cell, figs in per_cell.items() if fig.key in figs and counted(cell, fig)
                },
            )
            for fig in total
        ]


def text_key(prefix: str, column: Any) -> Any:
    """``prefix || CAST(column AS TEXT)``: a person key in SQL (the same on SQLite and PostgreSQL)."""
    return Value(prefix).concat(Cast(column, "TEXT"))
