"""No double booking under real concurrency: many phones at once against gunicorn
(4 workers x 4 threads, CSRF on), checked in the database afterwards."""

from datetime import timedelta

import pytest
from conftest import assert_statuses, burst, csrf_token_from, http_login, post_fresh

from portal.bookings import bulk
from portal.bookings.models import (
    Booking,
    Item,
    ItemClaim,
    Kit,
    KitItem,
    Loan,
    Policy,
    Resource,
    SlotClaim,
)
from portal.clock import today_local
from portal.models import Site, User

N = 20


def logged_in_sessions(live_server, count, prefix):
    """`count` people, each logged in with their own requests.Session (CSRF token from the form)."""
    sessions = []
    for n in range(count):
        User.create_account(f"Persona {n}", "password123", email=f"{prefix}{n}@example.org")
    for n in range(count):
        s = http_login(live_server, f"{prefix}{n}@example.org")
        s.token = csrf_token_from(s.get(live_server.url + "/coworking", timeout=10).text)
        sessions.append(s)
    return sessions


@pytest.fixture
def visconti(seed):
    site = Site.get(Site.slug == "visconti")
    day = bulk.next_open_days(site.id, today_local() + timedelta(days=2), 3)[0]
    return site, day


def post_booking(live_server, session, day, slot, kind, resource=None):
    data = {"csrf_token": session.token, "kind": kind, "day": day.isoformat(), "slot": slot}
    if resource is not None:
        data["resource"] = resource
    return lambda: post_fresh(
        session, live_server.url + "/coworking/book?site=visconti", data=data, allow_redirects=False, timeout=60
    )


def test_twenty_phones_one_room_and_two_desks(live_server, visconti):
    """20 people tap the same room at once: one booking; then the same slot with two desks: two."""
    site, day = visconti
    room = Resource.create(site=site, kind="room", name="Sala riunioni")
    desks = [Resource.create(site=site, kind="desk", name=f"Postazione {n}", position=n) for n in (1, 2)]
    sessions = logged_in_sessions(live_server, N, "room")
    # Half ask for the morning, half for the whole day: every pair overlaps.
    responses = burst(
        [post_booking(live_server, s, day, "day" if n % 2 else "am", "room", room.id) for n, s in enumerate(sessions)]
    )
    assert_statuses(responses, live_server, allowed={303, 409}, expected={303: 1})
    assert Booking.select().where(Booking.resource == room).count() == 1

    responses = burst([post_booking(live_server, s, day, "pm", "desk") for s in sessions])
    assert_statuses(responses, live_server, expected={303: 2})
    booked = list(Booking.select().where(Booking.resource.in_(desks)))
    assert sorted(b.resource_id for b in booked) == sorted(d.id for d in desks)
    assert SlotClaim.select().where(SlotClaim.resource.in_(desks)).count() == 2
    assert "Traceback" not in live_server.log()


def test_quota_and_shared_camera_under_concurrency(live_server, visconti):
    """One person fires 20 bookings in one week (quota 3); 20 people race a kit and its camera."""
    site, day = visconti
    Policy.create(
        site=site,
        kind="desk",
        advance_days=30,
        max_per_week=3,
        cancel_cutoff_hours=2,
        checkin_minutes=30,
        buffer_days=0,
        max_loan_days=1,
    )
    for n in range(4):
        Resource.create(site=site, kind="desk", name=f"Postazione {n}", position=n)
    monday = today_local() - timedelta(days=today_local().weekday()) + timedelta(days=7)
    week = [d for d in bulk.next_open_days(site.id, monday, 10) if d < monday + timedelta(days=7)]
    sessions = logged_in_sessions(live_server, N, "loan")
    quota_session = sessions[0]
    slots = [(d, slot) for d in week for slot in ("am", "pm")][:N]
    while len(slots) < N:
        slots += slots[: N - len(slots)]
    responses = burst([post_booking(live_server, quota_session, d, slot, "desk") for d, slot in slots])
    assert_statuses(responses, live_server, expected={303: 3})
    assert Booking.select().count() == 3

    cam = Item.create(site=site, name="Videocamera")
    mic = Item.create(site=site, name="Microfono")
    kit = Kit.create(site=site, name="Kit intervista")
    KitItem.create(kit=kit, item=cam)
    KitItem.create(kit=kit, item=mic)

    def job(n, s):
        url = f"/equipment/kits/{kit.id}" if n % 2 else f"/equipment/items/{cam.id}"
        token = csrf_token_from(s.get(live_server.url + url, timeout=20).text)
        data = {
            "csrf_token": token,
            "pickup_day": day.isoformat(),
            "pickup_time": "15:00",
            "return_day": day.isoformat(),
            "return_time": "17:00",
        }
        return lambda: post_fresh(s, live_server.url + url, data=data, allow_redirects=False, timeout=60)

    responses = burst([job(n, s) for n, s in enumerate(sessions)])
    assert_statuses(responses, live_server, expected={303: 1})
    assert Loan.select().count() == 1
    loan = Loan.get()
    # Every claim belongs to the one loan: nothing half-saved by the losers.
    assert ItemClaim.select().where(ItemClaim.loan != loan.id).count() == 0
    assert "Traceback" not in live_server.log()


def test_weekly_slots_race(live_server, visconti):
    """12 people ask for the same room every week at once, then for any desk every week: each week
    ends with one room booking and two desk bookings, never more, and nothing half-saved."""
    site, day = visconti
    room = Resource.create(site=site, kind="room", name="Sala riunioni")
    desks = [Resource.create(site=site, kind="desk", name=f"Postazione {n}", position=n) for n in (1, 2)]
    sessions = logged_in_sessions(live_server, 12, "weekly")
    until = (day + timedelta(weeks=3)).isoformat()

    def ask(s, what):
        data = {"csrf_token": s.token, "what": what, "day": day.isoformat(), "slot": "am", "until": until}
        url = live_server.url + "/coworking/weekly?site=visconti"
        return lambda: post_fresh(s, url, data=data, allow_redirects=False, timeout=90)

    weeks = [day + timedelta(weeks=n) for n in range(4)]
    open_weeks = [d for d in weeks if d in bulk.next_open_days(site.id, day, 40)]
    for what, resources, per_week in ((f"room-{room.id}", [room], 1), ("desk", desks, 2)):
        responses = burst([ask(s, what) for s in sessions])
        assert_statuses(responses, live_server, allowed={303, 409})
        for week in weeks:
            held = Booking.select().where(Booking.resource.in_(resources) & (Booking.day == week)).count()
            assert held == (per_week if week in open_weeks else 0), week
        claims = SlotClaim.select().where(SlotClaim.resource.in_(resources)).count()
        assert claims == per_week * len(open_weeks)
    assert "Traceback" not in live_server.log()


@pytest.mark.xdist_group("postgres")
def test_weekly_slots_race_on_postgres(pg_live_server):
    test_weekly_slots_race(pg_live_server, _visconti_on_postgres())


def _visconti_on_postgres():
    from portal import demo

    demo.load_core()
    site = Site.get(Site.slug == "visconti")
    return site, bulk.next_open_days(site.id, today_local() + timedelta(days=2), 3)[0]


@pytest.mark.xdist_group("postgres")
def test_slots_race_on_postgres(pg_live_server):
    """The same races on PostgreSQL, where SQLite's write lock does not serialise anything."""
    test_twenty_phones_one_room_and_two_desks(pg_live_server, _visconti_on_postgres())


@pytest.mark.xdist_group("postgres")
def test_quota_and_camera_race_on_postgres(pg_live_server):
    test_quota_and_shared_camera_under_concurrency(pg_live_server, _visconti_on_postgres())


def test_staff_move_races_residents_and_other_moves(live_server, visconti):
    """A staff member moves a loan onto days 19 residents ask for at the same instant: one wins, nothing
    half-saved. Then ten desks move one loan at once: its claims always match its final dates."""
    from datetime import time

    from portal.bookings.models import LoanItem
    from portal.models import AuditEntry, OutboxMessage

    site, _day = visconti
    days = bulk.next_open_days(site.id, today_local() + timedelta(days=3), 12)
    cam = Item.create(site=site, name="Videocamera")
    owner = User.create_account("Proprietaria", "password123", email="owner@example.org")
    loan = bulk.insert_loan(owner.id, site, [cam], days[5], time(15), days[5], time(16), "approved")
    residents = logged_in_sessions(live_server, N - 1, "race")
    staff = [http_login(live_server, "visconti@staff.binari.example", "binari2026") for _n in range(10)]
    for s in staff:
        s.token = csrf_token_from(s.get(f"{live_server.url}/staff/bookings/loans/{loan.id}", timeout=20).text)

    def dates(day):
        return {
            "pickup_day": day.isoformat(),
            "pickup_time": "15:00",
            "return_day": day.isoformat(),
            "return_time": "16:00",
        }

    def ask(s):
        url = f"{live_server.url}/equipment/items/{cam.id}"
        data = {"csrf_token": s.token, **dates(days[0])}
        return lambda: post_fresh(s, url, data=data, allow_redirects=False, timeout=60)

    def move(s, day):
        url = f"{live_server.url}/staff/bookings/loans/{loan.id}/move"
        data = {"csrf_token": s.token, **dates(day)}
        return lambda: post_fresh(s, url, data=data, allow_redirects=False, timeout=60)

    responses = burst([move(staff[0], days[0])] + [ask(s) for s in residents])
    assert_statuses(responses, live_server, allowed={303, 409}, expected={303: 1})
    holders = {c.loan_id for c in ItemClaim.select().where((ItemClaim.item == cam) & (ItemClaim.day == days[0]))}
    assert len(holders) == 1
    moved = responses[0].status_code == 303
    assert Loan.select().count() == (1 if moved else 2)
    assert AuditEntry.select().count() == (1 if moved else 0)

    def consistent():
        """Every loan's claims are exactly its days plus the check day, and no day is held twice."""
        for row in Loan.select():
            first, last = row.pickup_at, row.return_at
            want = set()
            for item_id in [li.item_id for li in LoanItem.select().where(LoanItem.loan == row.id)]:
                want |= {(item_id, d) for d in services_claim_days(first, last)}
            got = {(c.item_id, c.day) for c in ItemClaim.select().where(ItemClaim.loan == row.id)}
            assert got == want, (row.id, sorted(got), sorted(want))

    consistent()
    before = AuditEntry.select().count()
    responses = burst([move(s, days[6 + n % 6]) for n, s in enumerate(staff)])
    # Two desks ask for each of six days: the second may find the loan already there ("the same dates", 422).
    assert_statuses(responses, live_server, allowed={303, 409, 422})
    assert all("Sono le stesse date di prima" in r.text for r in responses if r.status_code == 422)
    wins = sum(r.status_code == 303 for r in responses)
    assert wins >= 1
    assert AuditEntry.select().count() - before == wins  # one entry per move that applied
    assert OutboxMessage.select().where(OutboxMessage.to_address == "owner@example.org").count() == (
        wins + (1 if moved else 0)
    )
    consistent()
    assert "Traceback" not in live_server.log()


def services_claim_days(pickup_at, return_at):
    from portal.bookings.services import claim_days
    from portal.clock import local_date

    return claim_days(local_date(pickup_at), local_date(return_at), 1)


@pytest.mark.xdist_group("postgres")
def test_staff_move_race_on_postgres(pg_live_server):
    test_staff_move_races_residents_and_other_moves(pg_live_server, _visconti_on_postgres())
