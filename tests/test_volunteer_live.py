"""Concurrency against a real server (gunicorn, 4 workers x 4 threads, CSRF on): the
last places of a shift are never over-filled, +N included, and one person never holds
a shift twice. Plus the browser test at 360x640 (guest signs up and cancels, JS on and off)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from conftest import csrf_token_from


def _shift(capacity, taken=0, title="Distribuzione concorrente"):
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
    return session.post(url, data=data, timeout=60, allow_redirects=False).status_code


def _last_places_never_overfilled(live_server):
    from portal.volunteer.models import Shift, Signup

    shift = _shift(capacity=12, taken=8)  # the last 4 places
    url = f"{live_server.url}/volunteer/shifts/{shift.id}"
    # 24 different people, some bringing companions (+1, +2), all at once.
    jobs = [
        {"name": f"Persona {i}", "phone": f"+3934700{i:05d}", "email": "", "party": str(1 + i % 3)} for i in range(24)
    ]
    with ThreadPoolExecutor(max_workers=24) as pool:
        codes = list(pool.map(lambda data: _post_signup(url, data), jobs))
    assert all(code in (302, 409) for code in codes), (codes, live_server.log()[-3000:])
    fresh = Shift.get_by_id(shift.id)
    active = list(Signup.select().where((Signup.shift == shift.id) & (Signup.status == "active")))
    assert fresh.taken <= fresh.capacity
    assert sum(s.party for s in active) == fresh.taken
    assert codes.count(302) >= 1 and codes.count(409) >= 1
    # every success is a live sign-up and nothing half-saved
    assert Signup.select().where(Signup.shift == shift.id).count() == 8 + codes.count(302)


def _duplicates_of_one_person_refused(live_server):
    from portal.volunteer.models import Shift, Signup

    shift = _shift(capacity=30)
    url = f"{live_server.url}/volunteer/shifts/{shift.id}"
    same = {"name": "Wei Chen", "phone": "347 111 2233", "email": "", "party": "1"}
    others = [{"name": f"Altra {i}", "phone": f"+3934800{i:05d}", "email": "", "party": "1"} for i in range(12)]
    with ThreadPoolExecutor(max_workers=22) as pool:
        codes = list(pool.map(lambda data: _post_signup(url, data), [same] * 10 + others))
    assert codes[:10].count(302) == 1 and codes[:10].count(409) == 9, codes
    assert codes[10:].count(302) == 12
    assert Signup.select().where((Signup.shift == shift.id) & (Signup.phone == "+393471112233")).count() == 1
    assert Shift.get_by_id(shift.id).taken == 13


def _cancellations_promote_without_overfilling(live_server):
    """Guests cancel at once while the waitlist is promoted: places stay exact."""
    from portal.volunteer.models import Shift, Signup

    shift = _shift(capacity=6)
    url = f"{live_server.url}/volunteer/shifts/{shift.id}"
    links = []
    for i in range(6):
        session = requests.Session()
        page = session.get(url)
        r = session.post(
            url,
            data={"name": f"P{i}", "phone": f"+3934900{i:05d}", "party": "1", "csrf_token": csrf_token_from(page.text)},
            allow_redirects=False,
        )
        assert r.status_code == 302
        links.append((session, live_server.url + r.headers["Location"]))
    for i in range(10):
        assert (
            _post_signup(url, {"name": f"W{i}", "phone": f"+3935000{i:05d}", "party": str(1 + i % 2), "waitlist": "1"})
            == 302
        )

    def cancel(item):
        session, link = item
        page = session.get(link)
        return session.post(
            link + "/cancel", data={"csrf_token": csrf_token_from(page.text)}, allow_redirects=False
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(cancel, links))
    assert codes == [302] * 6
    fresh = Shift.get_by_id(shift.id)
    active = list(Signup.select().where((Signup.shift == shift.id) & (Signup.status == "active")))
    assert fresh.taken == sum(s.party for s in active) <= fresh.capacity
    assert fresh.taken >= 5  # freed places went to the waitlist


def test_concurrent_requests_at_a_running_server(seed, live_server):
    """One server start for the three races (gunicorn takes seconds to boot)."""
    _last_places_never_overfilled(live_server)
    _duplicates_of_one_person_refused(live_server)
    _cancellations_promote_without_overfilling(live_server)


@pytest.mark.xdist_group("browser")
def test_guest_on_a_phone(seed, live_server, phone_page):
    """360x640, JavaScript on and off: a guest signs up and cancels; bad input comes back with a message."""
    _guest_signs_up_and_cancels(live_server, phone_page)
    shift = _bad_input_comes_back_with_a_message(live_server, phone_page)
    _coordinator_marks_attendance(live_server, phone_page, shift)


def _guest_signs_up_and_cancels(live_server, page):
    from portal.volunteer.models import Shift, Signup

    shift = _shift(capacity=5, title="Aiuto compiti al doposcuola")
    page.goto(f"{live_server.url}/volunteer")
    page.get_by_role("link", name="Aiuto compiti al doposcuola").first.click()
    page.wait_for_url("**/volunteer/opportunities/**")
    page.locator(f"a[href='/volunteer/shifts/{shift.id}']").first.click()
    # with JavaScript the boosted swap lands a moment after the click: wait for the shift page
    page.wait_for_url(f"**/volunteer/shifts/{shift.id}")
    page.get_by_label("Quante persone siete?").wait_for()
    assert "5 posti liberi" in page.content()
    # nothing wider than the phone
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("Nome e cognome").fill("Jenny Ramos")
    page.get_by_label("Cellulare").fill("340 123 4003")
    page.get_by_label("Quante persone siete?").select_option("2")
    # big enough to tap
    assert page.get_by_role("button", name="Iscriviti").bounding_box()["height"] >= 44
    assert page.get_by_label("Cellulare").bounding_box()["height"] >= 44
    page.get_by_role("button", name="Iscriviti").click()
    page.wait_for_url("**/volunteer/s/**")
    assert "Iscrizione ricevuta" in page.content()
    assert Shift.get_by_id(shift.id).taken == 2
    page.get_by_role("button", name="Disdici l'iscrizione").click()
    page.get_by_text("Iscrizione disdetta").wait_for()
    assert Shift.get_by_id(shift.id).taken == 0
    assert Signup.get(Signup.shift == shift.id).status == "cancelled"


def _bad_input_comes_back_with_a_message(live_server, page):
    shift = _shift(capacity=4, taken=2, title="Squadra eventi")
    page.goto(f"{live_server.url}/volunteer/shifts/{shift.id}")
    page.get_by_label("Nome e cognome").fill("Arben Hoxha")
    page.get_by_label("Cellulare").fill("12")
    page.get_by_role("button", name="Iscriviti").click()
    page.get_by_text("Questo numero di cellulare non sembra valido.").wait_for()
    assert page.get_by_label("Nome e cognome").input_value() == "Arben Hoxha"
    # +N larger than the places left
    page.get_by_label("Cellulare").fill("340 555 1234")
    page.get_by_label("Quante persone siete?").select_option("3")
    page.get_by_role("button", name="Iscriviti").click()
    page.get_by_text("Restano solo 2 posti").wait_for()
    page.get_by_role("button", name="Mettimi in lista d'attesa").click()
    page.wait_for_url("**/volunteer/s/**")
    assert "In lista d'attesa" in page.content()
    return shift


def _coordinator_marks_attendance(live_server, page, shift):
    """The coordinator ticks who came on the phone; the waitlisted guest is listed apart."""
    from portal.volunteer.models import Signup

    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail, cellulare o codice tessera").fill("faenza@staff.binari.example")
    page.get_by_label("Password").fill("binari2026")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/account")
    page.goto(f"{live_server.url}/volunteer/manage/shifts/{shift.id}")
    assert "Arben Hoxha" in page.content()  # on the waitlist
    page.get_by_label("Già iscritta 0").check()
    page.get_by_role("button", name="Salva le presenze").click()
    page.get_by_text("Presenze salvate: 1 presenti.").wait_for()
    present = Signup.get((Signup.shift == shift.id) & (Signup.name == "Già iscritta 0"))
    assert present.attended and present.minutes_served == 180


@pytest.mark.xdist_group("postgres")
def test_concurrent_requests_on_postgres(pg_live_server):
    """The same races on PostgreSQL, where SQLite's write lock does not serialise anything."""
    from portal import demo

    demo.load_core()
    test_concurrent_requests_at_a_running_server(None, pg_live_server)
