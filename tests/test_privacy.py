"""A person's data across every area: the export holds everything, and deleting the account leaves
no name, e-mail or phone in any table, frees every future seat, slot, hold and place, and ends the
calendar feeds and sessions.

The person uses every area as a resident would (through the pages), then deletes the account.
"""

from datetime import timedelta

import pytest
from peewee import CharField, TextField

NAME = "Erasmo Cancellami"
EMAIL = "erasmo.cancellami@example.org"
PHONE = "+393479998877"
NEEDLES = (NAME, "Cancellami", EMAIL, PHONE, "3479998877", "347 999 8877", "Segreta")


@pytest.fixture
def world(app, seed):
    """The full demo: every area has its centres, events, desks, equipment, books and shifts."""
    from portal import demo

    for _name, load_area in demo.demo_loaders():
        load_area(seed)
    return seed


def text_columns():
    from portal.schema import all_models

    for model in all_models():
        for field in model._meta.sorted_fields:
            if isinstance(field, CharField | TextField):
                yield model, field


def rows_mentioning(needles):
    """[(table.column, value)] of every text cell that holds one of the needles."""
    found = []
    for model, field in text_columns():
        for needle in needles:
            for (value,) in model.select(field).where(field.contains(needle)).tuples():
                found.append((f"{model._meta.table_name}.{field.column_name}", value[:80]))
    return found


def errors_in(response):
    """The messages a refused form shows, for a failure message."""
    import re

    html = response.get_data(as_text=True)
    return response.status_code, re.findall(r'class="(?:error|flash[^"]*)"[^>]*>([^<]+)', html)[:5]


def next_open_day(site, after):
    from portal.models import OpeningHours

    open_days = {w for (w,) in OpeningHours.select(OpeningHours.weekday).where(OpeningHours.site == site).tuples()}
    day = after
    while day.weekday() not in open_days or day in site.closed_days(day, day):
        day += timedelta(days=1)
    return day


def use_every_area(client, world):
    """Register for an event (taking its last seat), book a desk, ask for equipment with a private
    purpose, make the calendar link, queue for a book with history on, sign up for a shift with a
    profile, and propose an event. Returns what the checks need."""
    from portal.bookings.models import Item
    from portal.clock import today_local
    from portal.events import services as events
    from portal.events.models import Event
    from portal.library.models import Copy, Title
    from portal.volunteer.models import Shift

    checks = {}
    # Events: the last seat of an event; a guest then waits.
    event = (
        Event.select()
        .where((Event.status == "published") & Event.capacity.is_null(False) & (Event.starts_at > events.utcnow()))
        .order_by(Event.starts_at)
        .first()
    )
    Event.update(capacity=Event.taken + 1).where(Event.id == event.id).execute()
    assert client.post(f"/events/{event.id}/register").status_code in (302, 303)
    waiting = events.register(event.id, "Giulia In Attesa", email="giulia.attesa@example.org")
    assert waiting.status == "waitlist"
    checks["event"], checks["waiting"] = event, waiting

    # Co-working: a desk on the next open day at Via Visconti.
    visconti = world["sites"]["visconti"]
    day = next_open_day(visconti, today_local() + timedelta(days=2))
    response = client.post("/coworking/book?site=visconti", data={"kind": "desk", "day": day.isoformat(), "slot": "am"})
    assert response.status_code in (302, 303), errors_in(response)
    checks["desk_day"] = day

    # Audio-video: a loan request whose purpose says where the person lives, for a new recorder
    # nobody has borrowed yet (the demo's items have loans of their own).
    item = Item.create(site=visconti, name="Registratore audio", deposit=0)
    pickup = next_open_day(visconti, today_local() + timedelta(days=9))
    response = client.post(
        f"/equipment/items/{item.id}",
        data={
            "pickup_day": pickup.isoformat(),
            "pickup_time": "15:00",
            "return_day": next_open_day(visconti, pickup + timedelta(days=1)).isoformat(),
            "return_time": "16:00",
            "purpose": "Festa privata per mia figlia, via Segreta 1",
        },
    )
    assert response.status_code in (302, 303), errors_in(response)
    assert client.post("/account/bookings/calendar").status_code in (302, 303)
    from portal.bookings.models import CalendarToken

    checks["calendar_token"] = CalendarToken.get().token

    # Library: history on, and a hold on a book whose copies are all out.
    assert client.post("/account/library/history", data={"keep_history": "y"}).status_code in (302, 303)
    busy = (
        Title.select()
        .join(Copy)
        .where(Copy.withdrawn == False)  # noqa: E712
        .group_by(Title.id)
        .order_by(Title.id)
        .first()
    )
    response = client.post(f"/library/titles/{busy.id}/hold")
    assert response.status_code in (302, 303), errors_in(response)

    # Volunteering: a profile with notes, and a place on a coming shift.
    response = client.post("/volunteer/profile", data={"notes": "Chiamatemi, Erasmo Cancellami", "site": visconti.id})
    assert response.status_code in (302, 303), errors_in(response)
    shift = (
        Shift.select().where((Shift.starts_at > events.utcnow()) & (Shift.taken < Shift.capacity)).order_by(Shift.id)
    ).first()
    response = client.post(f"/volunteer/shifts/{shift.id}", data={"party": "1"})
    assert response.status_code in (302, 303), errors_in(response)
    checks["shift"] = shift

    # Help desks: an appointment whose subject names the person, and a waitlist request.
    from portal.desks import services as desks
    from portal.desks.models import Desk

    legal = Desk.get(Desk.name == "Sportello legale")
    slot = desks.free_slots([legal.id])[legal.id][0]
    response = client.post(f"/sportelli/{legal.id}/prenota", data={"slot": slot.id, "subject": "Segreta: debiti"})
    assert response.status_code in (302, 303), errors_in(response)
    response = client.post(
        f"/sportelli/{legal.id}/attesa", data={"day": (today_local() + timedelta(days=3)).isoformat()}
    )
    assert response.status_code in (302, 303), errors_in(response)
    checks["desk_slot"] = slot

    # Events again: a proposal of the person's own party, with their name in it.
    response = client.post(
        "/events/propose",
        data={
            "title": "Festa di Erasmo Cancellami",
            "description": "Porto la torta. Chiamate Erasmo Cancellami al 347 999 8877.",
            "site": world["sites"]["faenza"].id,
            "partner": 0,
            "category": "comunita",
            "audience": "tutti",
            "day": next_open_day(world["sites"]["faenza"], today_local() + timedelta(days=20)).isoformat(),
            "start_time": "17:00",
            "end_time": "19:00",
            "capacity": "",
        },
    )
    assert response.status_code in (302, 303), errors_in(response)
    return checks


def test_export_holds_every_area_and_deletion_leaves_nothing(app, client, auth, world, make_user):
    from conftest import AuthActions

    from portal.events.models import Registration

    make_user(NAME, email=EMAIL, phone=PHONE)
    auth.login(EMAIL, "password123")
    phone = app.test_client()  # the same person, also logged in on their phone
    AuthActions(phone).login(PHONE, "password123")
    assert phone.get("/account").status_code == 200
    checks = use_every_area(client, world)

    data = client.get("/account/export.json").json
    assert data["account"]["email"] == EMAIL
    for area in ("events", "bookings", "library", "volunteer", "desks"):
        assert any(rows for rows in data[area].values()), f"{area}: nothing exported"
    page = client.get("/account/data").get_data(as_text=True)
    assert "Festa privata per mia figlia" in page and "Erasmo" in page
    # Stored codes are shown in words (the JSON keeps the codes).
    assert "Posto confermato" in page and "Residente" in page and "<dd>confirmed</dd>" not in page
    assert data["events"]["registrations"][0]["status"] == "confirmed"
    assert rows_mentioning(NEEDLES), "the scan must see the person before deletion"

    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303), errors_in(response)

    assert rows_mentioning(NEEDLES) == []
    # The seat went to the person waiting; the feed is gone; the session is over.
    assert Registration.get_by_id(checks["waiting"].id).status == "confirmed"
    assert client.get(f"/calendar/{checks['calendar_token']}.ics").status_code == 404
    from portal.desks import services as desks

    assert checks["desk_slot"] in desks.free_slots([checks["desk_slot"].desk_id])[checks["desk_slot"].desk_id]
    assert client.get("/account").status_code in (302, 401)
    assert phone.get("/account").status_code in (302, 401)  # every session of the account is over


def test_erasing_a_proposer_moves_their_published_events_stamp(app, client, seed, make_user, frozen_clock):
    """A published event proposed by the person loses their name, and its stamp moves: its flyer,
    the feeds and the kept copies of its page are built again without the name."""
    from test_events import make_event

    from portal.events.models import Event
    from portal.events.privacy import erase

    person = make_user("Erasmo Cancellami", email="erasmo@example.org", phone="+393479998877")
    event = make_event(title="Festa di Erasmo Cancellami", description="Chiamate Erasmo Cancellami.")
    Event.update(proposed_by=person.id).where(Event.id == event.id).execute()
    before = Event.get_by_id(event.id).updated_at
    frozen_clock.shift(timedelta(minutes=1))
    erase(person)
    after = Event.get_by_id(event.id)
    assert after.updated_at > before
    assert "Erasmo" not in after.title + after.description
    assert "Erasmo" not in client.get(f"/events/{event.id}").get_data(as_text=True)
