"""Impact reports: what each centre did in a period, for the funder and for the partners.

The areas give their numbers through the contract (`portal.areas.figures` and
`portal.areas.people_reached`); this module picks the period and the centres, asks the areas,
compares with the previous period and shows the result as a page, a CSV file and a PDF.

Counts of people between 1 and 4 are written "< 5" in everything that leaves the staff pages
(CSV, PDF, partner printouts); the staff page itself shows the exact numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, g, make_response, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from . import areas, charts, csvout
from .areas import Figure, ReportQuery
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


def _merge(rows: dict[str, Row], area: areas.Area, found: Iterable[Figure]) -> None:
    for fig in found:
        have = rows.get(fig.key)
        if have is None:
            rows[fig.key] = Row(area.name, area.title, fig)
            continue
        split: dict[str, float] = {str(label): value for label, value in have.figure.breakdown}
        for label, value in fig.breakdown:
            split[str(label)] = split.get(str(label), 0) + value
        old = have.figure
        have.figure = Figure(
            old.key,
            old.label,
            old.value + fig.value,
            old.people,
            old.unit,
            old.method,
            tuple(split.items()),
        )


def _memo(kind: str, site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None) -> Any:
    """Answers already computed in this request (a month period's bars repeat the period itself)."""
    store = g.setdefault("report_memo", {})
    return store, (kind, None if site_ids is None else tuple(site_ids), first, last, partner_id)


def gather(site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None = None) -> dict[str, Row]:
    """Every area's figures for these centres (None: everywhere), keyed by figure key.

    Several centres that are not all of them are asked one by one and summed: a person who
    took part at two of them then counts at both (the page says so).
    """
    store, key = _memo("figures", site_ids, first, last, partner_id)
    if key not in store:
        store[key] = _gather(site_ids, first, last, partner_id)
    return store[key]


def _gather(site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    targets: list[int | None] = [None] if site_ids is None else list(site_ids)
    for site_id in targets:
        for area, found in areas.figures(ReportQuery(first, last, site_id, partner_id)):
            _merge(rows, area, found)
    return rows


def reached(site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None = None) -> int:
    """Distinct residents reached across areas (a union of the areas' people keys)."""
    store, key = _memo("people", site_ids, first, last, partner_id)
    if key not in store:
        store[key] = _reached(site_ids, first, last, partner_id)
    return store[key]


def _reached(site_ids: Sequence[int] | None, first: date, last: date, partner_id: int | None) -> int:
    if site_ids is None:
        return len(areas.people_reached(ReportQuery(first, last, None, partner_id)))
    people: set[str] = set()
    for site_id in site_ids:
        people |= areas.people_reached(ReportQuery(first, last, site_id, partner_id))
    return len(people)


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
    """The first figure of each area (up to `limit`): the ones drawn as bars per month."""
    seen: dict[str, str] = {}
    for key, row in rows.items():
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


def month_charts(
    site_ids: Sequence[int] | None, period: Period, keys: list[str], public: bool, partner_id: int | None = None
) -> list[Chart]:
    """Bars per month for the headline figures: one query set per month (measured: fast enough)."""
    months = period.chart_months()
    per_month = [(first, gather(site_ids, first, last, partner_id)) for first, last in months]
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


def report(scope: Scope, period: Period, public: bool, months: bool = True) -> dict[str, Any]:
    """Everything the page and the PDF show for these centres and this period.

    ``months`` draws the bars per month (one set of area queries per month: the costly part).
    """
    ids = _scope_ids(scope)
    before = period.previous()
    now_rows = gather(ids, period.first, period.last)
    prev_rows = gather(ids, before.first, before.last)
    keys = headline_keys(now_rows)
    people_now = reached(ids, period.first, period.last)
    people_before = reached(ids, before.first, before.last)
    per_site: list[tuple[Site, dict[str, Row]]] = []
    if len(scope.sites) > 1:
        per_site = [(site, gather([site.id], period.first, period.last)) for site in scope.sites]
    return {
        "period": period,
        "before": before,
        "lines": lines(now_rows, prev_rows, public),
        "people": {
            "label": PEOPLE_LABEL,
            "value": show(people_now, True, "", public),
            "previous": show(people_before, True, "", public),
            "change": change(people_now, people_before, True, public),
        },
        "month_charts": month_charts(ids, period, keys, public) if months else [],
        "site_charts": split_charts(per_site, keys, public),
        "category_charts": breakdown_charts(now_rows, public),
        "methods": methods(now_rows),
        "summed": len(scope.sites) > 1 and not scope.everywhere,
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
    """One row per centre × month × figure; ";" and a BOM so Excel opens it as it is."""
    scope = resolve_scope(request.args.get("site"))
    period, _error = _request_period()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csvout.writer(out, delimiter=";", lineterminator="\r\n")  # no cell becomes a formula
    writer.writerow(["centre", "month", "key", "label", "value"])
    for site in scope.sites:
        for first, last in period.months():
            for key, row in gather([site.id], first, last).items():
                fig = row.figure
                writer.writerow(
                    [site.name, first.strftime("%Y-%m"), key, str(fig.label), show(fig.value, fig.people, "", True)]
                )
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"binari-report-{scope.key}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/report.pdf")
@staff_required
def pdf_export():
    """For the funder: cover, one page per centre (figures and charts), the method note.

    With several centres, a first page sums them (bars per month, split by centre) and each
    centre's page has its figures and its split by category (bars per month per centre would
    triple the queries).
    """
    scope = resolve_scope(request.args.get("site"))
    period, _error = _request_period()
    several = len(scope.sites) > 1
    total = report(scope, period, public=True) if several else None
    pages = []
    for site in scope.sites:
        one = Scope(site.slug, [site], False)
        pages.append((site, report(one, period, public=True, months=not several)))
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
    before = period.previous()
    now_rows = gather(ids, period.first, period.last, partner.id)
    prev_rows = gather(ids, before.first, before.last, partner.id)
    people_now = reached(ids, period.first, period.last, partner.id)
    people_before = reached(ids, before.first, before.last, partner.id)
    return {
        "partner": partner,
        "where": where,
        "period": period,
        "before": before,
        "lines": lines(now_rows, prev_rows, True),
        "people": {
            "label": PEOPLE_LABEL,
            "value": show(people_now, True, "", True),
            "previous": show(people_before, True, "", True),
            "change": change(people_now, people_before, True, True),
        },
        "month_charts": month_charts(ids, period, headline_keys(now_rows), True, partner.id),
        "methods": methods(now_rows),
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
