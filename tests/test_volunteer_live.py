"""Concurrency against a real server (gunicorn, 4 workers x 4 threads, CSRF on): the
last places of a shift are never over-filled, +N included, and one person never holds
a shift twice. The same races run on PostgreSQL in test_volunteer_postgres.py."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from conftest import assert_statuses, csrf_token_from, status_counts


def make_shift(capacity, taken=0, title="Distribuzione concorrente"):
    from portal.models import Site, utcnow
    from portal.volunteer.models import Opportunity, Shift, Signup

    site = Site.get(Site.slug == "faenza")
    opp = Opportunity.create(site=site, title=title, activity="food", max_party=3)
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    shift = Shift.create(opportunity=opp, starts_at=start, ends_at=start + timedelta(hours=3), capacity=capacity)
    for n in range(taken):
        Signup.create(
            shift=shift,
            name=f"Già iscritta {n}",
            phone=f"+39333900{n:04d}",
            key_phone=f"+39333900{n:04d}",
            party=1,
            status="active",
            confirmed=True,
        )
    Shift.update(taken=taken).where(Shift.id == shift.id).execute()
    return shift


def _post_signup(url, data):
    session = requests.Session()
    page = session.get(url, timeout=30)
    data = dict(data, csrf_token=csrf_token_from(page.text))
    return session.post(url, data=data, timeout=60, allow_redirects=False)


def _last_places_never_overfilled(live_server):
    from portal.volunteer.models import Shift, Signup

    shift = make_shift(capacity=12, taken=8)  # the last 4 places
    url = f"{live_server.url}/volunteer/shifts/{shift.id}"
    # 24 different people, some bringing companions (+1, +2), all at once.
    jobs = [
        {"name": f"Persona {i}", "phone": f"+3934700{i:05d}", "email": "", "party": str(1 + i % 3)} for i in range(24)
    ]
    with ThreadPoolExecutor(max_workers=24) as pool:
        responses = list(pool.map(lambda data: _post_signup(url, data), jobs))
    assert_statuses(responses, live_server, allowed={303, 409})
    counts = status_counts(responses)
    fresh = Shift.get_by_id(shift.id)
    active = list(Signup.select().where((Signup.shift == shift.id) & (Signup.status == "active")))
    assert fresh.taken <= fresh.capacity
    assert sum(s.party for s in active) == fresh.taken
    assert counts.get(303, 0) >= 1 and counts.get(409, 0) >= 1, (counts, live_server.lines_about(responses))
    # every success is a live sign-up and nothing half-saved
    assert Signup.select().where(Signup.shift == shift.id).count() == 8 + counts.get(303, 0)


def _duplicates_of_one_person_refused(live_server):
    from portal.volunteer.models import Shift, Signup

    shift = make_shift(capacity=30)
    url = f"{live_server.url}/volunteer/shifts/{shift.id}"
    same = {"name": "Wei Chen", "phone": "347 111 2233", "email": "", "party": "1"}
    others = [{"name": f"Altra {i}", "phone": f"+3934800{i:05d}", "email": "", "party": "1"} for i in range(12)]
    with ThreadPoolExecutor(max_workers=22) as pool:
        responses = list(pool.map(lambda data: _post_signup(url, data), [same] * 10 + others))
    # a guest's duplicate gets the same answer as a new sign-up (no one learns who is on a shift);
    # the database keeps exactly one
    assert_statuses(responses[:10], live_server, expected={303: 10})
    assert_statuses(responses[10:], live_server, expected={303: 12})
    assert Signup.select().where((Signup.shift == shift.id) & (Signup.phone == "+393471112233")).count() == 1
    assert Shift.get_by_id(shift.id).taken == 13


def _cancellations_promote_without_overfilling(live_server):
    """Guests cancel at once while the waitlist is promoted: places stay exact."""
    from portal.volunteer.models import Shift, Signup

    shift = make_shift(capacity=6)
    url = f"{live_server.url}/volunteer/shifts/{shift.id}"
    links = []
    for i in range(6):
        session = requests.Session()
        page = session.get(url)
        r = session.post(
            url,
            data={
                "name": f"P{i}",
                "email": f"p{i}@example.org",
                "party": "1",
                "csrf_token": csrf_token_from(page.text),
            },
            allow_redirects=False,
        )
        assert r.status_code == 303
        from portal.models import OutboxMessage

        body = OutboxMessage.get(OutboxMessage.to_address == f"p{i}@example.org").body
        manage = next(word for word in body.split() if "/volunteer/s/" in word)  # the link in the guest's mail
        links.append((session, manage))
    for i in range(10):
        r = _post_signup(url, {"name": f"W{i}", "phone": f"+3935000{i:05d}", "party": str(1 + i % 2), "waitlist": "1"})
        assert r.status_code == 303, r.text[:500]

    def cancel(item):
        session, link = item
        page = session.get(link)
        return session.post(link + "/cancel", data={"csrf_token": csrf_token_from(page.text)}, allow_redirects=False)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(cancel, links))
    assert_statuses(responses, live_server, allowed={303}, expected={303: 6})
    fresh = Shift.get_by_id(shift.id)
    active = list(Signup.select().where((Signup.shift == shift.id) & (Signup.status == "active")))
    assert fresh.taken == sum(s.party for s in active) <= fresh.capacity
    assert fresh.taken >= 5  # freed places went to the waitlist


def races(live_server):
    """The three races at one server (gunicorn takes seconds to boot)."""
    _last_places_never_overfilled(live_server)
    _duplicates_of_one_person_refused(live_server)
    _cancellations_promote_without_overfilling(live_server)


def test_concurrent_requests_at_a_running_server(seed, live_server):
    """One server start for the three races."""
    races(live_server)
