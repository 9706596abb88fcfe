"""Event calendar (issue 3): agenda, event page, recurrence, registration and
waitlist, moderation, staff pages, feeds, PDFs — through the test client."""

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta

import pytest
from conftest import count_queries, png_bytes

from portal.clock import to_local, to_utc
from portal.events import series as series_rules
from portal.events import services, tokens
from portal.events.models import Event, Registration, Series
from portal.models import OutboxMessage, Site
from portal.recurrence import occurrence_dates

STAFF_FAENZA = "faenza@staff.binari.example"
STAFF_ERLEMBALDO = "erlembaldo@staff.binari.example"


def make_event(site_slug="faenza", days=3, capacity=10, status="published", title="Ginnastica dolce", **fields):
    site = Site.get(Site.slug == site_slug)
    start = to_utc(datetime.combine(date.today() + timedelta(days=days), time(18)))
    return Event.create(
        site=site,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status=status,
        capacity=capacity,
        **fields,
    )


def event_form(site, **overrides):
    data = {
        "title": "Corso di cucina",
        "description": "Si cucina insieme.",
        "site": site.id,
        "room": 0,
        "partner": 0,
        "category": "formazione",
        "audience": "adulti",
        "day": (date.today() + timedelta(days=10)).isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "is_free": "1",
        "price": "",
        "capacity": "12",
        "poster_alt": "",
        "access_notes": "",
        "status": "published",
        "freq": "",
        "until": "",
        "count": "",
        "skip_dates": "",
        "pauses": "",
    }
    data.update(overrides)
    return data


def html_of(response):
    return response.get_data(as_text=True)


# --- recurrence -------------------------------------------------------------------
def test_weekly_biweekly_until_and_count():
    start = date(2027, 1, 4)  # a Monday
    weekly = occurrence_dates("weekly", start, until=date(2027, 1, 25))
    assert weekly == [date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18), date(2027, 1, 25)]  # until inclusive
    assert occurrence_dates("biweekly", start, count=3) == [date(2027, 1, 4), date(2027, 1, 18), date(2027, 2, 1)]


def test_monthly_nth_weekday_and_last_weekday():
    # 12 January 2027 is the 2nd Tuesday: the series stays on 2nd Tuesdays.
    days = occurrence_dates("monthly", date(2027, 1, 12), count=3)
    assert days == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]
    # 29 January 2027 is the 5th (= last) Friday: it becomes "last Friday of the month".
    days = occurrence_dates("monthly", date(2027, 1, 29), count=3)
    assert days == [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26)]


def test_skipped_dates_and_pauses_do_not_use_up_the_count():
    start = date(2027, 7, 5)
    days = occurrence_dates(
        "weekly", start, count=4, skip=[date(2027, 7, 12)], pauses=[(date(2027, 8, 1), date(2027, 8, 31))]
    )
    assert days == [date(2027, 7, 5), date(2027, 7, 19), date(2027, 7, 26), date(2027, 9, 6)]


@pytest.mark.clock("2026-11-17T10:00")  # before both changes of 2027: the series is created ahead of them
def test_series_keeps_wall_clock_time_across_daylight_saving(app, seed):
    # Summer time starts on 28 March 2027: 18:00 in Milan is 17:00 UTC before, 16:00 UTC after.
    series = Series.create(
        freq="weekly",
        first_day=date(2027, 3, 17),
        start_time=time(18),
        end_time=time(19, 30),
        count=4,
        site=seed["sites"]["faenza"],
        title="Yoga",
    )
    created, _u, _r = series_rules.materialise(series)
    assert created == 4
    events = list(Event.select().where(Event.series == series).order_by(Event.starts_at))
    assert [e.starts_at.hour for e in events] == [17, 17, 16, 16]
    assert all(to_local(e.starts_at).time() == time(18) for e in events)
    assert all(to_local(e.ends_at).time() == time(19, 30) for e in events)
    # Autumn: summer time ends on 31 October 2027.
    autumn = Series.create(
        freq="weekly",
        first_day=date(2027, 10, 24),
        start_time=time(9),
        end_time=time(10),
        count=2,
        site=seed["sites"]["faenza"],
        title="Sportello",
    )
    series_rules.materialise(autumn)
    hours = [e.starts_at.hour for e in Event.select().where(Event.series == autumn).order_by(Event.starts_at)]
    assert hours == [7, 8]


def test_staff_creates_series_with_skip_and_pause(client, auth, seed):
    auth.login(STAFF_FAENZA)
    first = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 or 7)  # next Monday
    skip = first + timedelta(days=7)
    pause_from, pause_to = first + timedelta(days=21), first + timedelta(days=34)
    data = event_form(
        seed["sites"]["faenza"],
        day=first.isoformat(),
        freq="weekly",
        count="5",
        skip_dates=skip.strftime("%d/%m/%Y"),
        pauses=f"{pause_from.strftime('%d/%m/%Y')} - {pause_to.strftime('%d/%m/%Y')}",
    )
    response = client.post("/staff/events/new", data=data)
    assert response.status_code == 303, html_of(response)
    days = [to_local(e.starts_at).date() for e in Event.select().order_by(Event.starts_at)]
    assert len(days) == 5
    assert skip not in days and not any(pause_from <= d <= pause_to for d in days)


def test_recurrence_without_an_end_is_refused(client, auth, seed):
    auth.login(STAFF_FAENZA)
    response = client.post("/staff/events/new", data=event_form(seed["sites"]["faenza"], freq="weekly"))
    assert response.status_code == 422
    assert "deve finire" in html_of(response)
    assert Event.select().count() == 0 and Series.select().count() == 0


def test_change_whole_series_or_one_occurrence(client, auth, seed):
    auth.login(STAFF_FAENZA)
    first = date.today() + timedelta(days=2)
    client.post(
        "/staff/events/new",
        data=event_form(seed["sites"]["faenza"], day=first.isoformat(), freq="weekly", count="4", title="Scacchi"),
    )
    series = Series.get()
    events = list(Event.select().order_by(Event.starts_at))
    one = events[1]
    # One occurrence: a different room/time and title, only there.
    data = event_form(
        seed["sites"]["faenza"],
        day=to_local(one.starts_at).date().isoformat(),
        title="Scacchi: torneo",
        start_time="17:00",
        end_time="21:00",
    )
    assert client.post(f"/staff/events/{one.id}/edit", data=data).status_code == 303
    # Someone registers for the last date, which the series then drops.
    last = events[3]
    services.register(last.id, "Rosa", email="rosa@example.org")
    data = event_form(
        seed["sites"]["faenza"], day=first.isoformat(), freq="weekly", count="3", title="Scacchi per tutti"
    )
    response = client.post(f"/staff/events/series/{series.id}", data=data)
    assert response.status_code == 303, html_of(response)
    titles = {e.id: (e.title, e.status) for e in Event.select()}
    assert titles[events[0].id] == ("Scacchi per tutti", "published")
    assert titles[one.id] == ("Scacchi: torneo", "published")  # detached: left alone
    assert titles[last.id][1] == "cancelled"  # had a registration: cancelled, not deleted
    assert OutboxMessage.select().where(OutboxMessage.to_address == "rosa@example.org").count() == 1


# --- staff forms: bad input ----------------------------------------------------------
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"end_time": "17:00"}, "La fine deve venire dopo l"),
        ({"day": "yesterday"}, "già passata"),
        ({"capacity": "0"}, "almeno 1"),
        ({"capacity": "-5"}, "almeno 1"),
        ({"capacity": "venti"}, "Scrivi un numero intero"),
        ({"freq": "weekly", "count": "500"}, "Da 1 a 200 incontri"),
        ({"title": ""}, "Scrivi il titolo"),
        ({"is_free": "0", "price": ""}, "Scrivi il prezzo"),
        ({"skip_dates": "31/02/2027"}, "Date non valide"),
    ],
)
def test_bad_event_input_is_refused_with_a_message(client, auth, seed, overrides, message):
    auth.login(STAFF_FAENZA)
    if overrides.get("day") == "yesterday":  # resolved now, under the test's clock, not at collection
        overrides = dict(overrides, day=(date.today() - timedelta(days=1)).isoformat())
    response = client.post("/staff/events/new", data=event_form(seed["sites"]["faenza"], **overrides))
    assert response.status_code == 422
    assert message in html_of(response)
    assert 'value="Corso di cucina"' in html_of(response) or overrides.get("title") == ""
    assert Event.select().count() == 0


def test_poster_is_checked_reencoded_and_small(client, auth, seed):
    auth.login(STAFF_FAENZA)
    site = seed["sites"]["faenza"]
    not_image = event_form(
        site, poster=(io.BytesIO(b"<script>alert(1)</script>"), "poster.jpg"), poster_alt="Locandina"
    )
    response = client.post("/staff/events/new", data=not_image, content_type="multipart/form-data")
    assert response.status_code == 422 and "immagine valida" in html_of(response)
    too_big = event_form(
        site, poster=(io.BytesIO(b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10)), "big.png"), poster_alt="Locandina"
    )
    response = client.post("/staff/events/new", data=too_big, content_type="multipart/form-data")
    assert response.status_code == 422 and "5 MB" in html_of(response)
    no_alt = event_form(site, poster=(io.BytesIO(png_bytes()), "p.png"))
    response = client.post("/staff/events/new", data=no_alt, content_type="multipart/form-data")
    assert response.status_code == 422 and "lettore di schermo" in html_of(response)
    assert Event.select().count() == 0
    good = event_form(site, poster=(io.BytesIO(png_bytes()), "p.png"), poster_alt="Due mani che impastano il pane")
    response = client.post("/staff/events/new", data=good, content_type="multipart/form-data")
    assert response.status_code == 303
    event = Event.get()
    image = client.get(f"/events/poster/{event.poster}.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert len(image.data) <= 60 * 1024
    page = html_of(client.get(f"/events/{event.id}"))
    assert 'alt="Due mani che impastano il pane"' in page


def test_staff_act_only_on_their_centres(client, auth, seed):
    other = make_event("erlembaldo")
    auth.login(STAFF_FAENZA)
    assert client.get(f"/staff/events/{other.id}/edit").status_code == 403
    assert client.get(f"/staff/events/{other.id}/registrations").status_code == 403
    assert client.post(f"/staff/events/{other.id}/cancel", data={"reason": "x"}).status_code == 403
    response = client.post("/staff/events/new", data=event_form(seed["sites"]["erlembaldo"]))
    assert response.status_code == 422  # not among the choices of this staff member
    assert Event.select().count() == 1
    auth.logout()
    auth.login("maria@binari.example")
    assert client.get("/staff/events").status_code == 403
    auth.logout()
    assert client.get("/staff/events/new").status_code == 302  # to the login page
    auth.login("admin@binari.example")
    assert client.get(f"/staff/events/{other.id}/edit").status_code == 200
    auth.logout()
    mine = make_event("faenza", title="Torneo di scacchi")
    auth.login(STAFF_FAENZA)
    listing = html_of(client.get("/staff/events?status=published"))
    assert "Torneo di scacchi" in listing and "Ginnastica dolce" not in listing  # not my centre
    assert "Calendario: eventi e iscrizioni" in html_of(client.get("/staff"))
    del mine


def test_duplicate_and_publish_draft(client, auth, seed):
    event = make_event(title="Tombolata")
    auth.login(STAFF_FAENZA)
    page = html_of(client.get(f"/staff/events/new?from={event.id}"))
    assert 'value="Tombolata"' in page
    data = event_form(seed["sites"]["faenza"], title="Tombolata", status="draft", duplicate_of=str(event.id))
    assert client.post("/staff/events/new", data=data).status_code == 303
    copy = Event.select().order_by(Event.id.desc()).first()
    assert copy.status == "draft" and copy.id != event.id
    auth.logout()
    assert client.get(f"/events/{copy.id}").status_code == 404  # drafts are not public
    auth.login(STAFF_FAENZA)
    assert client.post(f"/staff/events/{copy.id}/publish").status_code == 303
    assert Event.get_by_id(copy.id).status == "published"


# --- registration and waitlist ----------------------------------------------------------
def test_guest_registration_waitlist_and_promotion(client, seed):
    event = make_event(capacity=2)
    people = [
        ("Rosa Esposito", "rosa@example.org", ""),
        ("Karim Mansour", "", "333 765 4321"),
        ("Lucia Bianchi", "lucia@example.org", ""),
        ("Jun Li", "", "347 111 2222"),
    ]
    for name, email, phone in people:
        response = client.post(f"/events/{event.id}/register", data={"name": name, "email": email, "phone": phone})
        assert response.status_code == 303
        assert f"/events/{event.id}/check?via={'mail' if email else 'phone'}" in response.headers["Location"]
    regs = list(Registration.select().order_by(Registration.id))
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waitlist", "waitlist"]
    assert all(r.unconfirmed for r in regs)  # guests hold their places until they confirm
    links = [tokens.cancel_token(r) for r in regs]
    assert Event.get_by_id(event.id).taken == 2
    page = html_of(client.get(f"/events/{event.id}"))
    assert "Completo" in page
    for name, _e, _p in people:  # nobody sees other participants' names
        assert name not in page
    # Lucia confirms through the link in her mail (the GET only shows the button).
    assert "Confermo" in html_of(client.get(f"/events/registration/{links[2]}"))
    assert Registration.get_by_id(regs[2].id).unconfirmed
    assert client.post(f"/events/registration/{links[2]}/confirm").status_code == 303
    assert not Registration.get_by_id(regs[2].id).unconfirmed
    # Karim (no e-mail) cancels through his signed link: Lucia, first in line, gets the seat and a mail.
    page = html_of(client.get(f"/events/registration/{links[1]}"))
    assert "Il posto è tenuto per te" in page and "Confermo" in page  # not confirmed yet: the seat is held
    assert client.post(f"/events/registration/{links[1]}").status_code == 303
    statuses = {r.name: r.status for r in Registration.select()}
    assert statuses == {
        "Rosa Esposito": "confirmed",
        "Karim Mansour": "cancelled",
        "Lucia Bianchi": "confirmed",
        "Jun Li": "waitlist",
    }
    mail = (
        OutboxMessage.select()
        .where(OutboxMessage.to_address == "lucia@example.org")
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    assert "si è liberato un posto" in mail.body and "/events/registration/" in mail.body
    # Rosa cancels: Jun (phone only) is promoted and appears in the staff's list to phone.
    client.post(f"/events/registration/{links[0]}")
    jun = Registration.get(Registration.name == "Jun Li")
    assert jun.status == "confirmed" and jun.call_reason == "promoted"
    assert Event.get_by_id(event.id).taken == 2
    auth_client = client
    auth_client.post("/login", data={"identifier": STAFF_FAENZA, "password": "binari2026"})
    calls = html_of(auth_client.get("/staff/events/calls", follow_redirects=True))
    assert "Jun Li" in calls and "+39 347 111 2222" in calls
    auth_client.post(f"/staff/events/calls/{jun.id}/done")
    assert Registration.get_by_id(jun.id).call_reason == ""


def test_guest_token_is_signed(client, seed):
    event = make_event()
    reg = services.register(event.id, "Rosa", email="rosa@example.org")
    token = tokens.cancel_token(reg)
    assert client.get(f"/events/registration/{token}x").status_code == 404
    assert client.get("/events/registration/eyJyIjoxfQ.forged").status_code == 404
    assert client.get(f"/events/registration/{token}").status_code == 200


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "", "email": "a@example.org"}, "Scrivi il tuo nome"),
        ({"name": "Rosa", "email": "", "phone": ""}, "e-mail oppure un numero"),
        ({"name": "Rosa", "email": "not-an-address"}, "non sembra valido"),
        ({"name": "Rosa", "phone": "12"}, "non sembra valido"),
    ],
)
def test_guest_registration_bad_input(client, seed, data, message):
    event = make_event()
    response = client.post(f"/events/{event.id}/register", data=data)
    assert response.status_code == 422
    assert message in html_of(response)
    assert Registration.select().count() == 0


def test_second_registration_by_same_person_is_refused(client, auth, seed):
    event = make_event(capacity=5)
    data = {"name": "Rosa", "email": "Rosa@Example.org"}
    first = client.post(f"/events/{event.id}/register", data=data)
    assert first.status_code == 303
    # A guest's duplicate gets the same answer (the page never tells who is registered); the mail says it.
    again = client.post(f"/events/{event.id}/register", data={"name": "Rosa E.", "email": "rosa@example.org"})
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    told = OutboxMessage.select().where(OutboxMessage.to_address == "rosa@example.org").order_by(OutboxMessage.id)
    assert "già iscritto" in list(told)[-1].body
    client.post(f"/events/{event.id}/register", data={"name": "Karim", "phone": "3337654321"})
    response = client.post(f"/events/{event.id}/register", data={"name": "K", "phone": "+39 333 765 4321"})
    assert response.status_code == 303
    assert Event.get_by_id(event.id).taken == 2  # the refused attempts gave their seat back
    auth.login("maria@binari.example")
    assert client.post(f"/events/{event.id}/register").status_code == 303
    assert client.post(f"/events/{event.id}/register").status_code == 422
    assert Registration.select().count() == 3


def test_registration_for_cancelled_past_or_open_events_is_refused(client, seed):
    cancelled = make_event(status="cancelled")
    past = make_event(days=-2)
    open_entry = make_event(capacity=None)
    for event, message in ((cancelled, "annullato"), (past, "passato"), (open_entry, "ingresso è libero")):
        response = client.post(f"/events/{event.id}/register", data={"name": "Rosa", "email": "r@example.org"})
        assert response.status_code == 422
        assert message in html_of(response)
    assert Registration.select().count() == 0


def test_member_registers_sees_it_and_cancels(client, auth, seed):
    event = make_event(capacity=1)
    auth.login("maria@binari.example")
    client.post(f"/events/{event.id}/register")
    reg = Registration.get()
    assert reg.user_id == seed["users"]["maria@binari.example"].id and reg.status == "confirmed"
    assert "Sei iscritta/o" in html_of(client.get(f"/events/{event.id}"))
    mine = html_of(client.get("/events/mine"))
    assert "Ginnastica dolce" in mine
    assert "/events/mine" in html_of(client.get("/account"))
    auth.logout()
    auth.login("wei@binari.example")
    assert client.post(f"/events/mine/{reg.id}/cancel").status_code == 404  # not Wei's
    client.post(f"/events/{event.id}/register")
    assert "(posizione 1)" in html_of(client.get(f"/events/{event.id}"))
    auth.logout()
    auth.login("maria@binari.example")
    assert client.post(f"/events/mine/{reg.id}/cancel").status_code == 303
    wei = Registration.get(Registration.user == seed["users"]["wei@binari.example"].id)
    assert wei.status == "confirmed"
    assert OutboxMessage.select().where(OutboxMessage.to_address == "wei@binari.example").count() == 2


def test_staff_desk_registrations_attendance_csv_and_signin_sheet(client, auth, seed):
    event = make_event(capacity=2, title="Corso di cucito")
    services.register(event.id, "Rosa Esposito", email="rosa@example.org")
    auth.login(STAFF_FAENZA)
    url = f"/staff/events/{event.id}/registrations"
    assert (
        client.post(url, data={"name": "Giuseppe Russo", "phone": "3391234567", "source": "phone"}).status_code == 303
    )
    assert client.post(url, data={"name": "Franca Costa", "source": "walkin"}).status_code == 303
    statuses = {r.name: (r.status, r.source) for r in Registration.select()}
    assert statuses["Giuseppe Russo"] == ("confirmed", "phone")
    assert statuses["Franca Costa"] == ("waitlist", "walkin")
    page = html_of(client.get(url))
    assert "Rosa Esposito" in page and "Franca Costa" in page
    rosa = Registration.get(Registration.name == "Rosa Esposito")
    assert client.post(f"/staff/events/{event.id}/attendance", data={"present": [str(rosa.id)]}).status_code == 303
    assert Registration.get_by_id(rosa.id).attended is True
    assert Registration.get(Registration.name == "Giuseppe Russo").attended is False
    csv_text = client.get(f"/staff/events/{event.id}/registrations.csv").get_data(as_text=True)
    assert "Rosa Esposito" in csv_text and "rosa@example.org" in csv_text
    pdf = client.get(f"/staff/events/{event.id}/sign-in.pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdftotext(pdf.data)
    assert "Corso di cucito" in text and "Rosa Esposito" in text and "Giuseppe Russo" in text
    assert "Franca Costa" not in text  # waiting, not registered


def test_staff_cancels_event_and_everyone_is_told(client, auth, seed):
    event = make_event(capacity=3)
    services.register(event.id, "Rosa", email="rosa@example.org")
    services.register(event.id, "Karim", phone="+393337654321")
    auth.login(STAFF_FAENZA)
    response = client.post(f"/staff/events/{event.id}/cancel", data={"reason": ""})
    assert response.status_code == 422
    assert Event.get_by_id(event.id).status == "published"
    client.post(f"/staff/events/{event.id}/cancel", data={"reason": "La sala è allagata."})
    assert Event.get_by_id(event.id).status == "cancelled"
    mail = OutboxMessage.get(OutboxMessage.to_address == "rosa@example.org")
    assert "annullato" in mail.body and "allagata" in mail.body
    assert "Karim" in html_of(client.get("/staff/events/calls", follow_redirects=True))
    agenda = html_of(client.get("/events"))
    assert "Annullato" in agenda


def test_raising_capacity_promotes_the_waitlist(client, auth, seed):
    event = make_event(capacity=1)
    for i in range(3):
        services.register(event.id, f"P{i}", email=f"p{i}@example.org")
    auth.login(STAFF_FAENZA)
    data = event_form(
        seed["sites"]["faenza"], title=event.title, capacity="2", day=to_local(event.starts_at).date().isoformat()
    )
    assert client.post(f"/staff/events/{event.id}/edit", data=data).status_code == 303
    assert [r.status for r in Registration.select().order_by(Registration.id)] == ["confirmed", "confirmed", "waitlist"]
    data["capacity"] = "1"
    response = client.post(f"/staff/events/{event.id}/edit", data=data)
    assert response.status_code == 422 and "non possono essere meno" in html_of(response)


# --- moderation ---------------------------------------------------------------------------
def test_proposal_moderation(client, auth, seed):
    auth.login("maria@binari.example")
    day = (date.today() + timedelta(days=20)).isoformat()
    data = {
        "title": "Merenda in cortile",
        "description": "Ognuno porta qualcosa.",
        "site": seed["sites"]["faenza"].id,
        "partner": 0,
        "category": "comunita",
        "audience": "famiglie",
        "day": day,
        "start_time": "16:00",
        "end_time": "18:00",
        "capacity": "",
    }
    assert client.post("/events/propose", data=dict(data, end_time="15:00")).status_code == 422
    assert client.post("/events/propose", data=data).status_code == 303
    proposal = Event.get()
    assert proposal.status == "pending"
    assert "Merenda in cortile" not in html_of(client.get("/events"))
    client.post("/events/propose", data=dict(data, title="Torneo di carte"))
    auth.logout()
    auth.login(STAFF_ERLEMBALDO)
    assert client.post(f"/staff/events/{proposal.id}/approve").status_code == 403
    auth.logout()
    auth.login(STAFF_FAENZA)
    page = html_of(client.get("/staff/events/moderation"))
    assert "Merenda in cortile" in page and "Torneo di carte" in page
    client.post(f"/staff/events/{proposal.id}/approve")
    assert Event.get_by_id(proposal.id).status == "published"
    other = Event.get(Event.title == "Torneo di carte")
    assert client.post(f"/staff/events/{other.id}/reject", data={"message": ""}).status_code == 422
    client.post(f"/staff/events/{other.id}/reject", data={"message": "Quel giorno la sala è occupata."})
    assert Event.get_by_id(other.id).status == "rejected"
    mail = (
        OutboxMessage.select()
        .where(OutboxMessage.to_address == "maria@binari.example")
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    assert "sala è occupata" in mail.body
    auth.logout()
    auth.login("maria@binari.example")
    mine = html_of(client.get("/events/mine"))
    assert "Quel giorno la sala è occupata." in mine
    assert "Merenda in cortile" in html_of(client.get("/events"))


# --- agenda and pages -----------------------------------------------------------------------
def test_agenda_filters_htmx_fragment_and_more(client, seed):
    make_event("faenza", title="Pugilato popolare", category="sport")
    make_event("erlembaldo", title="Letture per bambini", category="bambini", days=4)
    make_event("visconti", title="Concerto jazz", category="cultura", is_free=False, price="5 €", days=5)
    page = html_of(client.get("/events"))
    assert all(t in page for t in ("Pugilato popolare", "Letture per bambini", "Concerto jazz"))
    page = html_of(client.get("/events?site=erlembaldo"))
    assert "Letture per bambini" in page and "Pugilato" not in page
    page = html_of(client.get("/events?category=cultura"))
    assert "Concerto jazz" in page and "Letture" not in page
    page = html_of(client.get("/events?price=paid"))
    assert "Concerto jazz" in page and "Pugilato" not in page
    page = html_of(client.get("/events?q=PUGILATO"))
    assert "Pugilato popolare" in page and "Concerto" not in page
    assert html_of(client.get("/events?site=nowhere&category=<b>")).count("ev-title") == 3  # bad filters ignored
    fragment = client.get("/events?category=sport", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in html_of(fragment) and "Pugilato popolare" in html_of(fragment)
    assert "HX-Request" in fragment.headers["Vary"]


def test_agenda_more_pagination_without_and_with_htmx(client, seed):
    for i in range(25):
        make_event(title=f"Evento numero {i:02d}", days=1 + i)
    first = html_of(client.get("/events"))
    assert "Evento numero 19" in first and "Evento numero 20" not in first
    assert "page=2" in first
    second = html_of(client.get("/events?page=2"))  # no JavaScript: pages 1-2
    assert "Evento numero 00" in second and "Evento numero 24" in second
    more = html_of(client.get("/events?page=2", headers={"HX-Request": "true", "HX-Target": "more-2"}))
    assert "Evento numero 00" not in more and "Evento numero 24" in more and "<html" not in more


def test_agenda_queries_do_not_grow_with_events(client, seed):
    for i in range(5):
        make_event(title=f"A{i}", days=1 + i)
    with count_queries() as few:
        client.get("/events")
    for i in range(30):
        make_event(
            title=f"B{i}",
            days=1 + i,
            partner=seed["partners"]["Municipio 6"],
            room=seed["rooms"][("faenza", "Palestra")],
        )
    with count_queries() as many:
        client.get("/events")
    assert many["n"] == few["n"]
    event = Event.select().order_by(Event.id.desc()).first()
    with count_queries() as one:
        client.get(f"/events/{event.id}")
    assert one["n"] <= 6
    with count_queries() as feed:
        client.get("/events.ics")
    assert feed["n"] <= 4


def test_event_page_content_and_escaping(client, seed):
    room = seed["rooms"][("erlembaldo", "Biblioteca")]  # step-free, hearing loop, toilet
    event = make_event(
        "erlembaldo",
        room=room,
        partner=seed["partners"]["Teatro di Quartiere APS"],
        title="<script>alert('x')</script> Teatro",
        sign_language=True,
        description="Prima riga <b>grassetto finto</b>\n\n**Vero grassetto** e https://example.org/info"
        "\n\n<img src=x onerror=alert(1)>\n- uno\n- due",
    )
    page = html_of(client.get(f"/events/{event.id}"))
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<b>grassetto" not in page and "<img src=x" not in page
    assert "<strong>Vero grassetto</strong>" in page
    assert '<a href="https://example.org/info" rel="nofollow noopener">' in page
    assert "Anello a induzione" in page and "Interprete LIS" in page and "Accesso senza gradini" in page
    assert 'itemtype="https://schema.org/Event"' in page
    assert "calendar.google.com/calendar/render" in page and f"/events/{event.id}.ics" in page
    assert "Teatro di Quartiere APS" in page and "10 posti liberi su 10" in page
    agenda = html_of(client.get("/events"))
    assert "<script>alert" not in agenda
    slugged = client.get(f"/events/{event.id}-any-slug")
    assert slugged.status_code == 200
    assert client.get("/events/99999").status_code == 404


def test_month_view_archive_and_home(client, seed):
    past = make_event(title="Festa passata", days=-40, capacity=None)
    upcoming = make_event(title="Festa futura", days=2, capacity=None)
    ym = to_local(past.starts_at).strftime("%Y-%m")
    page = html_of(client.get(f"/events/month/{ym}"))
    assert "Festa passata" in page and 'class="month"' in page
    assert client.get("/events/month/2026-13").status_code == 404
    assert client.get("/events/month/nonsense").status_code == 404
    archive = html_of(client.get("/events/archive"))
    assert f"/events/month/{ym}" in archive
    home = html_of(client.get("/"))
    assert "Festa futura" in home and "Festa passata" not in home
    del upcoming


# --- feeds ---------------------------------------------------------------------------------
def test_ical_feed_is_valid_and_filtered(client, seed):
    from icalendar import Calendar

    make_event("faenza", title="Yoga", category="sport", description="Riga uno\nRiga due, con virgola; e punto")
    make_event("visconti", title="Cinema", category="cultura", days=5)
    response = client.get("/events.ics")
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    assert any(c.name == "VTIMEZONE" and str(c["TZID"]) == "Europe/Rome" for c in cal.walk())
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Yoga", "Cinema"}
    yoga = events["Yoga"]
    assert str(yoga["DESCRIPTION"]).startswith("Riga uno\nRiga due, con virgola; e punto")
    assert "/events/" in str(yoga["URL"])
    assert yoga.decoded("DTSTART").tzinfo is not None and str(yoga["DTSTART"].params["TZID"]) == "Europe/Rome"
    assert yoga.decoded("DTSTART").hour == 18
    only = Calendar.from_ical(client.get("/events.ics?site=visconti").data)
    assert [str(e["SUMMARY"]) for e in only.walk("VEVENT")] == ["Cinema"]
    only = Calendar.from_ical(client.get("/events.ics?category=sport").data)
    assert [str(e["SUMMARY"]) for e in only.walk("VEVENT")] == ["Yoga"]
    assert client.get("/events.ics?site=nowhere").status_code == 404
    one = Calendar.from_ical(client.get(f"/events/{Event.get(Event.title == 'Yoga').id}.ics").data)
    assert len(list(one.walk("VEVENT"))) == 1


def test_atom_feed_and_embed(client, seed):
    make_event("faenza", title="Pane & <rose>")
    response = client.get("/events.atom")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.find("a:title", ns).text for e in root.findall("a:entry", ns)]
    assert len(titles) == 1 and titles[0].startswith("Pane & <rose>")
    embed = client.get("/events/embed?site=faenza")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    body = html_of(embed)
    assert "Pane &amp; &lt;rose&gt;" in body and "<script" not in body and 'target="_blank"' in body
    assert "frame-ancestors 'self'" in client.get("/events").headers["Content-Security-Policy"]


# --- PDFs ------------------------------------------------------------------------------------
def pdftotext(data):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext missing")
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


def test_flyer_pdf_text_and_etag(client, seed):
    event = make_event(
        "visconti",
        title="Teatro di cortile",
        partner=seed["partners"]["Teatro di Quartiere APS"],
        room=seed["rooms"][("visconti", "Sala eventi")],
    )
    response = client.get(f"/events/{event.id}/flyer.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdftotext(response.data)
    assert "Teatro di cortile" in text and "Via Aicardo Visconti 9" in text and "Teatro di Quartiere APS" in text
    assert "Binari" in text
    etag = response.headers["ETag"].strip('"')
    again = client.get(f"/events/{event.id}/flyer.pdf", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304
    a5 = client.get(f"/events/{event.id}/flyer.pdf?format=a5")
    assert a5.headers["ETag"] != response.headers["ETag"]
    event.title = "Teatro di cortile – replica"
    event.save()
    changed = client.get(f"/events/{event.id}/flyer.pdf", headers={"If-None-Match": f'"{etag}"'})
    assert changed.status_code == 200 and "replica" in pdftotext(changed.data)
    assert client.get(f"/events/{make_event(status='draft').id}/flyer.pdf").status_code == 404


def test_monthly_programme_pdf(client, seed):
    today = date.today()
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    days = (first_next - today).days
    make_event("faenza", title="Distribuzione del sabato", days=days + 2)
    make_event("erlembaldo", title="Letture in biblioteca", days=days + 3)
    ym = first_next.strftime("%Y-%m")
    response = client.get(f"/events/programme/{ym}.pdf")
    assert response.status_code == 200
    text = pdftotext(response.data)
    assert "Distribuzione del sabato" in text and "Letture in biblioteca" in text
    one = pdftotext(client.get(f"/events/programme/{ym}.pdf?site=faenza").data)
    assert "Distribuzione del sabato" in one and "Letture in biblioteca" not in one
    etag = response.headers["ETag"]
    assert client.get(f"/events/programme/{ym}.pdf", headers={"If-None-Match": etag}).status_code == 304
    event = Event.get(Event.title == "Letture in biblioteca")
    event.description = "Nuovo testo"
    event.save()
    assert client.get(f"/events/programme/{ym}.pdf", headers={"If-None-Match": etag}).status_code == 200
    assert client.get("/events/programme/2026-99.pdf").status_code == 404
    assert client.get("/events/programme/2090-01.pdf").status_code == 404  # far months: no costly PDF builds
    assert client.get(f"/events/programme/{ym}.pdf?site=nowhere").status_code == 404


def test_english_interface(app, client, seed):
    event = make_event(title="Yoga")
    client.post("/language", data={"lang": "en", "next": "/events"})
    # Flask-Babel caches the locale on the app context: give each request a fresh one.
    with app.app_context():
        page = html_of(client.get("/events"))
    assert 'lang="en"' in page and "Event calendar" in page and "places left" in page
    with app.app_context():
        page = html_of(client.get(f"/events/{event.id}"))
    assert "Add to calendar" in page and "Step-free" not in page
    assert re.search(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", page)


def test_series_capacity_never_below_seats_taken_and_closure_warning(client, auth, seed):
    from portal.models import SiteClosure

    auth.login(STAFF_FAENZA)
    first = date.today() + timedelta(days=3)
    SiteClosure.create(site=None, date=first + timedelta(days=7), reason="Festività")
    response = client.post(
        "/staff/events/new",
        data=event_form(seed["sites"]["faenza"], day=first.isoformat(), freq="weekly", count="3", capacity="2"),
        follow_redirects=True,
    )
    assert "il centro è chiuso il" in html_of(response)
    series = Series.get()
    event = Event.select().order_by(Event.starts_at).first()
    for name in ("A", "B", "C"):
        services.register(event.id, name, email=f"{name}@example.org")
    data = event_form(seed["sites"]["faenza"], day=first.isoformat(), freq="weekly", count="3", capacity="1")
    assert client.post(f"/staff/events/series/{series.id}", data=data).status_code == 303
    assert Event.get_by_id(event.id).capacity == 2  # two people hold a seat
    data["capacity"] = "5"
    client.post(f"/staff/events/series/{series.id}", data=data)
    assert Event.get_by_id(event.id).taken == 3  # the waiting person got the new seat


def test_guest_contacts_are_forgotten_months_after_the_event(client, auth, seed):
    from portal.models import utcnow

    old = make_event(days=-200)
    recent = make_event(days=-10)
    for event in (old, recent):
        Registration.create(event=event, name="Rosa Esposito", email="rosa@example.org", status="confirmed")
    Registration.create(
        event=old,
        user=seed["users"]["maria@binari.example"],
        name="Maria Rossi",
        email="maria@binari.example",
        status="confirmed",
    )
    auth.login(STAFF_FAENZA)
    client.get("/staff/events")  # a page writes nothing: the daily job forgets
    assert Registration.get((Registration.event == old.id) & Registration.user.is_null()).name == "Rosa Esposito"
    assert services.purge_guests_job(utcnow()) == 1
    assert services.purge_guests_job(utcnow()) == 0
    old_guest = Registration.get((Registration.event == old.id) & Registration.user.is_null())
    assert (old_guest.name, old_guest.email) == ("—", None)
    assert Registration.get(Registration.event == recent.id).email == "rosa@example.org"
    assert Registration.get(Registration.user.is_null(False)).name == "Maria Rossi"


def test_promotion_mail_speaks_the_language_of_the_registration(app, client, seed):
    event = make_event(capacity=1)
    client.post(f"/events/{event.id}/register", data={"name": "Rosa", "email": "rosa@example.org"})
    token = tokens.cancel_token(Registration.get(Registration.name == "Rosa"))
    english = app.test_client()
    english.post("/language", data={"lang": "en", "next": "/events"})
    with app.app_context():  # a fresh context: Flask-Babel caches the locale per context
        english.post(f"/events/{event.id}/register", data={"name": "John", "email": "john@example.org"})
    assert Registration.get(Registration.name == "John").language == "en"
    services.confirm_registration(Registration.get(Registration.name == "John"))  # John opened his link
    with app.app_context():
        client.post(f"/events/registration/{token}")  # Rosa cancels, in Italian
    mail = (
        OutboxMessage.select()
        .where(OutboxMessage.to_address == "john@example.org")
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    assert "a place has freed up" in mail.body and "you have a place" in mail.subject


def test_dates_typed_the_italian_way_are_accepted(client, auth, seed):
    auth.login(STAFF_FAENZA)
    day = date.today() + timedelta(days=9)
    response = client.post("/staff/events/new", data=event_form(seed["sites"]["faenza"], day=day.strftime("%d/%m/%Y")))
    assert response.status_code == 303
    assert to_local(Event.get().starts_at).date() == day


def test_reminder_the_day_before_is_sent_once(client, seed):
    from portal.models import utcnow

    start = utcnow() + timedelta(hours=20)
    event = Event.create(
        site=seed["sites"]["faenza"],
        title="Cena sociale",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=10,
    )
    early = services.register(event.id, "Rosa", email="rosa@example.org")
    Registration.update(created_at=utcnow() - timedelta(days=3)).where(Registration.id == early.id).execute()
    services.register(event.id, "Karim", email="karim@example.org")  # registered today: no reminder
    services.register(event.id, "Jun", phone="+393471112222")  # no address
    client.get("/events")  # a page view sends nothing: the job does
    assert not OutboxMessage.select().where(OutboxMessage.subject.contains("promemoria")).exists()
    from portal.jobs import tick

    assert tick(names=["events-remind-day-before"], force=True) == {"events-remind-day-before": 1}
    assert tick(names=["events-remind-day-before"], force=True) == {"events-remind-day-before": 0}  # already claimed
    mails = list(OutboxMessage.select().where(OutboxMessage.subject.contains("promemoria")))
    assert [m.to_address for m in mails] == ["rosa@example.org"]
    assert "Cena sociale" in mails[0].body and "/events/registration/" in mails[0].body


def test_demo_calendar_loads_relative_to_today(app, client, seed):
    from portal.events import demo

    counts = demo.load(seed)
    assert counts["events"] > 100 and counts["event series"] == 9
    assert Event.select().where(Event.status == "pending").count() == 1
    assert Registration.select().where(Registration.status == "waitlist").count() >= 2
    assert (
        Series.select().where(Series.skip_dates != "").exists() and Series.select().where(Series.pauses != "").exists()
    )
    assert Event.select().where(Event.poster != "").exists()
    assert Event.select().where(Event.starts_at > datetime.utcnow()).count() > 50
    page = html_of(client.get("/events"))
    assert "Distribuzione dell" in page


# --- the area contract: old addresses, capacity, language, phone list, privacy ----------------
def test_old_addresses_redirect_permanently(client, seed):
    old = client.get("/programme/2026-11.pdf?site=faenza")
    assert old.status_code == 301
    assert old.headers["Location"].endswith("/events/programme/2026-11.pdf?site=faenza")
    old = client.get("/embed/events?site=faenza")
    assert old.status_code == 301 and old.headers["Location"].endswith("/events/embed?site=faenza")


def test_capacity_decrease_is_a_conditional_update(app, seed):
    from portal.refusals import Refusal

    event = make_event(capacity=5)
    for name in ("Rosa", "Karim", "Jun"):
        services.register(event.id, name, email=f"{name}@example.org")
    stale = Event.get_by_id(event.id)
    stale.taken = 0  # a copy read before the three registrations: the database decides
    values = {name: getattr(stale, name) for name in Event.SHARED}
    values.update(site=stale.site_id, room=None, partner=None, capacity=2)
    local = to_local(stale.starts_at)
    with app.test_request_context(), pytest.raises(Refusal) as refused:
        services.update_event(stale, values, local.date(), local.time(), time(20), "published")
    assert refused.value.field == "capacity" and refused.value.status == 422 and "3" in refused.value.message
    assert Event.get_by_id(event.id).capacity == 5
    with app.test_request_context(), pytest.raises(Refusal):
        services.update_event(stale, dict(values, capacity=None), local.date(), local.time(), time(20), "published")
    with app.test_request_context():
        services.update_event(stale, dict(values, capacity=3), local.date(), local.time(), time(20), "published")
    assert Event.get_by_id(event.id).capacity == 3 and Event.get_by_id(event.id).taken == 3


def test_moderation_mails_speak_the_proposers_language(client, auth, seed, make_user):
    proposer = make_user("John Smith", email="john@example.org", password="password123")
    proposer.language = "en"
    proposer.save()
    event = make_event(status="pending", proposed_by=proposer, title="Tea party")
    auth.login(STAFF_FAENZA)  # the staff member reads Italian
    assert client.post(f"/staff/events/{event.id}/approve").status_code == 303
    mail = OutboxMessage.select().where(OutboxMessage.to_address == "john@example.org").get()
    assert "proposal" in mail.subject.lower() and "Tea party" in mail.body
    other = make_event(status="pending", proposed_by=proposer, title="Card games")
    client.post(f"/staff/events/{other.id}/reject", data={"message": "The room is taken."})
    mail = (
        OutboxMessage.select().where(OutboxMessage.to_address == "john@example.org").order_by(OutboxMessage.id.desc())
    )
    assert "The room is taken." in mail.first().body and "Thank you" in mail.first().body
    assert client.post(f"/staff/events/{other.id}/reject", data={"message": "again"}).status_code == 400


def test_people_to_phone_come_from_the_calls_column(app, client, auth, seed):
    from portal import areas

    event = make_event(capacity=1)
    rosa = services.register(event.id, "Rosa", email="rosa@example.org")
    services.register(event.id, "Jun Li", phone="+393471112222")
    with app.test_request_context():
        services.cancel_registration(rosa.id)
        calls = [c for c in areas.people_to_phone([event.site_id]) if c.area == "events"]
        assert [(c.name, c.phone) for c in calls] == [("Jun Li", "+393471112222")]
        assert calls[0].link == f"/staff/events/{event.id}/registrations" and "Ginnastica dolce" in calls[0].reason
        assert areas.people_to_phone([seed["sites"]["visconti"].id]) == []
    auth.login(STAFF_FAENZA)
    assert "Jun Li" in html_of(client.get("/staff/events/calls", follow_redirects=True))
    jun = Registration.get(Registration.name == "Jun Li")
    assert client.post(f"/staff/events/calls/{jun.id}/done").status_code == 303
    with app.test_request_context():
        assert [c for c in areas.people_to_phone([event.site_id]) if c.area == "events"] == []


def test_account_deletion_erases_the_person_from_the_calendar(app, client, auth, seed, make_user):
    from peewee import CharField, TextField

    from portal.schema import all_models

    name, email, phone = "Ottavia Brambillasca", "ottavia@example.org", "+393409876543"
    person = make_user(name, email=email, phone=phone, password="password123")
    full = make_event(capacity=1, title="Corso di maglia")
    with app.test_request_context():
        mine = services.sign_up(full, name, email=email, phone=phone, user=person.id)
    waiting = services.register(full.id, "Rosa Esposito", email="rosa@example.org")
    guest_by_mail = services.register(make_event(days=5, title="Cineforum").id, "Ottavia B.", email=email)
    queue = make_event(days=6, capacity=1, title="Yoga")
    services.register(queue.id, "Karim", email="karim@example.org")
    by_phone = services.register(queue.id, "O. Brambillasca", phone=phone)
    past = make_event(days=-20, title="Festa d'autunno")
    Registration.create(event=past, user=person, name=name, email=email, phone=phone, status="confirmed", attended=True)
    earlier = make_event(days=-40, title="Castagnata")
    Registration.create(event=earlier, name=name, phone=phone, status="confirmed", call_reason="promoted")
    pending = make_event(days=30, status="pending", proposed_by=person, title="Merenda", description="Porto la torta.")
    done = make_event(days=-5, proposed_by=person, title="Torneo di scacchi", moderation_note="Grazie Ottavia!")

    auth.login(email, "password123")
    exported = client.get("/account/export.json").json["events"]
    assert {"Corso di maglia", "Cineforum", "Yoga", "Festa d'autunno"} <= {
        r["event"] for r in exported["registrations"]
    }
    assert {"Merenda", "Torneo di scacchi"} == {r["title"] for r in exported["proposals"]}
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)

    assert Registration.get_by_id(mine.id).status == "cancelled"
    assert Registration.get_by_id(waiting.id).status == "confirmed"  # the freed seat went to the waitlist
    assert Registration.get_by_id(guest_by_mail.id).status == "cancelled"
    assert Registration.get_by_id(by_phone.id).status == "cancelled"
    assert Event.get_by_id(full.id).taken == 1
    assert Registration.select().where(Registration.event == past.id, Registration.attended == True).count() == 1  # noqa: E712
    assert Event.get_by_id(pending.id).status == "rejected" and Event.get_by_id(pending.id).proposed_by_id is None
    assert Event.get_by_id(done.id).status == "published" and Event.get_by_id(done.id).proposed_by_id is None
    found = []
    for model in all_models():
        columns = [f for f in model._meta.sorted_fields if isinstance(f, (CharField, TextField))]
        if not columns:
            continue
        for row in model.select(*columns).tuples():
            for column, value in zip(columns, row, strict=True):
                for needle in (name, "Brambillasca", email, phone, phone[3:]):
                    if value and needle.lower() in str(value).lower():
                        found.append((model.__name__, column.name, value))
    assert not found


def test_publishing_what_is_not_a_draft_is_refused(client, auth, seed):
    event = make_event()
    auth.login(STAFF_FAENZA)
    response = client.post(f"/staff/events/{event.id}/publish")
    assert response.status_code == 400 and "Si può pubblicare solo una bozza." in html_of(response)


def test_desk_registration_mail_is_not_in_the_staff_members_language(client, auth, seed):
    event = make_event()
    auth.login(STAFF_FAENZA)
    client.post("/language", data={"lang": "en", "next": "/staff"})
    url = f"/staff/events/{event.id}/registrations"
    assert client.post(url, data={"name": "Rosa", "email": "rosa@example.org", "source": "phone"}).status_code == 303
    mail = OutboxMessage.get(OutboxMessage.to_address == "rosa@example.org")
    assert "iscrizione" in mail.subject and Registration.get(Registration.name == "Rosa").language == "it"
