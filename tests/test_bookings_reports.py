"""The bookings area's report figures against a fixed data set with known answers.

The clock stands at Tuesday 17 November 2026, 10:00 in Milan (conftest's default). The data set:
at Via Visconti two desks and a room (weekday slots: morning 9–13 = 4 h, afternoon 14–19 = 5 h,
whole day 9–19 = 10 h), four items; at S. Erlembaldo one desk and one item (the site filter).
"""

from datetime import date, time

import pytest
from conftest import count_queries
from report_cells_check import assert_cells_match

from portal import areas
from portal.areas import ReportQuery
from portal.bookings import bulk, reports, services
from portal.bookings.models import Booking, Item, Loan, Resource
from portal.models import Site, User

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
MON, TUE, WED = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
FUTURE = date(2026, 11, 20)  # a Friday, after "now"
IN_OCTOBER = date(2026, 10, 14)


@pytest.fixture
def data(app, client, seed, make_user):
    """The fixed data set; Oscar's account is then deleted through the real form."""
    vis = Site.get(Site.slug == "visconti")
    erl = Site.get(Site.slug == "erlembaldo")
    spans = services.opening_spans(vis.id)
    assert bulk.next_open_days(vis.id, MON, 3) == [MON, TUE, WED]
    desk1, desk2 = (Resource.create(site=vis, kind="desk", name=f"Postazione {n}") for n in (1, 2))
    room = Resource.create(site=vis, kind="room", name="Sala riunioni")
    erl_desk = Resource.create(site=erl, kind="desk", name="Postazione E")
    cam = Item.create(site=vis, name="Videocamera", category="Video")
    mic = Item.create(site=vis, name="Microfono", category="Audio")
    tripod = Item.create(site=vis, name="Treppiede", category="Video")
    spare = Item.create(site=vis, name="Proiettore")  # no category
    erl_item = Item.create(site=erl, name="Casse", category="Audio")
    users = seed["users"]
    maria, wei, ahmed = users["maria@binari.example"], users["wei@binari.example"], users["+393331234567"]
    oscar = make_user("Oscar Test", email="oscar@example.org")

    rows = {
        "b1": bulk.insert_booking(maria.id, desk1, MON, "am", spans, status="checked_in"),
        "b2": bulk.insert_booking(maria.id, desk2, TUE, "day", spans, status="checked_in"),
        "b3": bulk.insert_booking(wei.id, room, MON, "pm", spans, status="booked"),  # check-in never recorded
        "b4": bulk.insert_booking(wei.id, desk1, WED, "am", spans, status="no_show"),
        "b5": bulk.insert_booking(ahmed.id, desk1, TUE, "am", spans, status="cancelled"),
        "b6": bulk.insert_booking(oscar.id, desk1, WED, "pm", spans, status="checked_in"),
        "b7": bulk.insert_booking(oscar.id, desk2, FUTURE, "am", spans, status="booked"),  # freed by the deletion
        "b8": bulk.insert_booking(maria.id, desk1, IN_OCTOBER, "am", spans, status="checked_in"),
        "b10": bulk.insert_booking(maria.id, desk1, FUTURE, "pm", spans, status="booked"),  # still to come
        "b9": bulk.insert_booking(ahmed.id, erl_desk, TUE, "pm", services.opening_spans(erl.id), status="checked_in"),
        "l1": bulk.insert_loan(maria.id, vis, [cam, mic], MON, time(15), TUE, time(16), "returned"),
        "l2": bulk.insert_loan(oscar.id, vis, [tripod], TUE, time(15), WED, time(16), "returned"),
        # Handed over at 00:30 on 1 November in Milan: 23:30 on 31 October in UTC, and still out.
        "l3": bulk.insert_loan(
            wei.id, vis, [spare], date(2026, 11, 1), time(0, 30), date(2026, 11, 6), time(10), "out"
        ),
        "l4": bulk.insert_loan(maria.id, vis, [cam], FUTURE, time(15), FUTURE, time(18), "requested"),
        "l5": bulk.insert_loan(ahmed.id, erl, [erl_item], TUE, time(15), WED, time(16), "returned"),
    }
    assert Loan.get_by_id(rows["l3"].id).checked_out_at.date() == date(2026, 10, 31)

    assert client.post("/login", data={"identifier": "oscar@example.org", "password": "password123"}).status_code == 302
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    assert Booking.get_by_id(rows["b6"].id).user_id is None  # the past stays, anonymous
    assert Booking.get_by_id(rows["b7"].id).status == "cancelled"  # the future is freed
    assert Loan.get_by_id(rows["l2"].id).user_id is None
    return {"vis": vis, "erl": erl, "maria": maria, "wei": wei, "ahmed": ahmed, "rows": rows}


def values(found):
    return {f.key: f.value for f in found}


def by_key(found):
    return {f.key: f for f in found}


def test_november_at_via_visconti_known_answers(app, data):
    with app.test_request_context():
        found = by_key(reports.figures(ReportQuery(*NOVEMBER, site_id=data["vis"].id)))
    assert values(found.values()) == {
        # b1, b2, b3, b4 (no-show), b6 (deleted account), b10 (to come); not b5, b7 (cancelled), b8 (October)
        "bookings.bookings": 6,
        # desks: b1 morning 4 + b2 whole day 10 + b6 afternoon 5; room: b3 afternoon 5; not b10 (to come)
        "bookings.hours": 24.0,
        "bookings.no_shows": 1,
        # l1, l2 and l3 (00:30 on 1 November in Milan); not l4 (only requested)
        "bookings.loans_out": 3,
        "bookings.items_out": 4,
        "bookings.loans_returned": 2,
        # Maria, Wei, and Oscar's deleted account once per row (b6, l2); Wei's no-show alone would not count
        "bookings.people": 4,
    }
    assert [(str(label), n) for label, n in found["bookings.bookings"].breakdown] == [("Postazioni", 5), ("Sale", 1)]
    assert [(str(label), n) for label, n in found["bookings.hours"].breakdown] == [("Postazioni", 19.0), ("Sale", 5.0)]
    assert [(str(label), n) for label, n in found["bookings.items_out"].breakdown] == [
        ("Video", 2),
        ("Audio", 1),
        ("Senza categoria", 1),
    ]
    assert found["bookings.hours"].unit == "h"
    assert [key for key, f in found.items() if f.people] == ["bookings.people"]
    assert all(f.key.startswith("bookings.") and str(f.label) and str(f.method) for f in found.values())


def test_people_keys_count_a_deleted_account_once_per_row(app, data):
    rows, maria, wei = data["rows"], data["maria"], data["wei"]
    with app.test_request_context():
        keys = reports.people(ReportQuery(*NOVEMBER, site_id=data["vis"].id))
    assert keys == {f"u{maria.id}", f"u{wei.id}", f"abookings:b{rows['b6'].id}", f"abookings:l{rows['l2'].id}"}


def test_site_filter_and_all_centres(app, data):
    with app.test_request_context():
        erl = values(reports.figures(ReportQuery(*NOVEMBER, site_id=data["erl"].id)))
        everywhere = values(reports.figures(ReportQuery(*NOVEMBER)))
        everyone = reports.people(ReportQuery(*NOVEMBER))
    assert erl == {
        "bookings.bookings": 1,
        "bookings.hours": 5.0,
        "bookings.no_shows": 0,
        "bookings.loans_out": 1,
        "bookings.items_out": 1,
        "bookings.loans_returned": 1,
        "bookings.people": 1,
    }
    assert everywhere["bookings.bookings"] == 7 and everywhere["bookings.hours"] == 29.0
    assert everywhere["bookings.loans_out"] == 4 and everywhere["bookings.people"] == 5
    assert f"u{data['ahmed'].id}" in everyone and len(everyone) == 5


def test_months_are_milan_months(app, data):
    with app.test_request_context():
        october = values(reports.figures(ReportQuery(*OCTOBER, site_id=data["vis"].id)))
        first_of_november = values(reports.figures(ReportQuery(NOVEMBER[0], NOVEMBER[0], data["vis"].id)))
    assert october["bookings.bookings"] == 1 and october["bookings.hours"] == 4.0
    assert october["bookings.loans_out"] == 0  # l3 left at 23:30 UTC on 31 October: Milan's 1 November
    assert first_of_november["bookings.loans_out"] == 1 and first_of_november["bookings.people"] == 1


def test_partner_query_gets_nothing(app, data):
    partner = seed_partner()
    with app.test_request_context():
        assert reports.figures(ReportQuery(*NOVEMBER, partner_id=partner)) == []
        assert reports.people(ReportQuery(*NOVEMBER, partner_id=partner)) == set()


def seed_partner():
    from portal.models import Partner

    return Partner.select().first().id


def test_registered_through_the_contract(app, data):
    with app.test_request_context():
        (found,) = [f for area, f in areas.figures(ReportQuery(*NOVEMBER, data["vis"].id)) if area.name == "bookings"]
        assert values(found)["bookings.people"] == 4
        assert {f"u{data['maria'].id}", f"u{data['wei'].id}"} <= areas.people_reached(ReportQuery(*NOVEMBER))


def test_a_fixed_number_of_queries_whatever_the_rows(app, data):
    query = ReportQuery(*NOVEMBER)
    with app.test_request_context():
        before = count_queries.of(lambda: reports.figures(query))
        desk = Resource.get(Resource.name == "Postazione 1")
        spans = services.opening_spans(data["vis"].id)
        for n in range(10):
            person = User.create_account(f"P{n}", "password123", email=f"p{n}@example.org")
            day, slot = date(2026, 11, 9 + n % 5), "am" if n < 5 else "pm"
            bulk.insert_booking(person.id, desk, day, slot, spans, status="checked_in")
        after = count_queries.of(lambda: reports.figures(query))
        assert values(reports.figures(query))["bookings.people"] == 5 + 10
    assert before == after


@pytest.mark.xdist_group("postgres")
def test_figures_on_postgres(pg_app):
    """The same aggregated queries on PostgreSQL (the slot length in hours is dialect-specific SQL)."""
    from portal import demo
    from portal.db import is_sqlite

    assert not is_sqlite()
    users = demo.load_core()["users"]
    maria, wei = users["maria@binari.example"], users["wei@binari.example"]
    vis = Site.get(Site.slug == "visconti")
    spans = services.opening_spans(vis.id)
    desk = Resource.create(site=vis, kind="desk", name="Postazione 1")
    room = Resource.create(site=vis, kind="room", name="Sala riunioni")
    cam = Item.create(site=vis, name="Videocamera", category="Video")
    bulk.insert_booking(maria.id, desk, MON, "am", spans, status="checked_in")
    bulk.insert_booking(maria.id, desk, TUE, "day", spans, status="checked_in")
    bulk.insert_booking(wei.id, room, MON, "pm", spans, status="booked")
    bulk.insert_booking(wei.id, desk, WED, "am", spans, status="no_show")
    bulk.insert_booking(wei.id, desk, WED, "pm", spans, status="cancelled")
    gone = bulk.insert_booking(wei.id, room, WED, "pm", spans, status="checked_in")
    Booking.update(user=None).where(Booking.id == gone.id).execute()  # as a deleted account leaves it
    bulk.insert_loan(maria.id, vis, [cam], date(2026, 11, 1), time(0, 30), TUE, time(16), "returned")
    with pg_app.test_request_context():
        found = values(reports.figures(ReportQuery(*NOVEMBER, site_id=vis.id)))
        october = values(reports.figures(ReportQuery(*OCTOBER, site_id=vis.id)))
        keys = reports.people(ReportQuery(*NOVEMBER))
        assert_cells_match(reports.figures, date(2026, 9, 1), date(2026, 12, 31), [s.id for s in Site.select()])
    assert found == {
        "bookings.bookings": 5,
        "bookings.hours": 24.0,  # 4 + 10 + 5 + 5
        "bookings.no_shows": 1,
        "bookings.loans_out": 1,
        "bookings.items_out": 1,
        "bookings.loans_returned": 1,
        "bookings.people": 3,
    }
    assert october["bookings.loans_out"] == 0
    assert keys == {f"u{maria.id}", f"u{wei.id}", f"abookings:b{gone.id}"}


def test_grouped_cells_equal_separate_queries(app, data, seed):
    sites = [site.id for site in seed["sites"].values()]
    with app.test_request_context():
        assert_cells_match(reports.figures, date(2026, 9, 15), date(2026, 12, 31), sites)
