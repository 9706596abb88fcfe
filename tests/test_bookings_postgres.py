"""Bookings on PostgreSQL: migration 0007 (phone list columns, anonymous past rows), the
slot and item claims, the phone list and a person's erasure."""

from datetime import time, timedelta

import pytest

pytestmark = pytest.mark.xdist_group("postgres")


def test_bookings_on_postgres(pg_app):
    from portal import demo
    from portal.bookings import bulk, privacy, services
    from portal.bookings.models import Booking, CalendarToken, Item, ItemClaim, Loan, Resource, SlotClaim
    from portal.clock import today_local
    from portal.db import database, is_sqlite
    from portal.models import Site, User
    from portal.refusals import Refusal
    from portal.schema import schema_diff

    assert not is_sqlite()
    assert not schema_diff(database().obj)
    demo.load_core()
    site = Site.get(Site.slug == "visconti")
    desk = Resource.create(site=site, kind="desk", name="Postazione 1")
    cam = Item.create(site=site, name="Videocamera")
    spare = Item.create(site=site, name="Proiettore")
    days = bulk.next_open_days(site.id, today_local() + timedelta(days=2), 3)
    person = User.create_account("Paola Postgres", "password123", phone="+393401234567")
    staff = User.get(User.email == "visconti@staff.binari.example")

    booking = services.book_slot(person, site, "desk", days[0], "am")
    assert SlotClaim.select().where(SlotClaim.booking == booking.id).count() == 1
    loan = services.request_loan(person, site, [cam], days[1], time(15), days[1], time(16), purpose="Festa")
    assert not services.decide_loan(loan, staff, True, "")  # no e-mail: on the phone list
    assert [row.id for row in services.phone_list([site.id])] == [loan.id]
    services.record_phone_call(Loan.get_by_id(loan.id), staff)
    assert Loan.get_by_id(loan.id).phoned_by_id == staff.id
    CalendarToken.for_user(person.id)

    # Equipment in hand: the erasure is refused and nothing changes.
    start = today_local() - timedelta(days=2)
    out = bulk.insert_loan(person.id, site, [spare], start, time(15), days[0], time(16), "out")
    with pytest.raises(Refusal), pg_app.test_request_context(), database().atomic():
        privacy.erase(person)
    assert Booking.get_by_id(booking.id).status == "booked"
    Loan.update(status="returned").where(Loan.id == out.id).execute()

    with database().atomic():
        privacy.erase(person)
    assert Booking.get_by_id(booking.id).user_id is None and Booking.get_by_id(booking.id).status == "cancelled"
    assert Loan.get_by_id(loan.id).status == "cancelled" and Loan.get_by_id(loan.id).user_id is None
    assert not SlotClaim.select().where(SlotClaim.resource == desk.id).exists()
    assert not ItemClaim.select().where(ItemClaim.item == cam.id).exists()
    assert not CalendarToken.select().where(CalendarToken.user == person.id).exists()
    assert services.book_slot(staff, site, "desk", days[0], "am").resource_id == desk.id
