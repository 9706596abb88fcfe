"""A check shared by the areas' report tests: a grouped answer (by centre and by Milan month)
gives exactly the figures of the separate queries it replaces."""

from datetime import date

from portal.areas import ReportQuery
from portal.reports import Period


def _same(cell, fig):
    value = cell.value if cell is not None else 0
    assert value == fig.value, (fig.key, value, fig.value)
    if cell is not None:
        assert [(str(label), n) for label, n in cell.breakdown] == [(str(label), n) for label, n in fig.breakdown]
    else:
        assert not any(n for _label, n in fig.breakdown), fig.key


def assert_cells_match(figures, first: date, last: date, site_ids, partner_id=None):
    """Every cell of ``figures(ReportQuery(first, last, by_site, by_month))`` equals the plain query."""
    grouped = {f.key: f for f in figures(ReportQuery(first, last, None, partner_id, by_site=True, by_month=True))}
    months = [(None, first, last)] + [(a.replace(day=1), a, b) for a, b in Period("custom", first, last).months()]
    assert len(months) > 2, "the check needs at least two months"
    for site_id in [None, *site_ids]:
        for month, month_first, month_last in months:
            for fig in figures(ReportQuery(month_first, month_last, site_id, partner_id)):
                cell = (
                    grouped[fig.key]
                    if (site_id, month) == (None, None)
                    else grouped[fig.key].cells.get((site_id, month))
                )
                _same(cell, fig)
    # A month by itself, by centre: the cells of a single-month query.
    one = {f.key: f for f in figures(ReportQuery(months[1][1], months[1][2], None, partner_id, by_site=True))}
    for site_id in site_ids:
        for fig in figures(ReportQuery(months[1][1], months[1][2], site_id, partner_id)):
            _same(one[fig.key].cells.get((site_id, None)), fig)
    return grouped
