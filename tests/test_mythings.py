"""The "Le mie cose" page (/account): every area's next commitments with their one-tap actions, one private
calendar feed, the card on the screen, the manifest and the service worker."""

import json
import re

import pytest

from portal import areas
from portal.clock import utcnow
from portal.models import CalendarFeedToken, User


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def things_of(app, email):
    user = User.get(User.email == email)
    with app.test_request_context("/"):
        return user, areas.my_things(user, utcnow())


def page_ids(html):
    return re.findall(r'<li id="cosa-([^"]+)"', html)


def test_every_area_contributes_and_the_page_is_soonest_first(app, client, demo, auth):
    maria, things = things_of(app, "maria@binari.example")
    assert {t.key.split("-")[0] for t in things} >= {"event", "booking", "library", "vol", "desk"}
    auth.login()
    html = client.get("/account").get_data(as_text=True)
    shown = page_ids(html)
    assert shown == [t.key for t in things][:30]
    dated = [t.starts_at for t in things if t.starts_at]
    assert dated == sorted(dated)
    # Account settings stay on the page, and the area pages with the history stay linked.
    for action in ("/account/details", "/account/password", "/language", "/account/delete", "/logout"):
        assert f'action="{action}"' in html
    for link in ("/events/mine", "/account/bookings", "/account/library", "/volunteer/mine", "/account/sportelli"):
        assert f'href="{link}"' in html
    assert 'href="/account/reminders"' in html and 'href="/account/export.json"' in html


def test_only_my_own_things(app, client, demo, auth):
    """Two people: neither sees the other's things, on the page or in the feed; actions on the
    other's things are 404."""
    _maria, mine = things_of(app, "maria@binari.example")
    _wei, theirs = things_of(app, "wei@binari.example")
    assert mine and theirs and not {t.key for t in mine} & {t.key for t in theirs}
    auth.login("wei@binari.example")
    html = client.get("/account").get_data(as_text=True)
    assert set(page_ids(html)) == {t.key for t in theirs[:30]}
    assert not set(page_ids(html)) & {t.key for t in mine}
    for thing in mine:
        for action in thing.actions:
            assert client.post(action.url, data={"back": "account"}).status_code == 404, action.url
    client.post("/account/calendario")
    token = CalendarFeedToken.get(CalendarFeedToken.user == _wei.id).token
    feed = client.get(f"/calendario/{token}.ics").get_data(as_text=True)
    assert not any(f"mine-{t.key}@" in feed for t in mine)


def test_each_areas_action_comes_back_to_the_page(app, client, demo, auth):
    _maria, things = things_of(app, "maria@binari.example")
    auth.login()
    done = set()
    for thing in things:
        area = thing.key.split("-")[0]
        if area in done or not thing.actions:
            continue
        response = client.post(thing.actions[0].url, data={"back": "account"})
        assert response.status_code == 303, (thing.key, response.status_code)
        assert response.headers["Location"].endswith("/account#mie-cose"), thing.key
        page = client.get("/account").get_data(as_text=True)
        assert 'class="flash' in page, thing.key
        done.add(area)
    assert done >= {"event", "booking", "library", "vol", "desk"}
    # The areas' own pages still get their own answer without back=account.
    _maria, things = things_of(app, "maria@binari.example")
    booking = next(t for t in things if t.key.startswith("booking-") and t.actions)
    assert client.post(booking.actions[0].url).headers["Location"].endswith("/account/bookings")


def test_empty_state_links_to_where_to_find_things(client, seed, auth):
    auth.login("wei@binari.example")  # the seed alone: nothing booked anywhere
    html = client.get("/account").get_data(as_text=True)
    assert "Non hai niente in programma." in html
    for link in ("/events", "/library", "/volunteer", "/sportelli"):
        assert f'href="{link}' in html


def test_calendar_feed_token_by_post_revocable_and_complete(app, client, demo, auth):
    app.config["BASE_URL"] = "https://binari.example.org"
    maria, things = things_of(app, "maria@binari.example")
    auth.login()
    assert "/calendario/" not in client.get("/account").get_data(as_text=True)  # a GET makes no token
    assert CalendarFeedToken.select().count() == 0
    assert client.post("/account/calendario").status_code == 303
    token = CalendarFeedToken.get(CalendarFeedToken.user == maria.id).token
    html = client.get("/account").get_data(as_text=True)
    assert f'value="https://binari.example.org/calendario/{token}.ics"' in html
    client.get("/logout")  # calendar apps have no session
    response = client.get(f"/calendario/{token}.ics", headers={"Host": "evil.example"})
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert "TZID:Europe/Rome" in body and "evil.example" not in body
    assert "URL:https://binari.example.org/account" in body
    for thing in things:
        expected = thing.in_calendar and thing.starts_at is not None
        assert (f"UID:mine-{thing.key}@binari.example.org" in body.replace("\r\n ", "")) == expected, thing.key
    from datetime import date, datetime

    from icalendar import Calendar

    events = {str(e["uid"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}
    loan = next(t for t in things if t.key.startswith("library-loan-"))
    due = events[f"mine-{loan.key}@binari.example.org"]["dtstart"].dt
    assert type(due) is date  # a due date is a whole day, not a time
    timed = next(t for t in things if t.key.startswith("booking-"))
    start = events[f"mine-{timed.key}@binari.example.org"]["dtstart"].dt
    assert isinstance(start, datetime) and str(start.tzinfo) == "Europe/Rome"
    assert client.get(f"/calendario/{token}.ics").data == response.data  # byte-identical: caches well
    # Renewing revokes the old link; switching off revokes the new one.
    auth.login()
    client.post("/account/calendario")
    new = CalendarFeedToken.get(CalendarFeedToken.user == maria.id).token
    assert new != token and client.get(f"/calendario/{token}.ics").status_code == 404
    client.post("/account/calendario/revoca")
    assert client.get(f"/calendario/{new}.ics").status_code == 404
    assert CalendarFeedToken.select().count() == 0


def test_old_feeds_keep_working(client, demo, auth):
    auth.login()
    client.post("/account/bookings/calendar")
    client.post("/account/sportelli/calendario")
    html = client.get("/account/bookings").get_data(as_text=True)
    token = re.search(r"/calendar/([^\"]+)\.ics", html).group(1)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    html = client.get("/account/sportelli").get_data(as_text=True)
    token = re.search(r"/sportelli/calendario/([^\"]+)\.ics", html).group(1)
    assert client.get(f"/sportelli/calendario/{token}.ics").status_code == 200


def test_calendar_token_in_export_and_gone_on_erasure(client, make_user, auth):
    make_user("Nadia Test", email="nadia@example.org")
    auth.login("nadia@example.org", "password123")
    assert client.get("/account/export.json").json["calendar_feed"] == []
    client.post("/account/calendario")
    row = CalendarFeedToken.get()
    exported = client.get("/account/export.json").json["calendar_feed"]
    assert len(exported) == 1 and exported[0]["url"].endswith(f"/calendario/{row.token}.ics")
    assert "Link privato del calendario" in client.get("/account/data").get_data(as_text=True)
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code == 302
    assert CalendarFeedToken.select().count() == 0
    assert client.get(f"/calendario/{row.token}.ics").status_code == 404


def test_card_page_with_qr_and_the_worker_script_only_there(client, seed, auth):
    auth.login()
    maria = User.get(User.email == "maria@binari.example")
    html = client.get("/account/tessera").get_data(as_text=True)
    assert maria.member_code in html and 'src="data:image/svg+xml;base64,' in html
    for path in ("/account/tessera", "/account"):
        assert "sw-register.js" in client.get(path).get_data(as_text=True), path
    for path in ("/", "/events", "/account/bookings", "/library"):
        assert "sw-register.js" not in client.get(path).get_data(as_text=True), path
    assert client.get("/account/tessera").status_code == 200
    client.post("/logout")
    assert client.get("/account/tessera").status_code == 302


def test_manifest_worker_and_offline_page(client, seed, auth):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "ar"})
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["start_url"] == "/account" and manifest["lang"] == "ar" and manifest["dir"] == "rtl"
    assert manifest["theme_color"] == "#0a5a9c" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"any", "192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Cache-Control"] == "no-cache"
    text = worker.get_data(as_text=True)
    assert '["/account/tessera", "/account"]' in text and re.search(r'const CACHE = "binari-[0-9a-f]{12}"', text)
    auth.login()
    offline = client.get("/offline").get_data(as_text=True)
    assert "Maria" not in offline and "csrf" not in offline  # the same for everyone: it is cached


def test_logout_clears_the_offline_copies(client, seed, auth):
    auth.login()
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
