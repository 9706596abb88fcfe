"""Impact reports: what each centre did in a period, for the funder and for the partners.

The areas give their numbers through the contract (`portal.areas.figures` and
`portal.areas.people_reached`); this module picks the period and the centres, asks the areas,
compares with the previous period and shows the result as a page, a CSV file and a PDF.

Counts of people between 1 and 4 are written "< 5" in everything that leaves the staff pages
(CSV, PDF, partner printouts); the staff page itself shows the exact numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, g, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from . import areas, charts, csvout
from .areas import Cell, Figure, ReportQuery
from .auth import staff_required
from .clock import today_local
from .models import Partner, Site
from .pdf import pdf_response, render_pdf
from .rendering import render

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")

KINDS = ("month", "quarter", "year", "custom")
MAX_CUSTOM_DAYS = 3 * 366
PEOPLE_KEY = "core.people_reached"
PEOPLE_LABEL = _l("Residenti distinti raggiunti")
PEOPLE_METHOD = _l(
    "Persone distinte raggiunte da tutte le aree nel periodo: un account conta una volta, un ospite "
    "senza account conta una volta per contatto (e-mail o cellulare). Le righe di un account "
    "cancellato contano ciascuna come una persona anonima."
)


# --- periods ------------------------------------------------------------------------------------
def _month_end(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Milan days `first`..`last` (inclusive) of a month, a quarter, a year or chosen dates."""

    kind: str
    first: date
    last: date

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == "quarter":
            first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls(kind, first, _month_end(add_months(first, 2)))
        if kind == "year":
            return cls(kind, date(day.year, 1, 1), date(day.year, 12, 31))
        first = day.replace(day=1)
        return cls("month", first, _month_end(first))

    def previous(self) -> Period:
        if self.kind == "month":
            return Period.containing("month", self.first - timedelta(days=1))
        if self.kind == "quarter":
            return Period.containing("quarter", self.first - timedelta(days=1))
        if self.kind == "year":
            return Period.containing("year", self.first - timedelta(days=1))
        days = (self.last - self.first).days + 1
        return Period("custom", self.first - timedelta(days=days), self.first - timedelta(days=1))

    def months(self) -> list[tuple[date, date]]:
        """The calendar months the period touches, each clipped to the period."""
        found = []
        month = self.first.replace(day=1)
        while month <= self.last:
            found.append((max(month, self.first), min(_month_end(month), self.last)))
            month = add_months(month, 1)
        return found

    def chart_months(self) -> list[tuple[date, date]]:
        """Months for the bars: the period's, or the last 12 months for a single month."""
        if self.kind == "month":
            start = add_months(self.first, -11)
            return Period("custom", start, self.last).months()
        return self.months()

    @property
    def label(self) -> str:
        if self.kind == "month":
            return format_date(self.first, "MMMM y")
        if self.kind == "quarter":
            return _("%(n)s° trimestre %(year)s", n=(self.first.month - 1) // 3 + 1, year=self.first.year)
        if self.kind == "year":
            return str(self.first.year)
        return f"{format_date(self.first, 'dd/MM/y')} – {format_date(self.last, 'dd/MM/y')}"


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def parse_period(args: Any, today: date) -> tuple[Period, str]:
    """The period a request asks for, and an error message (empty when all is well).

    ``start`` anchors a month, quarter or year (default today); ``custom`` needs ``start`` and
    ``end``. A bad request falls back to the current month with a message.
    """
    kind = args.get("period") or "month"
    if kind not in KINDS:
        return Period.containing("month", today), _("Periodo non valido: mostro il mese in corso.")
    start = _parse_day(args.get("start"))
    if kind != "custom":
        return Period.containing(kind, start or today), ""
    end = _parse_day(args.get("end"))
    if start is None or end is None or end < start:
        return Period.containing("month", today), _("Date non valide: mostro il mese in corso.")
    if (end - start).days >= MAX_CUSTOM_DAYS:
        return Period.containing("month", today), _("Periodo troppo lungo (al massimo tre anni).")
    return Period("custom", start, end), ""


# --- which centres ------------------------------------------------------------------------------
@dataclass
class Scope:
    """The centres a report covers; ``everywhere`` when they are all the centres there are."""

    key: str  # "all" or a slug
    sites: list[Site]
    everywhere: bool
    choices: list[Site] = field(default_factory=list)
    may_pick_all: bool = False

    @property
    def label(self) -> str:
        if self.key == "all":
            return _("Tutti i centri") if self.everywhere else ", ".join(s.name for s in self.sites)
        return self.sites[0].name


def resolve_scope(key: str | None) -> Scope:
    """The centres the current staff member asked for: only theirs (403 otherwise)."""
    mine = list(current_user.managed_sites())
    if not mine:
        abort(403)
    may_pick_all = current_user.is_admin or len(mine) > 1
    total = Site.select().count()
    key = (key or "").strip()
    if not key:
        key = mine[0].slug
    if key == "all":
        if not may_pick_all:
            abort(403)
        return Scope("all", mine, len(mine) == total, mine, may_pick_all)
    site = Site.get_or_none(Site.slug == key)
    if site is None:
        abort(404)
    if not current_user.can_manage(site):
        abort(403)
    return Scope(site.slug, [site], total == 1, mine, may_pick_all)


# --- asking the areas ---------------------------------------------------------------------------
@dataclass
class Row:
    """A figure with the area it comes from (summed over centres when needed)."""

    area: str
    area_title: Any
    figure: Figure


WHOLE: Cell = (None, None)


def _plus(a: Figure, b: Figure) -> Figure:
    """Two answers for different centres summed: values, breakdowns and cells."""
    split: dict[str, float] = {str(label): value for label, value in a.breakdown}
    for label, value in b.breakdown:
        split[str(label)] = split.get(str(label), 0) + value
    cells = dict(a.cells)
    for cell, fig in b.cells.items():
        cells[cell] = _plus(cells[cell], fig) if cell in cells else fig
    return replace(a, value=a.value + b.value, breakdown=tuple(split.items()), cells=cells)


def _merge(rows: dict[str, Row], area: areas.Area, found: Iterable[Figure]) -> None:
    for fig in found:
        have = rows.get(fig.key)
        if have is None:
            rows[fig.key] = Row(area.name, area.title, fig)
        else:
            have.figure = _plus(have.figure, fig)


def _ask(area: areas.Area, query: ReportQuery) -> list[Figure]:
    """An area's figures for a query, with cells: grouped by the area in one go when it can,
    else (an area that ignores ``by_site``/``by_month``) asked again for each cell."""
    assert area.figures is not None
    found = area.figures(query)
    if not (query.by_site or query.by_month) or all(WHOLE in fig.cells for fig in found):
        return found
    plain = replace(query, by_site=False, by_month=False)
    sites: list[int | None] = [None]
    if query.by_site:
        sites += [query.site_id] if query.site_id is not None else [s.id for s in Site.select(Site.id)]
    months: list[tuple[date | None, date, date]] = [(None, query.first, query.last)]
    if query.by_month:
        months += [(first, first, last) for first, last in Period("custom", query.first, query.last).months()]
    cells: dict[Cell, dict[str, Figure]] = {}
    for site_id in sites:
        for month, first, last in months:
            if site_id is None and month is None:
                answer = found
            else:
                asked = replace(plain, site_id=query.site_id if site_id is None else site_id, first=first, last=last)
                answer = area.figures(asked)
            cells[(site_id, month.replace(day=1) if month else None)] = {fig.key: fig for fig in answer}
    return [
        replace(fig, cells={cell: figs[fig.key] for cell, figs in cells.items() if fig.key in figs}) for fig in found
    ]


def _memo(
    kind: str, site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None, *more: Any
) -> Any:
    """Answers already computed in this request."""
    store = g.setdefault("report_memo", {})
    return store, (kind, None if site_ids is None else tuple(site_ids), first, last, partner_id, *more)


def gather(
    site_ids: Sequence[int] | None,
    first: date,
    last: date,
    partner_id: int | None = None,
    by_site: bool = False,
    by_month: bool = False,
    people_cells: bool = True,
    people_months: bool = True,
) -> dict[str, Row]:
    """Every area's figures for these centres (None: everywhere), keyed by figure key, with the
    cells asked for (per centre, per Milan month: see `at`).

    Several centres that are not all of them are asked one by one and summed: a person who
    took part at two of them then counts at both (the page says so).
    """
    store, key = _memo("figures", site_ids, first, last, partner_id, by_site, by_month, people_cells, people_months)
    if key not in store:
        store[key] = _gather(site_ids, first, last, partner_id, by_site, by_month, people_cells, people_months)
    return store[key]


def _gather(
    site_ids: Sequence[int] | None,
    first: date,
    last: date,
    partner_id: int | None,
    by_site: bool,
    by_month: bool,
    people_cells: bool,
    people_months: bool,
) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    with_figures = [area for area in areas.all_areas() if area.figures]
    if site_ids is None:
        query = ReportQuery(first, last, None, partner_id, by_site, by_month, people_cells, people_months)
        for area in with_figures:
            _merge(rows, area, _ask(area, query))
        return rows
    for site_id in site_ids:
        query = ReportQuery(first, last, site_id, partner_id, False, by_month, people_cells, people_months)
        for area in with_figures:
            found = _ask(area, query)
            if by_site:  # one centre asked: its cells per month are that centre's
                found = [_own_site(fig, site_id) for fig in found]
            _merge(rows, area, found)
    return rows


def _own_site(fig: Figure, site_id: int) -> Figure:
    cells = dict(fig.cells) or {WHOLE: fig}
    cells.update({(site_id, month): cell for (_site, month), cell in list(cells.items())})
    return replace(fig, cells=cells)


def _zero(fig: Figure) -> Figure:
    return replace(fig, value=0.0 if isinstance(fig.value, float) else 0, breakdown=(), cells={})


def at(rows: dict[str, Row], site_id: int | None, month: date | None) -> dict[str, Row]:
    """The figures of one cell of a grouped answer (zero where the cell has no rows)."""
    if (site_id, month) == WHOLE:
        return rows
    found = {}
    for key, row in rows.items():
        fig = row.figure.cells.get((site_id, month))
        found[key] = Row(row.area, row.area_title, fig if fig is not None else _zero(row.figure))
    return found


def reached(site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None = None) -> int:
    """Distinct residents reached across areas (a union of the areas' people keys)."""
    store, key = _memo("people", site_ids, first, last, partner_id)
    if key not in store:
        store[key] = _reached(site_ids, first, last, partner_id)
    return store[key]


def _reached(site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None) -> int:
    targets: list[int | None] = [None] if site_ids is None else list(site_ids)
    return areas.count_people([ReportQuery(first, last, site_id, partner_id) for site_id in targets])


def _scope_ids(scope: Scope) -> list[int] | None:
    return None if scope.everywhere else [s.id for s in scope.sites]


# --- showing numbers ----------------------------------------------------------------------------
def masked(value: float, people: bool, public: bool) -> bool:
    return public and people and 0 < value < 5


def show(value: float, people: bool = False, unit: str = "", public: bool = False) -> str:
    """A value as written: "< 5" for 1..4 people outside the staff pages, hours with "h"."""
    if masked(value, people, public):
        return "< 5"
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text} h" if unit == "h" else text


def change(now: float, before: float, people: bool = False, public: bool = False) -> str:
    """The change from the previous period: "+3 (+25%)", "−2 (−10%)", "=" (none)."""
    if masked(now, people, public) or masked(before, people, public):
        return "—"
    diff = now - before
    if diff == 0:
        return "="
    sign = "+" if diff > 0 else "−"
    text = f"{sign}{show(abs(diff))}"
    if before:
        text += f" ({sign}{abs(diff) / before * 100:.0f}%)"
    return text


@dataclass
class Line:
    area_title: Any
    figure: Figure
    previous: float
    value_text: str
    previous_text: str
    change_text: str
    breakdown: list[tuple[str, str]]


def lines(now: dict[str, Row], before: dict[str, Row], public: bool) -> list[Line]:
    found = []
    for key, row in now.items():
        fig = row.figure
        prev = before[key].figure.value if key in before else 0
        found.append(
            Line(
                row.area_title,
                fig,
                prev,
                show(fig.value, fig.people, fig.unit, public),
                show(prev, fig.people, fig.unit, public),
                change(fig.value, prev, fig.people, public),
                [(str(label), show(value, fig.people, fig.unit, public)) for label, value in fig.breakdown],
            )
        )
    return found


def headline_keys(rows: dict[str, Row], limit: int = 4) -> list[str]:
    """The first count of each area (up to `limit`, not a count of people): the ones drawn as
    bars per month and split by centre."""
    seen: dict[str, str] = {}
    for key, row in rows.items():
        if not row.figure.people:
            seen.setdefault(row.area, key)
    return list(seen.values())[:limit]


def _point(label: str, value: float, fig: Figure, public: bool) -> charts.Point:
    hide = masked(value, fig.people, public)
    return charts.Point(label, value, show(value, fig.people, fig.unit, public), hide)


@dataclass
class Chart:
    title: str
    svg: Any
    table: list[tuple[str, str]]


def month_charts(span: dict[str, Row], period: Period, keys: list[str], public: bool) -> list[Chart]:
    """Bars per month for the headline figures, from the cells of a grouped answer (`spans`)."""
    per_month = [(first, at(span, None, first.replace(day=1))) for first, _last in period.chart_months()]
    found = []
    for key in keys:
        fig = next((rows[key].figure for _m, rows in per_month if key in rows), None)
        if fig is None:
            continue
        points = []
        for first, rows in per_month:
            value = rows[key].figure.value if key in rows else 0
            points.append(_point(format_date(first, "MMM yy"), value, fig, public))
        title = _("%(figure)s: per mese", figure=str(fig.label))
        found.append(Chart(title, charts.bars(title, points), [(p.label, p.text) for p in points]))
    return found


def split_charts(per_site: list[tuple[Site, dict[str, Row]]], keys: list[str], public: bool) -> list[Chart]:
    """A split by centre of the headline figures."""
    found = []
    for key in keys:
        rows_with = [(site, rows[key].figure) for site, rows in per_site if key in rows]
        if not rows_with:
            continue
        fig = rows_with[0][1]
        points = [_point(site.short_name or site.name, f.value, f, public) for site, f in rows_with]
        title = _("%(figure)s: per centro", figure=str(fig.label))
        found.append(Chart(title, charts.hbars(title, points), [(p.label, p.text) for p in points]))
    return found


def breakdown_charts(rows: dict[str, Row], public: bool, limit: int = 3) -> list[Chart]:
    """A split by category, from the figures that have a breakdown."""
    found = []
    for row in rows.values():
        fig = row.figure
        if not fig.breakdown:
            continue
        points = [_point(str(label), value, fig, public) for label, value in fig.breakdown]
        title = _("%(figure)s: suddivisione", figure=str(fig.label))
        found.append(Chart(title, charts.hbars(title, points), [(p.label, p.text) for p in points]))
        if len(found) == limit:
            break
    return found


def methods(rows: dict[str, Row]) -> list[tuple[str, str]]:
    """The method note: how each figure is counted."""
    notes = [(str(PEOPLE_LABEL), str(PEOPLE_METHOD))]
    for row in rows.values():
        notes.append((str(row.figure.label), str(row.figure.method) or "—"))
    return notes


@dataclass
class Tables:
    """The figures a report needs: now and the previous period (split by centre when there are
    several), and the months of the bars (`span`)."""

    now: dict[str, Row]
    before: dict[str, Row]
    span: dict[str, Row]


def spans(
    site_ids: Sequence[int] | None,
    period: Period,
    several: bool,
    partner_id: int | None = None,
    site_pages: bool = False,
) -> tuple[Tables, Period]:
    """Ask the areas for the page, the PDF, the partner pages: two or three grouped answers.

    The bars and the split by centre only draw counts (`headline_keys`), so people are counted
    per centre only for the PDF's centre pages (``site_pages``), and never per month. A month period's bars cover the
    last 12 months: one answer for them, one for the month, one for the month before. A longer
    period: one answer by month (the bars), one for the previous period.
    """
    before = period.previous()
    first = period.chart_months()[0][0]
    span = gather(
        site_ids,
        first,
        period.last,
        partner_id,
        several,
        True,
        people_cells=site_pages and first == period.first,
        people_months=False,  # the bars draw counts only
    )
    if first == period.first:
        now = span
    else:
        now = gather(site_ids, period.first, period.last, partner_id, several, False, people_cells=site_pages)
    # The previous period is split by centre only for the PDF's centre pages: the page compares totals.
    prev = gather(
        site_ids, before.first, before.last, partner_id, several and site_pages, False, people_cells=site_pages
    )
    return Tables(now, prev, span), before


def site_tables(tables: Tables, site_id: int) -> tuple[dict[str, Row], dict[str, Row]]:
    """One centre's figures now and before, from answers split by centre."""
    return at(tables.now, site_id, None), at(tables.before, site_id, None)


def _people(ids: Sequence[int] | None, period: Period, before: Period, public: bool, partner_id: int | None = None):
    people_now = reached(ids, period.first, period.last, partner_id)
    people_before = reached(ids, before.first, before.last, partner_id)
    return {
        "label": PEOPLE_LABEL,
        "value": show(people_now, True, "", public),
        "previous": show(people_before, True, "", public),
        "change": change(people_now, people_before, True, public),
    }


def report(scope: Scope, period: Period, public: bool, site_pages: bool = False) -> dict[str, Any]:
    """Everything the page and the PDF show for these centres and this period.

    Two grouped answers from each area (`spans`): the figures, the bars per month and the split
    by centre all come from their cells. ``site_pages``: ``sites`` holds each centre's figures
    and people reached (the PDF's centre pages).
    """
    ids = _scope_ids(scope)
    several = len(scope.sites) > 1
    tables, before = spans(ids, period, several, site_pages=site_pages)
    keys = headline_keys(tables.now)
    per_site: list[tuple[Site, dict[str, Row]]] = []
    sites: list[tuple[Site, dict[str, Any]]] = []
    for site in scope.sites if several else []:
        now_rows, prev_rows = site_tables(tables, site.id)
        per_site.append((site, now_rows))
        if site_pages:
            sites.append((site, _site_report(site, period, before, now_rows, prev_rows, public)))
    return {
        "period": period,
        "before": before,
        "lines": lines(tables.now, tables.before, public),
        "people": _people(ids, period, before, public),
        "month_charts": month_charts(tables.span, period, keys, public),
        "site_charts": split_charts(per_site, keys, public),
        "category_charts": breakdown_charts(tables.now, public),
        "methods": methods(tables.now),
        "summed": several and not scope.everywhere,
        "sites": sites,
    }


def _site_report(
    site: Site, period: Period, before: Period, now_rows: dict[str, Row], prev_rows: dict[str, Row], public: bool
) -> dict[str, Any]:
    """One centre's page of a several-centre PDF: its figures and its split by category."""
    return {
        "period": period,
        "before": before,
        "lines": lines(now_rows, prev_rows, public),
        "people": _people([site.id], period, before, public),
        "month_charts": [],
        "site_charts": [],
        "category_charts": breakdown_charts(now_rows, public),
        "methods": methods(now_rows),
        "summed": False,
    }


# --- views --------------------------------------------------------------------------------------
def _request_period() -> tuple[Period, str]:
    return parse_period(request.args, today_local())


def _query_string(scope_key: str, period: Period) -> dict[str, str]:
    args = {"site": scope_key, "period": period.kind, "start": period.first.isoformat()}
    if period.kind == "custom":
        args["end"] = period.last.isoformat()
    return args


@bp.route("")
@staff_required
def page():
    """The report page: figures, previous period, changes, charts; links to CSV and PDF."""
    scope = resolve_scope(request.args.get("site"))
    period, error = _request_period()
    data = report(scope, period, public=False)
    args = _query_string(scope.key, period)
    return render(
        "reports/page.html",
        scope=scope,
        error=error,
        args=args,
        partner_args={k: v for k, v in args.items() if k != "site"},
        partners=list(Partner.select(Partner.id, Partner.name).order_by(Partner.name)),
        kinds=KINDS,
        **data,
    )


@bp.route("/report.csv")
@staff_required
def csv_export():
    """One row per centre × month × figure, in csvout's Excel dialect (";", BOM, CRLF)."""
    scope = resolve_scope(request.args.get("site"))
    period, _error = _request_period()
    table = [["centre", "month", "key", "label", "value"]]
    data = gather(_scope_ids(scope), period.first, period.last, by_site=True, by_month=True)
    for site in scope.sites:
        for first, _last in period.months():
            for key, row in at(data, site.id, first.replace(day=1)).items():
                fig = row.figure
                table.append(
                    [site.name, first.strftime("%Y-%m"), key, str(fig.label), show(fig.value, fig.people, "", True)]
                )
    name = f"binari-report-{scope.key}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return csvout.response(table, name)  # no cell becomes a formula


@bp.route("/report.pdf")
@staff_required
def pdf_export():
    """For the funder: cover, one page per centre (figures and charts), the method note.

    With several centres, a first page sums them (bars per month, split by centre) and each
    centre's page has its figures and its split by category, read from the same grouped answers.
    """
    scope = resolve_scope(request.args.get("site"))
    period, _error = _request_period()
    several = len(scope.sites) > 1
    total = report(scope, period, public=True, site_pages=True) if several else None
    if total is not None:
        pages = total["sites"]
    else:
        pages = [(site, report(Scope(site.slug, [site], False), period, public=True)) for site in scope.sites]
    data = render_pdf("reports/report_pdf.html", scope=scope, period=period, pages=pages, total=total)
    return pdf_response(data, f"binari-report-{scope.key}-{period.first.isoformat()}.pdf")


def _partner_scope() -> tuple[list[int] | None, str]:
    """A partner's report covers everywhere for an admin, a staff member's own centres otherwise."""
    mine = list(current_user.managed_sites())
    if not mine:
        abort(403)
    if current_user.is_admin:
        return None, _("Tutti i centri")
    return [s.id for s in mine], ", ".join(s.name for s in mine)


def partner_report(partner: Partner, period: Period) -> dict[str, Any]:
    ids, where = _partner_scope()
    tables, before = spans(ids, period, False, partner.id)
    return {
        "partner": partner,
        "where": where,
        "period": period,
        "before": before,
        "lines": lines(tables.now, tables.before, True),
        "people": _people(ids, period, before, True, partner.id),
        "month_charts": month_charts(tables.span, period, headline_keys(tables.now), True),
        "methods": methods(tables.now),
    }


@bp.route("/partners/<int:partner_id>")
@staff_required
def partner_page(partner_id):
    """A partner's own activities, printable for its funders ("< 5" applies)."""
    partner = get_object_or_404(Partner, Partner.id == partner_id)
    period, error = _request_period()
    return render(
        "reports/partner.html",
        error=error,
        kinds=KINDS,
        args=_query_string("", period),
        **partner_report(partner, period),
    )


@bp.route("/partners/<int:partner_id>.pdf")
@staff_required
def partner_pdf(partner_id):
    partner = get_object_or_404(Partner, Partner.id == partner_id)
    period, _error = _request_period()
    data = render_pdf("reports/partner_pdf.html", **partner_report(partner, period))
    return pdf_response(data, f"binari-partner-{partner.id}-{period.first.isoformat()}.pdf")
