"""The help desks' report figures split by centre and Milan month (`portal.report_cells`).

The clock is the suite's default (Tuesday 17 November 2026, 10:00 in Milan). The data set: two
desks at Via S. Erlembaldo (one run by a partner) and one at Via Visconti, appointments from
September to December 2026, among them one at 00:30 on 1 November Milan time (still 31 October
in UTC), no-shows, cancelled ones, coming ones, guests by phone and by e-mail, members, and a row
of a deleted account (no person key).
"""

from datetime import date, datetime, time, timedelta

import pytest
from conftest import count_queries
from report_cells_check import assert_cells_match

from portal.areas import ReportQuery
from portal.clock import to_utc
from portal.desks import reports
from portal.desks.models import Appointment, Desk, Slot
from portal.models import Partner, Site

FIRST, LAST = date(2026, 9, 15), date(2026, 12, 31)


def local(year, month, day, hour, minute=0):
    return to_utc(datetime(year, month, day, hour, minute))


def appointment(desk, starts_at, status="arrived", key="", booked_days=3, **fields):
    slot = Slot.create(desk=desk, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30))
    return Appointment.create(
        slot=slot,
        desk=desk,
        status=status,
        person_key=key,
        created_at=starts_at - timedelta(days=booked_days, hours=booked_days),
        **fields,
    )


def build(seed):
    erlembaldo, visconti = seed["sites"]["erlembaldo"], seed["sites"]["visconti"]
    partner = Partner.create(name="Avvocati di Quartiere APS")
    legal = Desk.create(site=erlembaldo, partner=partner, name="Sportello legale", topics="legal,housing")
    work = Desk.create(site=erlembaldo, name="Sportello lavoro", topics="work")
    pension = Desk.create(site=visconti, name="Patronato", topics="pension,housing")
    appointment(legal, local(2026, 9, 16, 15), key="c+393330000001", booked_days=10)
    appointment(legal, local(2026, 10, 7, 15), key="c+393330000001")
    appointment(legal, local(2026, 11, 1, 0, 30), key="cdue@example.org", booked_days=1)  # 31 October in UTC
    appointment(legal, local(2026, 11, 4, 15), status="no_show", key="ctre@example.org")
    appointment(legal, local(2026, 11, 4, 16), status="cancelled", key="cquattro@example.org")
    appointment(legal, local(2026, 11, 25, 15), status="booked", key="cdue@example.org", booked_days=12)
    appointment(work, local(2026, 10, 30, 10), key="c+393330000001", booked_days=0)
    appointment(work, local(2026, 11, 5, 10), key="")  # a deleted account: an anonymous person
    appointment(work, local(2026, 11, 5, 11), key="")
    appointment(work, local(2026, 12, 2, 10), status="booked", key="ccinque@example.org", booked_days=20)
    appointment(pension, local(2026, 10, 8, 9), key="c+393330000001", booked_days=5)
    appointment(pension, local(2026, 11, 12, 9), status="no_show", key="csei@example.org")
    appointment(pension, local(2026, 11, 12, 9, 30), key="csei@example.org", booked_days=2)
    return dict(erlembaldo=erlembaldo, visconti=visconti, partner=partner)


def expected_wait(first, last):
    """The average days from booking to slot, counted row by row in Python (as the figure did)."""
    lo, hi = to_utc(first, time()), to_utc(last + timedelta(days=1), time())
    gaps = [
        max(0.0, (a.slot.starts_at - a.created_at).total_seconds() / 86400)
        for a in Appointment.select().where(Appointment.status != "cancelled")
        if lo <= a.created_at < hi
    ]
    return round(sum(gaps) / len(gaps), 1)


@pytest.fixture
def data(app, seed):
    return build(seed)


def test_grouped_cells_equal_separate_queries(app, data, seed):
    sites = [site.id for site in seed["sites"].values()]
    with app.test_request_context():
        grouped = assert_cells_match(reports.figures, FIRST, LAST, sites)
        assert_cells_match(reports.figures, FIRST, LAST, sites, partner_id=data["partner"].id)
    figures = {f.key: f for f in reports.figures(ReportQuery(date(2026, 11, 1), date(2026, 11, 30)))}
    assert figures["desks.appointments"].value == 7  # not the cancelled one
    assert figures["desks.no_shows"].value == 2
    assert figures["desks.people"].value == 5  # due (twice), tre, two anonymous rows, sei
    assert figures["desks.wait_days"].value == expected_wait(date(2026, 11, 1), date(2026, 11, 30)) > 0
    november = grouped["desks.appointments"].cells[(data["erlembaldo"].id, date(2026, 11, 1))]
    assert november.value == 5  # the 00:30 appointment is in November


def test_figures_take_a_fixed_number_of_queries(app, data):
    """Grouped by centre and month, the queries do not grow with the months, centres or rows."""
    month = ReportQuery(date(2026, 11, 1), date(2026, 11, 30), by_site=True, by_month=True)
    year = ReportQuery(date(2026, 1, 1), date(2026, 12, 31), by_site=True, by_month=True)
    with count_queries() as few:
        reports.figures(month)
    desk = Desk.get(Desk.name == "Patronato")
    for day in range(1, 28):
        appointment(desk, local(2026, 3, day, 11), key=f"c+3933300001{day:02d}")
    with count_queries() as many:
        figures = {f.key: f for f in reports.figures(year)}
    assert many["n"] == few["n"] <= 8
    assert figures["desks.appointments"].value == 12 + 27


@pytest.mark.xdist_group("postgres")
def test_the_same_cells_on_postgres(pg_app):
    """The month CASE and the waiting days' arithmetic run on PostgreSQL as well."""
    from portal import demo
    from portal.db import is_sqlite

    assert not is_sqlite()
    build(demo.load_core())
    sites = [site.id for site in Site.select()]
    with pg_app.test_request_context():
        assert_cells_match(reports.figures, FIRST, LAST, sites)
    wait = {f.key: f for f in reports.figures(ReportQuery(date(2026, 11, 1), date(2026, 11, 30)))}["desks.wait_days"]
    assert wait.value == expected_wait(date(2026, 11, 1), date(2026, 11, 30)) > 0
