"""One person per help-desk slot, and the per-person limit, under real concurrency: 20 people at
once against gunicorn (4 workers x 4 threads, CSRF on), on SQLite and on PostgreSQL, checked in
the database afterwards."""

from datetime import datetime, time, timedelta

import pytest
from conftest import assert_statuses, burst, csrf_token_from, http_login, post_fresh

from portal.clock import to_utc, today_local
from portal.models import Site, User

N = 20


def _desk_with_slots(count, max_open=2):
    from portal.desks.models import Desk, Slot

    site = Site.get(Site.slug == "erlembaldo")
    desk = Desk.create(site=site, name="Sportello legale", max_open_per_person=max_open, cancel_cutoff_hours=1)
    day = today_local() + timedelta(days=3)
    slots = [
        Slot.create(
            desk=desk,
            starts_at=to_utc(datetime.combine(day, time(9)) + timedelta(minutes=30 * n)),
            ends_at=to_utc(datetime.combine(day, time(9)) + timedelta(minutes=30 * n + 30)),
        )
        for n in range(count)
    ]
    return desk, slots


def sessions_for(live_server, desk, count, prefix):
    people = []
    for n in range(count):
        User.create_account(f"Persona {n}", "password123", email=f"{prefix}{n}@example.org")
    for n in range(count):
        session = http_login(live_server, f"{prefix}{n}@example.org")
        session.token = csrf_token_from(session.get(f"{live_server.url}/sportelli/{desk.id}", timeout=20).text)
        people.append(session)
    return people


def book_call(live_server, session, desk, slot, **extra):
    data = {"csrf_token": session.token, "slot": slot.id, **extra}
    url = f"{live_server.url}/sportelli/{desk.id}/prenota"
    return lambda: post_fresh(session, url, data=data, allow_redirects=False, timeout=60)


def test_twenty_people_race_for_one_slot_and_one_person_for_twenty(live_server, seed):
    """20 members (and then 20 guests) tap the same time at once: one appointment. One member fires
    20 bookings at 20 different times with a limit of 2: two."""
    from portal.desks.models import Appointment

    desk, slots = _desk_with_slots(N + 2)
    members = sessions_for(live_server, desk, N, "race")
    responses = burst([book_call(live_server, s, desk, slots[0]) for s in members])
    assert_statuses(responses, live_server, allowed={303, 409}, expected={303: 1})
    # The person who then fires twenty bookings must not be this race's winner (who already holds one).
    loser = next(n for n, r in enumerate(responses) if r.status_code == 409)
    assert Appointment.select().where(Appointment.slot == slots[0].id).count() == 1

    import requests

    guests = []
    for _ in range(N):
        session = requests.Session()
        session.token = csrf_token_from(session.get(f"{live_server.url}/sportelli/{desk.id}", timeout=20).text)
        guests.append(session)
    responses = burst(
        [
            book_call(live_server, s, desk, slots[1], guest_name=f"Ospite {n}", guest_phone=f"33300000{n:02d}")
            for n, s in enumerate(guests)
        ]
    )
    assert_statuses(responses, live_server, allowed={303, 409}, expected={303: 1})
    assert Appointment.select().where(Appointment.slot == slots[1].id).count() == 1

    one = members[loser]
    responses = burst([book_call(live_server, one, desk, slot) for slot in slots[2:]])
    assert_statuses(responses, live_server, allowed={303, 409}, expected={303: 2})
    user = User.get(User.email == f"race{loser}@example.org")
    assert Appointment.select().where((Appointment.user == user.id) & (Appointment.status == "booked")).count() == 2
    assert "Traceback" not in live_server.log()


@pytest.mark.xdist_group("postgres")
def test_the_same_races_on_postgres(pg_live_server):
    """On PostgreSQL nothing serialises the writers but the partial unique index and the row lock."""
    from portal import demo
    from portal.db import is_sqlite

    assert not is_sqlite()
    demo.load_core()
    test_twenty_people_race_for_one_slot_and_one_person_for_twenty(pg_live_server, None)
