"""Event calendar against a running server: concurrent registrations for the
last seats, and a phone-sized browser with JavaScript on and off."""

import threading
from datetime import date, datetime, time, timedelta

import pytest
import requests
from conftest import assert_statuses, csrf_token_from

from portal.clock import to_utc
from portal.events import services
from portal.events.models import Event, Registration
from portal.models import Site


def make_event(site_slug="faenza", days=3, capacity=5, title="Laboratorio di ceramica", category="cultura"):
    start = to_utc(datetime.combine(date.today() + timedelta(days=days), time(17, 30)))
    return Event.create(
        site=Site.get(Site.slug == site_slug),
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=capacity,
        category=category,
    )


def test_concurrent_registrations_never_exceed_capacity(live_server, seed):
    event = make_event(capacity=5)
    services.register(event.id, "Rosa Esposito", email="rosa@example.org")
    services.register(event.id, "Jun Li", email="jun@example.org")
    url = f"{live_server.url}/events/{event.id}"
    people = 24
    sessions, tokens = [], []
    for _i in range(people):  # each person opens the page first (cookie + CSRF token)
        session = requests.Session()
        # Connection: close, so the POST below opens a fresh connection instead of
        # reusing one that gunicorn's keep-alive timeout may have closed meanwhile.
        page = session.get(url, timeout=30, headers={"Connection": "close"})
        assert page.status_code == 200
        sessions.append(session)
        tokens.append(csrf_token_from(page.text))
    barrier = threading.Barrier(people)
    results = [None] * people

    def attempt(i):
        barrier.wait()
        response = sessions[i].post(
            f"{url}/register",
            timeout=60,
            allow_redirects=False,
            data={"csrf_token": tokens[i], "name": f"Persona {i}", "email": f"persona{i}@example.org", "phone": ""},
        )
        results[i] = response

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A thread that raised left None: it is missing from the count of 303s.
    assert_statuses([r for r in results if r is not None], live_server, allowed={303}, expected={303: people})
    statuses = [r.status for r in Registration.select().where(Registration.event == event.id)]
    assert statuses.count("confirmed") == 5  # exactly the capacity, never more
    assert statuses.count("waitlist") == people - 3
    assert Event.get_by_id(event.id).taken == 5


@pytest.mark.xdist_group("browser")
def test_phone_filters_agenda_and_registers_as_guest(live_server, seed, phone_page):
    make_event(title="Laboratorio di ceramica", category="cultura", capacity=8)
    make_event(title="Ginnastica dolce over 60", category="sport", days=4, capacity=None)
    page = phone_page
    page.goto(f"{live_server.url}/events")
    assert page.locator(".ev-title", has_text="Ginnastica dolce").count() == 1
    page.get_by_text("Altri filtri").click()  # the less used filters are folded away
    page.select_option("#f-cat", "cultura")
    if not page.js_enabled:
        page.get_by_role("button", name="Filtra").click()
    page.wait_for_url("**category=cultura**")
    page.locator(".ev-title", has_text="Ginnastica dolce").wait_for(state="detached")
    assert page.locator(".ev-title", has_text="Laboratorio di ceramica").count() == 1
    if page.js_enabled:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"page is {width}px wide at 360px"
    page.locator(".ev-title", has_text="Laboratorio di ceramica").click()
    # A mistake first: the form comes back with the message and the input kept.
    page.get_by_label("Nome e cognome").fill("Fatima Zahra")
    page.get_by_role("button", name="Mi iscrivo").click()
    page.get_by_text("Scrivi un indirizzo e-mail oppure un numero di cellulare.").wait_for()
    assert page.get_by_label("Nome e cognome").input_value() == "Fatima Zahra"
    page.get_by_label("Nome e cognome").fill("Fatima Zahra")
    page.get_by_label("E-mail").fill("fatima.zahra@example.org")
    page.get_by_role("button", name="Mi iscrivo").click()
    page.wait_for_url(lambda url: "/check?via=mail" in url)
    page.get_by_role("heading", name="Controlla la posta").wait_for()
    reg = Registration.get(Registration.name == "Fatima Zahra")
    assert reg.status == "confirmed" and reg.unconfirmed  # the seat is held until she confirms
    # the link in her mail: the page shows the button (opening it writes nothing), the button confirms
    from portal.models import OutboxMessage

    body = OutboxMessage.get(OutboxMessage.to_address == "fatima.zahra@example.org").body
    page.goto(next(word for word in body.split() if "/events/registration/" in word))
    assert Registration.get_by_id(reg.id).unconfirmed
    page.get_by_role("button", name="Confermo").click()
    page.get_by_text("Fatima Zahra, hai un posto.").wait_for()
    assert not Registration.get_by_id(reg.id).unconfirmed
    assert page.get_by_role("button", name="Annulla l'iscrizione").count() == 1


@pytest.mark.xdist_group("postgres")
def test_concurrent_registrations_on_postgres(pg_live_server):
    """The same race on PostgreSQL, where SQLite's write lock does not serialise anything."""
    from portal import demo

    demo.load_core()
    test_concurrent_registrations_never_exceed_capacity(pg_live_server, None)


def make_course_series(capacity=4, meetings=4):
    """A weekly course open to whole-course registration, its dates made by the series engine."""
    from portal.events.models import Series
    from portal.events.series import materialise

    first = date.today() + timedelta(days=3)
    series = Series.create(
        site=Site.get(Site.slug == "faenza"),
        title="Corso di italiano",
        capacity=capacity,
        freq="weekly",
        first_day=first,
        start_time=time(17, 30),
        end_time=time(19),
        count=meetings,
        whole_course=True,
    )
    materialise(series, start_from=first)
    return series, list(Event.select().where(Event.series == series.id).order_by(Event.starts_at))


def test_concurrent_whole_course_registrations_never_exceed_capacity(live_server, seed):
    """Many people take the whole course at once: every date ends with exactly its capacity seated,
    the rest on that date's waitlist, and each person holds every date once."""
    series, dates = make_course_series(capacity=4)
    services.register(dates[1].id, "Rosa Esposito", email="rosa@example.org")  # one date already has a taker
    url = f"{live_server.url}/events/series/{series.id}"
    people = 12
    sessions, tokens = [], []
    for _i in range(people):
        session = requests.Session()
        page = session.get(url, timeout=30, headers={"Connection": "close"})
        assert page.status_code == 200
        sessions.append(session)
        tokens.append(csrf_token_from(page.text))
    barrier = threading.Barrier(people)
    results = [None] * people

    def attempt(i):
        barrier.wait()
        results[i] = sessions[i].post(
            f"{url}/register",
            timeout=90,
            allow_redirects=False,
            data={"csrf_token": tokens[i], "name": f"Corsista {i}", "email": f"corsista{i}@example.org", "phone": ""},
        )

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_statuses([r for r in results if r is not None], live_server, allowed={303}, expected={303: people})
    for event in dates:
        statuses = [r.status for r in Registration.select().where(Registration.event == event.id)]
        assert statuses.count("confirmed") == 4, event.starts_at  # exactly the capacity, never more
        assert Event.get_by_id(event.id).taken == 4
        assert len(statuses) == people + (event.id == dates[1].id)
    for i in range(people):  # each person: every date once, all from one request
        mine = list(Registration.select().where(Registration.email == f"corsista{i}@example.org"))
        assert len(mine) == len(dates) and len({r.course_key for r in mine}) == 1


@pytest.mark.xdist_group("postgres")
def test_concurrent_whole_course_registrations_on_postgres(pg_live_server):
    """The same race on PostgreSQL: row locks taken date by date in the same order, no deadlock, no overbooking."""
    from portal import demo

    demo.load_core()
    test_concurrent_whole_course_registrations_never_exceed_capacity(pg_live_server, None)
