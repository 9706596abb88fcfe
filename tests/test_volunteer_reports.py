"""Volunteering's report figures against a fixed data set with known answers.

The clock is the suite's default (Tuesday 17 November 2026, 10:00 in Milan). The data set:

- at Viale Faenza: a shift on 30 October (3 h), one at 00:30 on 1 November Milan time (still
  31 October in UTC; 2 h, full, a volunteer with a companion and one marked absent), a
  cancelled shift, and a coming one (a guest by phone, a waitlist place, a cancelled sign-up);
- at Via Visconti: a full 4-hour shift on 10 November with an account deleted afterwards through
  ``POST /account/delete`` and a walk-in;
- a guest whose e-mail is typed two ways on two shifts.
"""

from datetime import date, datetime, timedelta

import pytest
from conftest import count_queries
from flask_babel import force_locale
from report_cells_check import assert_cells_match

from portal import areas
from portal.areas import ReportQuery
from portal.clock import to_utc
from portal.models import Site
from portal.volunteer import reports
from portal.volunteer.models import Opportunity, Shift, Signup

NOV = (date(2026, 11, 1), date(2026, 11, 30))
OCT = (date(2026, 10, 1), date(2026, 10, 31))
BOTH = (date(2026, 10, 1), date(2026, 11, 30))
KEYS = ["volunteer.shifts", "volunteer.shifts_filled", "volunteer.hours", "volunteer.volunteers"]

NOVEMBER = {
    "volunteer.shifts": 3,  # 00:30 on 1 November, Visconti, the coming one; not the cancelled one
    "volunteer.shifts_filled": 2,
    "volunteer.hours": 12.0,  # Bea 2 h + her companion 2 h, Ugo 4 h, the walk-in 4 h
    "volunteer.volunteers": 4,  # Bea, Ugo (now anonymous), the walk-in, Eva; not Carlo (absent)
}


def local(year, month, day, hour, minute=0):
    return to_utc(datetime(year, month, day, hour, minute))


def shift(opp, starts_at, hours, capacity, taken=0, **fields):
    return Shift.create(
        opportunity=opp,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        capacity=capacity,
        taken=taken,
        **fields,
    )


def signup(sh, name="Ospite", status="active", attended=None, minutes=0, **fields):
    return Signup.create(shift=sh, name=name, status=status, attended=attended, minutes_served=minutes, **fields)


@pytest.fixture
def data(app, seed, make_user):
    return build(seed, make_user)


def build(seed, make_user):
    """The fixed data set (the module's docstring); the rows the tests name."""
    faenza, visconti = seed["sites"]["faenza"], seed["sites"]["visconti"]
    carlo = make_user("Carlo Verdi", email="carlo@example.org")
    ugo = make_user("Ugo Neri", email="ugo@example.org")
    food = Opportunity.create(site=faenza, title="Distribuzione alimentare")
    homework = Opportunity.create(site=visconti, title="Aiuto compiti")

    october = shift(food, local(2026, 10, 30, 9), 3, capacity=4, taken=1)
    midnight = shift(food, local(2026, 11, 1, 0, 30), 2, capacity=3, taken=3)
    assert midnight.starts_at == datetime(2026, 10, 31, 23, 30)  # still October in UTC
    cancelled = shift(food, local(2026, 11, 4, 9), 2, capacity=2, cancelled_at=local(2026, 11, 3, 12))
    coming = shift(food, local(2026, 11, 28, 10), 3, capacity=5, taken=1)
    visconti_shift = shift(homework, local(2026, 11, 10, 14), 4, capacity=2, taken=2)

    signup(october, "Bea Gialli", email="bea@example.org ", attended=True, minutes=180)
    signup(midnight, "Bea Gialli", email="Bea@Example.org", party=2, attended=True, minutes=120)
    signup(midnight, carlo.name, user=carlo, email=carlo.email, attended=False)
    signup(cancelled, "Dario", email="dario@example.org", attended=True, minutes=120)
    signup(coming, "Eva", phone="+39 347 000 0001")
    signup(coming, "Fil", email="fil@example.org", status="waitlist")
    signup(coming, "Gio", email="gio@example.org", status="cancelled")
    ugos = signup(visconti_shift, ugo.name, user=ugo, email=ugo.email, key_user=ugo.id, attended=True, minutes=240)
    signup(visconti_shift, "Passante", phone="+393475550000", walk_in=True, attended=True, minutes=240)
    return dict(faenza=faenza, visconti=visconti, carlo=carlo, ugo=ugo, ugos=ugos)


def november_people(data):
    return {"cbea@example.org", f"avolunteer:{data['ugos'].id}", "c+393475550000", "c+393470000001"}


def values(query):
    return {f.key: f.value for f in reports.figures(query)}


def test_november_figures_after_an_account_is_deleted(app, client, auth, data):
    query = ReportQuery(*NOV)
    assert f"u{data['ugo'].id}" in reports.people(query)

    auth.login("ugo@example.org", "password123")
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    gone = Signup.get_by_id(data["ugos"].id)
    assert (gone.user_id, gone.email, gone.status, gone.minutes_served) == (None, "", "active", 240)

    with app.test_request_context():
        figures = reports.figures(query)
        assert [f.key for f in figures] == KEYS
        assert all(str(f.label) and str(f.method) for f in figures)
        assert [f.key for f in figures if f.people] == ["volunteer.volunteers"]
        (hours,) = [f for f in figures if f.key == "volunteer.hours"]
        assert hours.unit == "h"
        assert {str(label): value for label, value in hours.breakdown} == {
            "Volontari iscritti": 10.0,
            "Accompagnatori": 2.0,
        }
    assert values(query) == NOVEMBER
    assert reports.people(query) == november_people(data)


def test_months_are_milan_months(app, data):
    assert values(ReportQuery(*OCT)) == {
        "volunteer.shifts": 1,  # not the shift at 00:30 on 1 November
        "volunteer.shifts_filled": 0,
        "volunteer.hours": 3.0,
        "volunteer.volunteers": 1,
    }
    assert values(ReportQuery(date(2026, 10, 31), date(2026, 10, 31)))["volunteer.shifts"] == 0
    assert values(ReportQuery(date(2026, 11, 1), date(2026, 11, 1)))["volunteer.shifts"] == 1
    both = values(ReportQuery(*BOTH))
    assert (both["volunteer.shifts"], both["volunteer.hours"], both["volunteer.volunteers"]) == (4, 15.0, 4)


def test_centre_filter_and_no_figures_for_a_partner(app, seed, data):
    assert values(ReportQuery(*NOV, site_id=data["visconti"].id)) == {
        "volunteer.shifts": 1,
        "volunteer.shifts_filled": 1,
        "volunteer.hours": 8.0,
        "volunteer.volunteers": 2,
    }
    assert values(ReportQuery(*NOV, site_id=data["faenza"].id))["volunteer.volunteers"] == 2
    # Opportunities are not linked to partners: a partner's report has no volunteer figures.
    partner = ReportQuery(*NOV, partner_id=seed["partners"]["Brigate di Mutuo Soccorso"].id)
    assert reports.figures(partner) == [] and reports.people(partner) == set()


def test_the_area_registers_its_figures_and_people(app, data):
    query = ReportQuery(*NOV)
    with app.test_request_context():
        (volunteer,) = [figures for area, figures in areas.figures(query) if area.name == "volunteer"]
        assert [f.key for f in volunteer] == KEYS
        assert reports.people(query) <= areas.people_reached(query)
        with force_locale("en"):
            assert str(volunteer[2].label) == "Volunteer hours"


def test_figures_take_a_fixed_number_of_queries(app, data):
    opp = Opportunity.get(Opportunity.title == "Distribuzione alimentare")
    query = ReportQuery(*NOV)
    with count_queries() as few:
        reports.figures(query)
    for day in range(2, 16):
        sh = shift(opp, local(2026, 11, day, 15), 1, capacity=3, taken=3)
        for n in range(3):
            signup(sh, f"Ospite {n}", email=f"ospite{n}.{day}@example.org", attended=True, minutes=60)
    with count_queries() as many:
        figures = values(query)
    assert many["n"] == few["n"] <= 3
    assert figures["volunteer.shifts"] == 3 + 14 and figures["volunteer.volunteers"] == 4 + 42
    assert figures["volunteer.hours"] == 12.0 + 42


@pytest.mark.xdist_group("postgres")
def test_the_same_answers_on_postgres(pg_app):
    """The CASE, SUM, DISTINCT and string functions of the queries run on PostgreSQL as well."""
    from conftest import new_user

    from portal import demo
    from portal.db import is_sqlite

    assert not is_sqlite()
    data = build(demo.load_core(), new_user)
    client = pg_app.test_client()
    client.post("/login", data={"identifier": "ugo@example.org", "password": "password123"})
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    query = ReportQuery(*NOV)
    assert values(query) == NOVEMBER
    assert reports.people(query) == november_people(data)
    assert values(ReportQuery(*OCT))["volunteer.hours"] == 3.0
    sites = [site.id for site in Site.select()]
    assert_cells_match(reports.figures, date(2026, 9, 1), date(2026, 12, 31), sites)  # the month CASE on PostgreSQL


def test_grouped_cells_equal_separate_queries(app, data, seed):
    sites = [site.id for site in seed["sites"].values()]
    with app.test_request_context():
        assert_cells_match(reports.figures, date(2026, 9, 15), date(2026, 12, 31), sites)
