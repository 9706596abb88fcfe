"""Drafts are deleted, never cancelled into public view; a series is published or stopped in one
step; the new-event form sent twice makes one series (also when the two arrive at once)."""

from datetime import date, timedelta

import pytest
import requests
from conftest import burst, csrf_token_from, http_login, post_fresh
from test_events import STAFF_FAENZA, event_form, html_of, make_event

from portal.events import services
from portal.events.models import Event, Registration, Series
from portal.models import OutboxMessage


def new_series(client, seed, **overrides):
    page = client.get("/staff/events/new").get_data(as_text=True)
    key = page.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    fields = dict(day=(date.today() + timedelta(days=2)).isoformat(), freq="weekly", count="4", title="Corso di cucito")
    data = event_form(seed["sites"]["faenza"], submission_key=key, **dict(fields, **overrides))
    return data, client.post("/staff/events/new", data=data)


def public_titles(client):
    agenda = html_of(client.get("/events"))
    month = date.today().strftime("%Y-%m")
    return agenda + html_of(client.get(f"/events/month/{month}"))


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_cancelling_a_draft_deletes_it_and_never_publishes_it(client, auth, seed):
    draft = make_event(status="draft", title="Bozza segreta")
    auth.login(STAFF_FAENZA)
    response = client.get(f"/staff/events/{draft.id}/cancel")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/events/{draft.id}/delete")
    page = html_of(client.get(f"/staff/events/{draft.id}/delete"))
    assert "non è mai stata pubblicata" in page
    assert client.post(f"/staff/events/{draft.id}/delete").status_code == 303
    assert not Event.select().where(Event.id == draft.id).exists()
    auth.logout()
    assert "Bozza segreta" not in public_titles(client)
    # The service itself refuses to cancel a draft (it would show as "Annullato").
    other = make_event(status="draft", title="Altra bozza")
    with pytest.raises(services.Refusal):
        services.cancel_event(other, "motivo")
    assert Event.get_by_id(other.id).status == "draft"


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_a_published_event_cannot_be_deleted(client, auth, seed):
    event = make_event(title="Pubblicato")
    auth.login(STAFF_FAENZA)
    response = client.post(f"/staff/events/{event.id}/delete")
    assert response.status_code == 400 and "si annulla" in html_of(response)
    assert Event.select().where(Event.id == event.id).exists()


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_series_drafts_published_or_deleted_in_one_step(client, auth, seed):
    auth.login(STAFF_FAENZA)
    _data, response = new_series(client, seed, status="draft")
    assert response.status_code == 303
    series = Series.get()
    page = html_of(client.get(f"/staff/events/series/{series.id}"))
    assert "Pubblica le 4 bozze" in page
    assert client.post(f"/staff/events/series/{series.id}/publish").status_code == 303
    assert {e.status for e in Event.select()} == {"published"}
    # A second series in draft, deleted whole: the series goes too.
    _data, response = new_series(client, seed, status="draft", title="Scacchi")
    second = Series.get(Series.title == "Scacchi")
    first_date = Event.select().where(Event.series == second.id).order_by(Event.starts_at).first()
    assert client.post(f"/staff/events/{first_date.id}/delete", data={"all": "1"}).status_code == 303
    assert not Series.select().where(Series.id == second.id).exists()
    assert Event.select().where(Event.series == second.id).count() == 0


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_a_whole_series_is_stopped_in_one_step(client, auth, seed):
    auth.login(STAFF_FAENZA)
    _data, response = new_series(client, seed)
    series = Series.get()
    dates = list(Event.select().where(Event.series == series.id).order_by(Event.starts_at))
    services.register(dates[0].id, "Rosa Esposito", email="rosa@example.org")
    services.register(dates[2].id, "Rosa Esposito", email="rosa@example.org")
    services.register(dates[2].id, "Ahmed Haddad", phone="+393331234567")
    before = OutboxMessage.select().count()
    assert "Ferma tutta la serie" in html_of(client.get(f"/staff/events/series/{series.id}"))
    page = html_of(client.get(f"/staff/events/series/{series.id}/cancel"))
    assert "4 date future pubblicate saranno annullate" in page
    response = client.post(f"/staff/events/series/{series.id}/cancel", data={"reason": "La docente si è trasferita."})
    assert response.status_code == 303
    assert {e.status for e in Event.select().where(Event.series == series.id)} == {"cancelled"}
    assert OutboxMessage.select().count() - before == 2  # Rosa, twice; Ahmed goes on the phone list
    assert Registration.get(Registration.name == "Ahmed Haddad").call_reason == "cancelled"
    # Without a reason: the form back with a message, nothing changed twice.
    again = client.post(f"/staff/events/series/{series.id}/cancel", data={"reason": ""})
    assert again.status_code == 422 and "Scrivi il motivo" in html_of(again)


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_the_same_form_sent_twice_makes_one_series(client, auth, seed):
    auth.login(STAFF_FAENZA)
    data, first = new_series(client, seed)
    assert first.status_code == 303
    second = client.post("/staff/events/new", data=data, follow_redirects=True)
    assert second.status_code == 200 and "Già salvato" in html_of(second)
    assert Series.select().count() == 1 and Event.select().count() == 4
    # A single event too.
    page = client.get("/staff/events/new").get_data(as_text=True)
    key = page.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    one = event_form(seed["sites"]["faenza"], title="Festa", submission_key=key)
    assert client.post("/staff/events/new", data=one).status_code == 303
    assert client.post("/staff/events/new", data=one).status_code == 303
    assert Event.select().where(Event.title == "Festa").count() == 1


def test_a_double_tap_at_a_live_server_makes_one_series(live_server, seed):
    """Six copies of one new-series form arrive at once (a double tap, a resend): one series, no error."""
    session = http_login(live_server, STAFF_FAENZA, seed["password"])
    page = session.get(live_server.url + "/staff/events/new", timeout=30).text
    token = csrf_token_from(page)
    key = page.split('name="submission_key" type="hidden" value="')[1].split('"')[0]
    data = event_form(seed["sites"]["faenza"], freq="weekly", count="3", title="Yoga", submission_key=key)
    data["csrf_token"] = token
    data["day"] = (date.today() + timedelta(days=20)).isoformat()
    sessions = []
    for _ in range(6):
        copy = requests.Session()
        copy.cookies.update(session.cookies)
        sessions.append(copy)
    url = live_server.url + "/staff/events/new"
    responses = burst([lambda s=s: post_fresh(s, url, data=data, allow_redirects=False, timeout=60) for s in sessions])
    assert [r.status_code for r in responses] == [303] * 6, live_server.lines_about(responses)
    assert Series.select().where(Series.title == "Yoga").count() == 1
    assert Event.select().where(Event.title == "Yoga").count() == 3
