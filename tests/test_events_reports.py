"""The calendar's report figures against a fixed data set with known answers.

The clock is the suite's default (Tuesday 17 November 2026, 10:00 in Milan). The data set:

- a weekly series at Viale Faenza run by a partner, Tuesdays 20 October - 10 November
  (two dates in October, two in November);
- an event at 00:30 on 1 November, Milan time (31 October in UTC): November's;
- a cancelled event and a draft (not held), an event at Via Visconti and a coming one;
- a member who registers twice, a guest whose e-mail is typed two ways, a guest by phone, a
  walk-in without contact, a promotion from the waitlist, a cancelled registration, and an
  account deleted through ``POST /account/delete`` after the event it attended.
"""

from datetime import date, datetime, time, timedelta

import pytest
from conftest import count_queries
from flask_babel import force_locale
from report_cells_check import assert_cells_match

from portal import areas
from portal.areas import ReportQuery
from portal.clock import to_utc
from portal.events import reports
from portal.events import series as series_rules
from portal.events.models import Event, Registration
from portal.models import Site

NOV = (date(2026, 11, 1), date(2026, 11, 30))
OCT = (date(2026, 10, 1), date(2026, 10, 31))
BOTH = (date(2026, 10, 1), date(2026, 11, 30))
KEYS = [
    "events.held",
    "events.held_by_audience",
    "events.registrations",
    "events.attendance",
    "events.promotions",
    "events.no_shows",
    "events.people",
]

NOVEMBER = {
    "events.held": 5,  # two series dates, the 00:30 event, Visconti, the coming one
    "events.held_by_audience": 5,
    "events.registrations": 10,  # 9 seats + 1 on the waitlist
    "events.attendance": 5,  # not the cancelled event's guest marked present
    "events.promotions": 1,
    "events.no_shows": 3,  # Anna on 3 Nov, the phone guest, the walk-in at Visconti
    "events.people": 7,
}


def local(year, month, day, hour, minute=0):
    return to_utc(datetime(year, month, day, hour, minute))


def event(site, starts_at, hours=2, status="published", capacity=10, **fields):
    fields.setdefault("title", "Evento di prova")
    return Event.create(
        site=site,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        status=status,
        capacity=capacity,
        **fields,
    )


def reg(ev, name="Ospite", status="confirmed", attended=None, **fields):
    return Registration.create(event=ev, name=name, status=status, attended=attended, **fields)


@pytest.fixture
def data(app, seed, make_user):
    return build(app, seed, make_user)


def build(app, seed, make_user):
    """The fixed data set (the module's docstring); the rows the tests name."""
    faenza, visconti = seed["sites"]["faenza"], seed["sites"]["visconti"]
    partner = seed["partners"]["Teatro di Quartiere APS"]
    maria = seed["users"]["maria@binari.example"]
    staff = seed["users"]["faenza@staff.binari.example"]
    zoe = make_user("Zoe Bianchi", email="zoe@example.org")

    values = dict(
        site=faenza, title="Ginnastica dolce", category="sport", audience="anziani", capacity=10, partner=partner
    )
    with app.test_request_context():
        series, created = series_rules.create_series(
            values, "published", staff, freq="weekly", day=date(2026, 10, 20), start=time(18), end=time(19),
            until=date(2026, 11, 10),
        )  # fmt: skip
    assert created == 4
    oct20, oct27, nov3, nov10 = Event.select().where(Event.series == series).order_by(Event.starts_at)
    assert oct27.starts_at.month == 10 and nov3.starts_at.month == 11

    midnight = event(faenza, local(2026, 11, 1, 0, 30), capacity=None, category="cultura", audience="tutti")
    assert midnight.starts_at == datetime(2026, 10, 31, 23, 30)  # still October in UTC
    cancelled = event(faenza, local(2026, 11, 5, 18), status="cancelled", category="cultura")
    event(faenza, local(2026, 11, 6, 18), status="draft", category="cultura")
    viscontis = event(visconti, local(2026, 11, 12, 18), category="formazione", audience="adulti", capacity=20)
    coming = event(faenza, local(2026, 11, 25, 17), category="bambini", audience="famiglie", capacity=5)

    reg(oct20, maria.name, user=maria, attended=True)
    reg(oct27, "Anna Rossi", email=" Anna.Rossi@Example.org", attended=True)
    zoes = reg(nov3, zoe.name, user=zoe, email="zoe@example.org", attended=True)
    reg(nov3, "Anna Rossi", email="Anna.Rossi@Example.ORG ", attended=False)
    reg(nov3, maria.name, user=maria, attended=True)
    reg(nov3, "Piero Promosso", email="promo@example.org", attended=True, promoted_at=local(2026, 11, 2, 9))
    reg(nov3, "Gino Ritirato", email="gone@example.org", status="cancelled")
    reg(nov10, "Anna Rossi", email="anna.rossi@example.org", attended=True)
    reg(nov10, "Telefono", phone="+39 333 000 1111", attended=False, source="phone")
    reg(nov10, "In attesa", email="wait@example.org", status="waitlist")
    reg(cancelled, "Chiara Annullata", email="c1@example.org", attended=True)
    reg(cancelled, "Carlo Annullato", email="c2@example.org")
    reg(viscontis, maria.name, user=maria, attended=True)
    walk_in = reg(viscontis, "—", source="walkin")
    reg(coming, "Futura", email="fut@example.org")
    return dict(
        faenza=faenza,
        visconti=visconti,
        partner=partner,
        maria=maria,
        zoe=zoe,
        zoes=zoes,
        walk_in=walk_in,
        midnight=midnight,
    )


def november_people(data):
    return {
        f"aevents:{data['zoes'].id}",
        "canna.rossi@example.org",
        f"u{data['maria'].id}",
        "cpromo@example.org",
        "c+393330001111",
        f"aevents:{data['walk_in'].id}",
        "cfut@example.org",
    }


def values(query):
    return {f.key: f.value for f in reports.figures(query)}


def breakdown(query, key):
    (figure,) = [f for f in reports.figures(query) if f.key == key]
    return {str(label): value for label, value in figure.breakdown}


def delete_account(client, auth, email):
    auth.login(email, "password123")
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)


def test_november_figures_after_an_account_is_deleted(app, client, auth, data):
    query = ReportQuery(*NOV)
    before = reports.people(query)
    assert f"u{data['zoe'].id}" in before

    delete_account(client, auth, "zoe@example.org")
    gone = Registration.get_by_id(data["zoes"].id)
    assert (gone.user_id, gone.email, gone.status, gone.attended) == (None, None, "confirmed", True)

    with app.test_request_context():
        figures = reports.figures(query)
        assert [f.key for f in figures] == KEYS
        assert all(str(f.label) and str(f.method) for f in figures)
        assert [f.key for f in figures if f.people] == KEYS[2:]
        assert values(query) == NOVEMBER
        assert breakdown(query, "events.held") == {
            "Sport e movimento": 2,
            "Cultura e spettacolo": 1,
            "Corsi e formazione": 1,
            "Bambini e famiglie": 1,
        }
        assert breakdown(query, "events.held_by_audience") == {
            "Per tutte e tutti": 1,
            "Adulti": 1,
            "Over 65": 2,
            "Famiglie": 1,
        }
        assert breakdown(query, "events.registrations") == {"Posti confermati": 9, "In lista d'attesa": 1}
    # Zoe is still counted, now as one anonymous person; Anna's two ways of typing are one person.
    assert reports.people(query) == november_people(data)


def test_months_are_milan_months_and_a_series_splits_across_them(app, data):
    october = ReportQuery(*OCT)
    assert values(october) == {
        "events.held": 2,  # the series' two October dates, not the event at 00:30 on 1 November
        "events.held_by_audience": 2,
        "events.registrations": 2,
        "events.attendance": 2,
        "events.promotions": 0,
        "events.no_shows": 0,
        "events.people": 2,
    }
    assert reports.people(october) == {f"u{data['maria'].id}", "canna.rossi@example.org"}
    # The 00:30 event is November's, alone on the first day.
    first = values(ReportQuery(date(2026, 11, 1), date(2026, 11, 1)))
    assert first["events.held"] == 1
    assert values(ReportQuery(date(2026, 10, 31), date(2026, 10, 31)))["events.held"] == 0
    # Over both months Anna (three registrations, e-mail typed two ways) and Maria count once.
    both = values(ReportQuery(*BOTH))
    assert (both["events.held"], both["events.people"]) == (7, 7)


def test_centre_and_partner_filters(app, data):
    visconti = ReportQuery(*NOV, site_id=data["visconti"].id)
    assert values(visconti) == {
        "events.held": 1,
        "events.held_by_audience": 1,
        "events.registrations": 2,
        "events.attendance": 1,
        "events.promotions": 0,
        "events.no_shows": 1,
        "events.people": 2,
    }
    faenza = values(ReportQuery(*NOV, site_id=data["faenza"].id))
    assert (faenza["events.held"], faenza["events.registrations"], faenza["events.people"]) == (4, 8, 6)

    partner = ReportQuery(*NOV, partner_id=data["partner"].id)
    assert values(partner) == {
        "events.held": 2,  # only the partner's series dates
        "events.held_by_audience": 2,
        "events.registrations": 7,
        "events.attendance": 4,
        "events.promotions": 1,
        "events.no_shows": 2,
        "events.people": 5,
    }
    assert values(ReportQuery(*NOV, site_id=data["visconti"].id, partner_id=data["partner"].id))["events.held"] == 0
    other = data["partner"].id + 1
    assert values(ReportQuery(*NOV, partner_id=other))["events.held"] == 0


def test_no_shows_need_a_past_event_with_attendance_taken(app, data):
    query = ReportQuery(*NOV)
    # Nobody marked at Visconti: its walk-in is no longer a no-show.
    Registration.update(attended=None).where(
        Registration.event == Registration.get_by_id(data["walk_in"].id).event_id
    ).execute()
    assert values(query)["events.no_shows"] == 2
    assert values(query)["events.attendance"] == 4


def test_the_area_registers_its_figures_and_people(app, data):
    query = ReportQuery(*NOV)
    with app.test_request_context():
        (events,) = [figures for area, figures in areas.figures(query) if area.name == "events"]
        assert [f.key for f in events] == KEYS
        assert reports.people(query) <= areas.people_reached(query)
        with force_locale("en"):
            assert [str(f.label) for f in events][:3] == [
                "Events held, by category",
                "Events held, by audience",
                "Registrations",
            ]


def test_figures_take_a_fixed_number_of_queries(app, data):
    faenza = data["faenza"]
    query = ReportQuery(*NOV)
    with count_queries() as few:
        reports.figures(query)
    for day in range(1, 20):
        ev = event(faenza, local(2026, 11, day, 10), category="salute")
        for n in range(3):
            reg(ev, f"Ospite {n}", email=f"ospite{n}.{day}@example.org", attended=bool(n))
    with count_queries() as many:
        figures = {f.key: f.value for f in reports.figures(query)}
    assert many["n"] == few["n"] <= 4
    assert figures["events.held"] == 5 + 19 and figures["events.people"] == 7 + 57


@pytest.mark.xdist_group("postgres")
def test_the_same_answers_on_postgres(pg_app):
    """The CASE, SUM, DISTINCT and string functions of the queries run on PostgreSQL as well."""
    from conftest import new_user

    from portal import demo
    from portal.db import is_sqlite

    assert not is_sqlite()
    data = build(pg_app, demo.load_core(), new_user)
    client = pg_app.test_client()
    client.post("/login", data={"identifier": "zoe@example.org", "password": "password123"})
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    query = ReportQuery(*NOV)
    assert values(query) == NOVEMBER
    assert reports.people(query) == november_people(data)
    assert values(ReportQuery(*OCT))["events.held"] == 2
    assert values(ReportQuery(*NOV, partner_id=data["partner"].id))["events.people"] == 5
    sites = [site.id for site in Site.select()]
    assert_cells_match(reports.figures, date(2026, 9, 1), date(2026, 12, 31), sites)  # the month CASE on PostgreSQL
    assert areas.count_people([query]) == len(areas.people_reached(query)) == len(november_people(data))


def test_days_are_milan_days_on_the_daylight_saving_change_and_at_new_year(app, seed):
    faenza = seed["sites"]["faenza"]
    # 25 October 2026 has 25 hours in Milan: 23:30 that evening is 22:30 UTC, still the 25th.
    event(faenza, local(2026, 10, 25, 23, 30), hours=1)
    event(faenza, local(2026, 10, 26, 0, 30), hours=1)
    event(faenza, local(2027, 1, 1, 0, 30), hours=1)  # 31 December 23:30 in UTC
    held = {day: values(ReportQuery(day, day))["events.held"] for day in (date(2026, 10, 25), date(2026, 10, 26))}
    assert held == {date(2026, 10, 25): 1, date(2026, 10, 26): 1}
    assert values(ReportQuery(date(2026, 12, 1), date(2026, 12, 31)))["events.held"] == 0
    assert values(ReportQuery(date(2027, 1, 1), date(2027, 1, 31)))["events.held"] == 1


def test_grouped_cells_equal_separate_queries(app, data, seed):
    """One grouped answer (by centre, by Milan month) equals the per-centre, per-month queries,
    the deleted account, the guest who came twice and the series across the month included."""
    sites = [site.id for site in seed["sites"].values()]
    with app.test_request_context():
        assert_cells_match(reports.figures, date(2026, 9, 1), date(2026, 12, 31), sites)
        partner = next(iter(seed["partners"].values())).id
        assert_cells_match(reports.figures, date(2026, 9, 1), date(2026, 12, 31), sites, partner)
