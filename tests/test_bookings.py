"""Co-working desks and rooms, equipment loans: every rule through the test client."""

import re
from datetime import datetime, time, timedelta
from io import BytesIO
from types import SimpleNamespace

import pytest
from conftest import png_bytes
from PIL import Image

from portal.bookings import bulk, services
from portal.bookings.models import (
    Booking,
    CalendarToken,
    Item,
    ItemClaim,
    Kit,
    KitItem,
    Loan,
    LoanItem,
    Policy,
    Resource,
    SlotClaim,
    WeeklyCount,
)
from portal.clock import today_local
from portal.models import OutboxMessage, Site, SiteClosure, User, utcnow


@pytest.fixture
def vis(seed):
    """Via Visconti with two desks, a meeting room, three items in a kit and a spare item."""
    site = Site.get(Site.slug == "visconti")
    desks = [Resource.create(site=site, kind="desk", name=f"Postazione {n}", position=n) for n in (1, 2)]
    room = Resource.create(site=site, kind="room", name="Sala riunioni", position=9)
    cam = Item.create(site=site, name="Videocamera", deposit=100, condition="Buono")
    mic = Item.create(site=site, name="Microfono", deposit=10)
    tripod = Item.create(site=site, name="Treppiede")
    spare = Item.create(site=site, name="Proiettore", deposit=50)
    kit = Kit.create(site=site, name="Kit intervista")
    for item in (cam, mic, tripod):
        KitItem.create(kit=kit, item=item)
    days = bulk.next_open_days(site.id, today_local() + timedelta(days=2), 8)
    return SimpleNamespace(
        site=site,
        desks=desks,
        room=room,
        cam=cam,
        mic=mic,
        tripod=tripod,
        spare=spare,
        kit=kit,
        days=days,
        maria=User.get(User.email == "maria@binari.example"),
        staff=User.get(User.email == "visconti@staff.binari.example"),
    )


def book(client, day, slot="am", kind="desk", resource=None, htmx=False):
    data = {"kind": kind, "day": day.isoformat(), "slot": slot}
    if resource:
        data["resource"] = resource.id
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/coworking/book?site=visconti", data=data, headers=headers)


def ask(client, thing, pickup, return_day, pickup_time="15:00", return_time="16:00", kind="items"):
    return client.post(
        f"/equipment/{kind}/{thing.id}",
        data={
            "pickup_day": pickup.isoformat(),
            "pickup_time": pickup_time,
            "return_day": return_day.isoformat(),
            "return_time": return_time,
            "purpose": "Un video",
        },
    )


def text(response):
    return response.get_data(as_text=True)


# --- co-working -------------------------------------------------------------------------------


def test_coworking_lists_next_free_slots_without_names(client, vis):
    day = vis.days[0]
    bulk.insert_booking(
        User.get(User.email == "wei@binari.example").id, vis.desks[0], day, "am", services.opening_spans(vis.site.id)
    )
    html = text(client.get("/coworking"))
    assert "Postazioni" in html and "Sala riunioni" in html
    assert "1 postazione libera" in html and "2 postazioni libere" in html
    assert "Wei Chen" not in html  # public pages: counts, never names
    assert "accedi" in html  # anonymous: invited to log in, no booking buttons
    assert "/coworking/book" not in html


def test_book_desk_then_cancel_without_javascript(client, auth, vis):
    auth.login()
    response = book(client, vis.days[0], "day")
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Prenotato: Postazione 1" in page
    booking = Booking.get()
    assert booking.status == "booked" and booking.slot == "day"
    assert SlotClaim.select().where(SlotClaim.booking == booking).count() == 2  # both halves
    assert WeeklyCount.get().taken == 1
    mine = text(client.get("/account/bookings"))
    assert "Postazione 1" in mine and f"/account/bookings/{booking.id}/cancel" in mine
    response = client.post(f"/account/bookings/{booking.id}/cancel", follow_redirects=True)
    assert "Prenotazione annullata" in text(response)
    assert Booking.get_by_id(booking.id).status == "cancelled"
    assert SlotClaim.select().count() == 0
    assert WeeklyCount.get().taken == 0


def test_book_with_htmx_returns_the_list_fragment(client, auth, vis):
    auth.login()
    response = book(client, vis.days[0], "am", htmx=True)
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html and "Prenotato: Postazione 1" in html
    assert "Prenotata da te: Postazione 1" in html
    assert "HX-Request" in response.headers["Vary"]
    # A refusal also comes back as a fragment, with its honest status (htmx 2 in base.html swaps 4xx answers).
    response = book(client, vis.days[0], "am", htmx=True)
    assert response.status_code == 422 and "Hai già una prenotazione" in text(response)
    assert "<html" not in text(response)
    assert 'role="alert"' in text(response)


def test_any_desk_picks_the_next_free_one_and_then_refuses(client, auth, vis, make_user):
    spans = services.opening_spans(vis.site.id)
    others = [make_user(f"P{n}", email=f"p{n}@example.org") for n in range(2)]
    bulk.insert_booking(others[0].id, vis.desks[0], vis.days[0], "am", spans)
    auth.login()
    assert book(client, vis.days[0], "am").status_code == 303
    assert Booking.get(Booking.user == vis.maria).resource_id == vis.desks[1].id
    client.post("/logout")
    auth.login("p1@example.org", "password123")
    response = book(client, vis.days[0], "am")
    assert response.status_code == 409
    assert "prenotate tutte" in text(response)
    assert Booking.select().where(Booking.user == others[1]).count() == 0
    # The quota counted in the same transaction was rolled back too.
    assert not WeeklyCount.select().where((WeeklyCount.user == others[1]) & (WeeklyCount.taken > 0)).exists()


def test_whole_day_room_conflicts_with_a_morning(client, auth, vis):
    bulk.insert_booking(vis.staff.id, vis.room, vis.days[0], "am", services.opening_spans(vis.site.id))
    auth.login()
    response = book(client, vis.days[0], "day", kind="room", resource=vis.room)
    assert response.status_code == 409
    assert "Nel frattempo qualcuno" in text(response)
    assert book(client, vis.days[0], "pm", kind="room", resource=vis.room).status_code == 303


def test_one_person_cannot_hold_two_desks_at_once(client, auth, vis):
    auth.login()
    assert book(client, vis.days[0], "am").status_code == 303
    response = book(client, vis.days[0], "day")
    assert response.status_code == 422
    assert "Hai già una prenotazione in quel momento" in text(response)
    assert Booking.select().count() == 1


def test_bad_slots_are_refused_with_a_message(client, auth, vis):
    auth.login()
    yesterday = today_local() - timedelta(days=1)
    assert "già passato" in text(book(client, yesterday))
    # A Saturday or Sunday: Via Visconti is closed.
    weekend = today_local() + timedelta(days=(5 - today_local().weekday()) % 7 or 7)
    response = book(client, weekend)
    assert response.status_code == 422 and "chiuso" in text(response)
    SiteClosure.create(site=vis.site, date=vis.days[1], reason="Assemblea")
    assert "chiuso" in text(book(client, vis.days[1]))
    too_far = today_local() + timedelta(days=60)
    assert "al massimo 14 giorni" in text(book(client, too_far))
    response = client.post("/coworking/book?site=visconti", data={"kind": "desk", "day": "not-a-date", "slot": "am"})
    assert response.status_code == 422
    response = client.post(
        "/coworking/book?site=visconti", data={"kind": "desk", "day": vis.days[0].isoformat(), "slot": "night"}
    )
    assert response.status_code == 422
    assert Booking.select().count() == 0 and WeeklyCount.select().where(WeeklyCount.taken > 0).count() == 0


def test_slots_follow_opening_hours():
    slots = services.day_slots([(time(9), time(13)), (time(14), time(19))])
    assert slots == {"am": (time(9), time(13)), "pm": (time(14), time(19)), "day": (time(9), time(19))}
    assert services.day_slots([(time(15), time(19))]) == {"pm": (time(15), time(19))}
    assert services.day_slots([]) == {}


def test_weekly_quota(client, auth, vis):
    Policy.create(
        site=vis.site,
        kind="desk",
        advance_days=30,
        max_per_week=2,
        cancel_cutoff_hours=2,
        checkin_minutes=30,
        buffer_days=0,
        max_loan_days=1,
    )
    monday = today_local() - timedelta(days=today_local().weekday()) + timedelta(days=7)
    week = [d for d in bulk.next_open_days(vis.site.id, monday, 10) if d < monday + timedelta(days=7)]
    assert len(week) >= 3
    auth.login()
    assert book(client, week[0]).status_code == 303
    assert book(client, week[1]).status_code == 303
    response = book(client, week[2])
    assert response.status_code == 422 and "massimo consentito" in text(response)
    assert Booking.select().count() == 2
    first = Booking.select().order_by(Booking.id).first()
    client.post(f"/account/bookings/{first.id}/cancel")
    assert book(client, week[2]).status_code == 303


def test_cancel_someone_elses_booking_is_404(client, auth, vis, make_user):
    other = make_user("Other", email="other@example.org")
    booking = bulk.insert_booking(other.id, vis.desks[0], vis.days[0], "am", services.opening_spans(vis.site.id))
    auth.login()
    assert client.post(f"/account/bookings/{booking.id}/cancel").status_code == 404
    assert client.post("/account/bookings/999999/cancel").status_code == 404
    assert Booking.get_by_id(booking.id).status == "booked"
    assert "Postazione 1" not in text(client.get("/account/bookings"))


def test_cancel_cutoff(client, auth, vis):
    booking = bulk.insert_booking(vis.maria.id, vis.desks[0], vis.days[0], "am", services.opening_spans(vis.site.id))
    # Starting in one hour: inside the 2-hour cut-off.
    Booking.update(starts_at=utcnow() + timedelta(hours=1)).where(Booking.id == booking.id).execute()
    auth.login()
    response = client.post(f"/account/bookings/{booking.id}/cancel", follow_redirects=True)
    assert "fino a 2 ore prima" in text(response)
    assert Booking.get_by_id(booking.id).status == "booked"


def test_no_show_released_lazily_when_availability_is_read(client, auth, vis):
    booking = bulk.insert_booking(vis.maria.id, vis.desks[0], vis.days[0], "am", services.opening_spans(vis.site.id))
    kept = bulk.insert_booking(vis.staff.id, vis.desks[1], vis.days[0], "am", services.opening_spans(vis.site.id))
    # Pretend the slot began 40 minutes ago (the window is 30) and nobody came; the other person checked in.
    past = utcnow() - timedelta(minutes=40)
    Booking.update(starts_at=past, created_at=past - timedelta(days=1)).where(
        Booking.id.in_([booking.id, kept.id])
    ).execute()
    Booking.update(status="checked_in").where(Booking.id == kept.id).execute()
    assert services.availability(vis.site, "desk")[2][0][1][0][3]  # free on the page before the job runs
    client.get("/coworking")  # a GET writes nothing
    assert Booking.get_by_id(booking.id).status == "booked"
    assert services.release_no_shows_job(utcnow()) == 1
    assert services.release_no_shows_job(utcnow()) == 0  # idempotent
    assert Booking.get_by_id(booking.id).status == "no_show"
    assert Booking.get_by_id(kept.id).status == "checked_in"
    assert SlotClaim.select().where(SlotClaim.booking == booking.id).count() == 0
    assert services.availability(vis.site, "desk")[2][0][1][0][3]  # the morning has a free desk again


def test_walk_in_booking_is_not_released_at_once(vis):
    booking = bulk.insert_booking(vis.maria.id, vis.desks[0], vis.days[0], "am", services.opening_spans(vis.site.id))
    Booking.update(starts_at=utcnow() - timedelta(hours=2), created_at=utcnow() - timedelta(minutes=5)).where(
        Booking.id == booking.id
    ).execute()
    assert services.release_no_shows() == 0
    assert services.release_no_shows(now=utcnow() + timedelta(minutes=31)) == 1


def test_staff_check_in_and_member_code_lookup(client, auth, vis):
    booking = bulk.insert_booking(
        vis.maria.id,
        vis.desks[0],
        today_local(),
        "am",
        {today_local().weekday(): [(time(0), time(12)), (time(13), time(23, 59))]},
    )
    Booking.update(starts_at=utcnow() - timedelta(minutes=10), ends_at=utcnow() + timedelta(hours=2)).where(
        Booking.id == booking.id
    ).execute()
    auth.login("visconti@staff.binari.example")
    page = text(client.get(f"/staff/bookings?code={vis.maria.member_code.lower()}"))
    assert "Maria Rossi" in page
    desk = text(client.get("/staff/bookings"))
    assert f"/staff/bookings/booking/{booking.id}/checkin" in desk
    client.post(f"/staff/bookings/booking/{booking.id}/checkin")
    assert Booking.get_by_id(booking.id).status == "checked_in"
    assert services.release_no_shows(now=utcnow() + timedelta(hours=1)) == 0
    assert client.get("/staff/bookings?code=BNXXXXXX").status_code == 422


def test_staff_act_only_on_their_centres(client, auth, vis):
    booking = bulk.insert_booking(vis.maria.id, vis.desks[0], vis.days[0], "am", services.opening_spans(vis.site.id))
    loan = bulk.insert_loan(
        vis.maria.id, vis.site, [vis.cam], vis.days[2], time(15), vis.days[3], time(16), "requested"
    )
    auth.login("faenza@staff.binari.example")
    assert client.post(f"/staff/bookings/booking/{booking.id}/checkin").status_code == 403
    assert client.get(f"/staff/bookings/loans/{loan.id}").status_code == 403
    assert client.post(f"/staff/bookings/loans/{loan.id}/decide", data={"decision": "approve"}).status_code == 403
    assert client.get(f"/staff/bookings/items/{vis.cam.id}").status_code == 403
    assert client.get("/staff/bookings/policies?site=visconti").status_code == 403
    assert Loan.get_by_id(loan.id).status == "requested"
    client.post("/logout")
    auth.login()
    assert client.get("/staff/bookings").status_code == 403


def test_staff_edit_policies(client, auth, vis):
    auth.login("visconti@staff.binari.example")
    assert "Regole di prenotazione" in text(client.get("/staff/bookings/policies?site=visconti"))
    data = {
        "kind": "desk",
        "desk-advance_days": "7",
        "desk-max_per_week": "3",
        "desk-cancel_cutoff_hours": "4",
        "desk-checkin_minutes": "15",
        "desk-buffer_days": "0",
        "desk-max_loan_days": "1",
    }
    assert client.post("/staff/bookings/policies?site=visconti", data=data).status_code == 303
    policy = Policy.get((Policy.site == vis.site) & (Policy.kind == "desk"))
    assert (policy.advance_days, policy.max_per_week, policy.checkin_minutes) == (7, 3, 15)
    data["desk-max_per_week"] = "0"
    response = client.post("/staff/bookings/policies?site=visconti", data=data)
    assert response.status_code == 422
    assert Policy.get_by_id(policy.id).max_per_week == 3


def test_staff_add_desk(client, auth, vis):
    auth.login("visconti@staff.binari.example")
    response = client.post(
        "/staff/bookings/resources/new",
        data={"site": vis.site.id, "kind": "desk", "name": "Postazione 3", "seats": "1", "active": "y"},
    )
    assert response.status_code == 303
    assert Resource.get(Resource.name == "Postazione 3").site_id == vis.site.id
    faenza = Site.get(Site.slug == "faenza")
    response = client.post(
        "/staff/bookings/resources/new", data={"site": faenza.id, "kind": "desk", "name": "Abusiva", "seats": "1"}
    )
    assert response.status_code == 422  # not one of my centres: not a valid choice
    assert not Resource.select().where(Resource.name == "Abusiva").exists()


# --- equipment --------------------------------------------------------------------------------


def test_catalogue_and_calendar(client, vis):
    html = text(client.get("/equipment"))
    assert "Kit intervista" in html and "Videocamera" in html and "Libero oggi" in html
    page = text(client.get(f"/equipment/kits/{vis.kit.id}"))
    assert "Treppiede" in page and 'class="cal"' in page
    assert client.get("/equipment/items/99999").status_code == 404


def test_request_loan_holds_items_with_buffer(client, auth, vis):
    auth.login()
    response = ask(client, vis.kit, vis.days[0], vis.days[1], kind="kits")
    assert response.status_code == 303
    loan = Loan.get()
    assert loan.status == "requested" and loan.kit_id == vis.kit.id
    assert LoanItem.select().where(LoanItem.loan == loan).count() == 3
    days = (vis.days[1] - vis.days[0]).days + 1 + 1  # plus one buffer day
    assert ItemClaim.select().where(ItemClaim.item == vis.cam).count() == days
    cal = text(client.get(f"/equipment/items/{vis.cam.id}"))
    assert 'class="busy"' in cal
    mine = text(client.get("/account/bookings"))
    assert "In attesa di risposta" in mine


def test_kit_and_single_item_sharing_a_camera_never_overlap(client, auth, vis, make_user):
    auth.login()
    assert ask(client, vis.cam, vis.days[0], vis.days[0]).status_code == 303
    client.post("/logout")
    other = make_user("Other", email="other@example.org")
    auth.login("other@example.org", "password123")
    response = ask(client, vis.kit, vis.days[0], vis.days[1], kind="kits")
    assert response.status_code == 409
    assert "già prenotato" in text(response)
    # All-or-nothing: nothing of the kit request was kept.
    assert Loan.select().where(Loan.user == other).count() == 0
    assert ItemClaim.select().where(ItemClaim.item == vis.mic).count() == 0
    assert not WeeklyCount.select().where((WeeklyCount.user == other) & (WeeklyCount.taken > 0)).exists()
    # The buffer day after the camera's loan is taken too.
    after = vis.days[0] + timedelta(days=1)
    if after in vis.days:
        assert ask(client, vis.cam, after, after).status_code == 409
    assert ask(client, vis.mic, vis.days[0], vis.days[0]).status_code == 303


def test_bad_loan_requests(client, auth, vis):
    auth.login()
    assert "dopo il ritiro" in text(ask(client, vis.cam, vis.days[1], vis.days[0]))
    assert "dopo il ritiro" in text(ask(client, vis.cam, vis.days[0], vis.days[0], "16:00", "15:00"))
    response = ask(client, vis.cam, vis.days[0], vis.days[0], "13:30", "16:00")
    assert response.status_code == 422 and "orario di apertura" in text(response)
    assert "orario di apertura" in text(ask(client, vis.cam, vis.days[0], vis.days[0], "15:00", "21:00"))
    past = today_local() - timedelta(days=3)
    assert "nel passato" in text(ask(client, vis.cam, past, past))
    assert "al massimo 7 giorni" in text(ask(client, vis.cam, vis.days[0], vis.days[0] + timedelta(days=9)))
    response = client.post(f"/equipment/items/{vis.cam.id}", data={"pickup_day": "", "pickup_time": "15:00"})
    assert response.status_code == 422 and "Scegli il giorno del ritiro" in text(response)
    Item.update(status="maintenance").where(Item.id == vis.cam.id).execute()
    response = ask(client, vis.kit, vis.days[0], vis.days[0], kind="kits")
    assert response.status_code == 422 and "manutenzione" in text(response)
    assert Loan.select().count() == 0 and ItemClaim.select().count() == 0
    assert WeeklyCount.select().where(WeeklyCount.taken > 0).count() == 0


def test_loan_lifecycle_approve_checkout_checkin_with_damage(client, auth, vis):
    loan = bulk.insert_loan(
        vis.maria.id, vis.site, [vis.cam, vis.mic], today_local(), time(0, 1), vis.days[0], time(16), "requested"
    )
    auth.login("visconti@staff.binari.example")
    assert "Maria Rossi" in text(client.get("/staff/bookings/requests?site=visconti"))
    client.post(f"/staff/bookings/loans/{loan.id}/decide", data={"decision": "approve", "message": "Porta la tessera"})
    assert Loan.get_by_id(loan.id).status == "approved"
    assert OutboxMessage.select().where(OutboxMessage.to_address == "maria@binari.example").count() == 1
    # Check-out: every item must be ticked.
    response = client.post(f"/staff/bookings/loans/{loan.id}/checkout", data={"items": [vis.cam.id], "deposit": "110"})
    assert response.status_code == 422 and "Microfono" in text(response)
    assert Loan.get_by_id(loan.id).status == "approved"
    client.post(f"/staff/bookings/loans/{loan.id}/checkout", data={"items": [vis.cam.id, vis.mic.id], "deposit": "110"})
    loan = Loan.get_by_id(loan.id)
    assert loan.status == "out" and loan.deposit_taken == 110
    receipt = client.get(f"/staff/bookings/loans/{loan.id}/receipt.pdf")
    assert receipt.mimetype == "application/pdf" and receipt.data.startswith(b"%PDF")
    # Check-in: the camera comes back damaged, the mic stays out.
    response = client.post(
        f"/staff/bookings/loans/{loan.id}/checkin",
        data={
            "items": [vis.cam.id],
            "damaged": [vis.cam.id],
            f"note-{vis.cam.id}": "Display rotto",
            "deposit_returned": "60",
        },
    )
    assert response.status_code == 303
    loan = Loan.get_by_id(loan.id)
    assert loan.status == "out" and loan.deposit_returned == 60
    cam = Item.get_by_id(vis.cam.id)
    assert cam.status == "maintenance" and cam.condition == "Display rotto"
    client.post(f"/staff/bookings/loans/{loan.id}/checkin", data={"items": [vis.mic.id], "deposit_returned": "60"})
    assert Loan.get_by_id(loan.id).status == "returned"
    # Damaged: cannot be booked until fixed.
    client.post("/logout")
    auth.login()
    response = ask(client, vis.cam, vis.days[3], vis.days[3])
    assert response.status_code == 422 and "manutenzione" in text(response)
    Item.update(status="available").where(Item.id == vis.cam.id).execute()
    assert ask(client, vis.cam, vis.days[3], vis.days[3]).status_code == 303


def test_decline_frees_the_days_and_phone_list(client, auth, vis):
    ahmed = User.get(User.phone == "+393331234567")
    loan = bulk.insert_loan(ahmed.id, vis.site, [vis.cam], vis.days[0], time(15), vis.days[0], time(16), "requested")
    auth.login("visconti@staff.binari.example")
    response = client.post(
        f"/staff/bookings/loans/{loan.id}/decide",
        data={"decision": "decline", "message": "Già prestata"},
        follow_redirects=True,
    )
    assert "telefonale" in text(response)  # no e-mail: staff are told to phone
    assert Loan.get_by_id(loan.id).status == "declined"
    assert ItemClaim.select().count() == 0


def test_overdue_loan_is_never_free(client, auth, vis):
    start = today_local() - timedelta(days=5)
    loan = bulk.insert_loan(
        vis.staff.id, vis.site, [vis.spare], start, time(15), start + timedelta(days=1), time(16), "out"
    )
    assert Loan.get_by_id(loan.id).is_overdue
    auth.login()
    page = text(client.get(f"/equipment/items/{vis.spare.id}"))
    assert "Non ancora restituito" in page
    assert 'class="free' not in page  # the calendar never shows it free while it is out
    # The page wrote nothing; the job claims the days up to today + buffer, once.
    assert not ItemClaim.select().where((ItemClaim.item == vis.spare) & (ItemClaim.day == today_local())).exists()
    assert services.extend_overdue_job(utcnow()) == 1
    assert services.extend_overdue_job(utcnow()) == 0
    assert ItemClaim.select().where((ItemClaim.item == vis.spare) & (ItemClaim.day == today_local())).exists()
    far = vis.days[-1]
    response = ask(client, vis.spare, far, far)
    assert response.status_code == 422 and "non è ancora stato restituito" in text(response)
    client.post("/logout")
    auth.login("visconti@staff.binari.example")
    overdue = text(client.get("/staff/bookings/overdue"))
    assert "Proiettore" in overdue and "Luca Rinaldi" in overdue
    client.post(f"/staff/bookings/loans/{loan.id}/remind")
    assert OutboxMessage.select().where(OutboxMessage.to_address == "visconti@staff.binari.example").count() == 1


def test_cancel_loan_and_others_loans(client, auth, vis, make_user):
    auth.login()
    ask(client, vis.cam, vis.days[0], vis.days[0])
    loan = Loan.get()
    other = make_user("Other", email="other@example.org")
    others = bulk.insert_loan(other.id, vis.site, [vis.mic], vis.days[1], time(15), vis.days[1], time(16), "requested")
    assert client.post(f"/account/bookings/loans/{others.id}/cancel").status_code == 404
    client.post(f"/account/bookings/loans/{loan.id}/cancel")
    assert Loan.get_by_id(loan.id).status == "cancelled"
    assert ItemClaim.select().where(ItemClaim.loan == loan.id).count() == 0


def test_daily_sheet_pdf(client, auth, vis):
    bulk.insert_loan(vis.maria.id, vis.site, [vis.cam], today_local(), time(15), vis.days[0], time(16), "approved")
    auth.login("visconti@staff.binari.example")
    response = client.get("/staff/bookings/daily.pdf?site=visconti")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get("/staff/bookings/daily.pdf?site=visconti&day=nope").status_code == 400


def test_item_photo_is_reencoded_small(client, auth, vis, app):
    auth.login("visconti@staff.binari.example")
    data = {
        "site": vis.site.id,
        "name": "Videocamera",
        "status": "available",
        "deposit": "100",
        "photo": (BytesIO(png_bytes((1600, 1200))), "camera.png"),
    }
    response = client.post(f"/staff/bookings/items/{vis.cam.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    name = Item.get_by_id(vis.cam.id).photo
    assert name.endswith(".jpg")
    served = client.get(f"/equipment/photos/{name}")
    assert served.mimetype == "image/jpeg" and len(served.data) <= 60 * 1024
    assert max(Image.open(BytesIO(served.data)).size) <= 640
    data["photo"] = (BytesIO(b"not an image at all"), "evil.jpg")
    response = client.post(f"/staff/bookings/items/{vis.cam.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "non è un&#39;immagine valida" in text(response)
    data["photo"] = (BytesIO(b"<?php"), "evil.php")
    assert (
        client.post(f"/staff/bookings/items/{vis.cam.id}", data=data, content_type="multipart/form-data").status_code
        == 422
    )
    assert Item.get_by_id(vis.cam.id).photo == name
    assert client.get("/equipment/photos/..%2Fsecret.jpg").status_code == 404


def test_ics_feed_of_my_bookings(client, auth, vis):
    bulk.insert_booking(vis.maria.id, vis.desks[0], vis.days[0], "am", services.opening_spans(vis.site.id))
    auth.login()
    client.post("/account/bookings/calendar")
    page = text(client.get("/account/bookings"))
    token = re.search(r"/calendar/([\w-]+)\.ics", page).group(1)
    client.post("/logout")
    feed = client.get(f"/calendar/{token}.ics")  # no login: the token is the key
    assert feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert body.count("BEGIN:VEVENT") == 1 and "Postazione 1" in body
    assert client.get("/calendar/wrong.ics").status_code == 404


def test_ics_feed_is_rome_time_with_stable_uid_and_last_change(client, auth, vis, app):
    """Through portal.ics: a VTIMEZONE, UIDs from BASE_URL's host, DTSTAMP = the booking's last change."""
    app.config["BASE_URL"] = "https://binari.example.org"
    booking = bulk.insert_booking(
        vis.maria.id,
        vis.desks[0],
        vis.days[0],
        "am",
        services.opening_spans(vis.site.id),
        created_at=datetime(2026, 11, 2, 8, 30),
    )
    token = CalendarToken.for_user(vis.maria.id).token
    first = text(client.get(f"/calendar/{token}.ics", headers={"Host": "evil.example"}))
    assert "BEGIN:VTIMEZONE" in first and "TZID:Europe/Rome" in first
    assert f"UID:booking-{booking.id}@binari.example.org" in first
    assert "DTSTAMP:20261102T083000Z" in first
    assert "DTSTART;TZID=Europe/Rome:" in first
    assert text(client.get(f"/calendar/{token}.ics")) == first  # fetched twice: the same bytes


def test_pages_in_english(client, auth, vis):
    # (The first request decides: Flask-Babel caches the locale in the test's app context.)
    html = text(client.get("/coworking", headers={"Accept-Language": "en"}))
    assert "Desks" in html and "Postazioni" not in html


def test_home_and_account_link(client, auth, vis):
    html = text(client.get("/"))
    assert "/coworking" in html and "/equipment" in html
    auth.login()
    assert "/account/bookings" in text(client.get("/account"))


def test_staff_book_for_a_member_who_phoned(client, auth, vis):
    ahmed = User.get(User.phone == "+393331234567")
    auth.login("visconti@staff.binari.example")
    page = text(client.get(f"/staff/bookings?site=visconti&code={ahmed.member_code}"))
    assert "Prenota per questa persona" in page
    response = client.post(
        f"/staff/bookings/members/{ahmed.id}/book?site=visconti",
        data={"kind": "desk", "day": vis.days[0].isoformat(), "slot": "pm"},
        follow_redirects=True,
    )
    assert "Prenotato per Ahmed Haddad" in text(response)
    assert Booking.get().user_id == ahmed.id
    yesterday = today_local() - timedelta(days=1)
    response = client.post(
        f"/staff/bookings/members/{ahmed.id}/book?site=visconti",
        data={"kind": "desk", "day": yesterday.isoformat(), "slot": "pm"},
        follow_redirects=True,
    )
    assert "già passato" in text(response) and Booking.select().count() == 1
    client.post("/logout")
    auth.login("faenza@staff.binari.example")
    assert (
        client.post(
            f"/staff/bookings/members/{ahmed.id}/book?site=visconti",
            data={"kind": "desk", "day": vis.days[1].isoformat(), "slot": "pm"},
        ).status_code
        == 403
    )


def test_staff_cancel_an_approved_loan(client, auth, vis):
    loan = bulk.insert_loan(vis.maria.id, vis.site, [vis.cam], vis.days[0], time(15), vis.days[0], time(16), "approved")
    auth.login("visconti@staff.binari.example")
    assert client.post(f"/staff/bookings/loans/{loan.id}/cancel").status_code == 303
    assert Loan.get_by_id(loan.id).status == "cancelled"
    assert ItemClaim.select().count() == 0


def test_demo_data_loads(app, client):
    from portal import demo

    summary = demo.load()
    assert summary["AV items"] == 15 and summary["AV kits"] == 3 and summary["co-working resources"] == 9
    site = Site.get(Site.slug == "visconti")
    assert Resource.select().where((Resource.site == site) & (Resource.kind == "desk")).count() == 8
    assert Booking.select().count() > 20 and Loan.select().count() == 5
    assert client.get("/coworking").status_code == 200
    listing = client.get("/equipment?site=visconti")
    assert listing.status_code == 200
    # No photos in the demo: each thing gets a clean line icon of its kind, never initials in a coloured square.
    assert not Item.select().where(Item.photo != "").exists()
    html = listing.get_data(as_text=True)
    assert html.count('<span class="thumb"><svg class="i"') == 15 + 3 and 'aria-hidden="true"' in html


def test_approved_loan_cancel_cutoff(client, auth, vis):
    soon = bulk.insert_loan(
        vis.maria.id, vis.site, [vis.cam], today_local(), time(23, 59), vis.days[0], time(16), "approved"
    )
    Loan.update(pickup_at=utcnow() + timedelta(hours=3)).where(Loan.id == soon.id).execute()
    auth.login()
    response = client.post(f"/account/bookings/loans/{soon.id}/cancel", follow_redirects=True)
    assert "24 ore prima del ritiro" in text(response)
    assert Loan.get_by_id(soon.id).status == "approved"


def test_staff_kit_with_photo(client, auth, vis):
    auth.login("visconti@staff.binari.example")
    response = client.post(
        "/staff/bookings/kits/new",
        data={
            "site": vis.site.id,
            "name": "Kit luci",
            "items": [vis.tripod.id, vis.spare.id],
            "active": "y",
            "photo": (BytesIO(png_bytes((800, 600))), "kit.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    kit = Kit.get(Kit.name == "Kit luci")
    assert kit.photo.endswith(".jpg")
    assert {link.item_id for link in kit.kit_items} == {vis.tripod.id, vis.spare.id}
    assert "Kit luci" in text(client.get("/equipment"))
    response = client.post(
        "/staff/bookings/kits/new", data={"site": vis.site.id, "name": "Vuoto"}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and not Kit.select().where(Kit.name == "Vuoto").exists()


def test_next_loan_cannot_be_handed_over_while_the_item_is_still_out(client, auth, vis):
    start = today_local() - timedelta(days=4)
    late = bulk.insert_loan(
        vis.staff.id, vis.site, [vis.spare], start, time(15), start + timedelta(days=1), time(16), "out", buffer_days=0
    )
    nxt = bulk.insert_loan(
        vis.maria.id, vis.site, [vis.spare], today_local(), time(0, 1), vis.days[0], time(16), "approved", buffer_days=0
    )
    auth.login("visconti@staff.binari.example")
    assert f"/staff/bookings/loans/{nxt.id}" in text(client.get("/staff/bookings/overdue"))  # at risk
    response = client.post(f"/staff/bookings/loans/{nxt.id}/checkout", data={"items": [vis.spare.id], "deposit": "0"})
    assert response.status_code == 422 and "non l&#39;ha ancora restituito" in text(response)
    assert Loan.get_by_id(nxt.id).status == "approved"
    client.post(f"/staff/bookings/loans/{late.id}/checkin", data={"items": [vis.spare.id], "deposit_returned": "0"})
    client.post(f"/staff/bookings/loans/{nxt.id}/checkout", data={"items": [vis.spare.id], "deposit": "0"})
    assert Loan.get_by_id(nxt.id).status == "out"


def test_catalogue_uses_small_thumbnails(client, app):
    """The list shows 96 px pictures: it downloads a thumbnail of a few KB, not the photo."""
    from io import BytesIO

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from portal.bookings.photos import save_photo, thumb_name

    buffer = BytesIO()
    Image.effect_noise((1600, 1200), 80).convert("RGB").save(buffer, "PNG")
    buffer.seek(0)
    name = save_photo(FileStorage(buffer, "noise.png"))
    thumb = client.get(f"/equipment/photos/{thumb_name(name)}")
    full = client.get(f"/equipment/photos/{name}")
    assert thumb.status_code == 200 and len(thumb.data) <= 12 * 1024
    assert max(Image.open(BytesIO(thumb.data)).size) <= 192
    assert len(full.data) <= 60 * 1024 and "max-age=31536000" in full.headers["Cache-Control"]


def test_old_loan_cancel_address_redirects_with_308(client, auth, vis):
    """The old address sat among the library's /account/loans: a form posted there still works."""
    auth.login()
    ask(client, vis.cam, vis.days[0], vis.days[0])
    loan = Loan.get()
    response = client.post(f"/account/loans/{loan.id}/cancel")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/account/bookings/loans/{loan.id}/cancel")
    response = client.post(f"/account/loans/{loan.id}/cancel", follow_redirects=True)
    assert response.status_code == 200
    assert Loan.get_by_id(loan.id).status == "cancelled"


# --- people to phone ----------------------------------------------------------------------------


def phone_calls(app, site_ids):
    """The registry's phone list, inside a request as the core calls it (links are relative URLs)."""
    from portal import areas

    with app.test_request_context():
        return areas.people_to_phone(site_ids)


def test_phone_list_of_decisions_and_reminders_for_people_without_email(client, auth, vis, app):

    ahmed = User.get(User.phone == "+393331234567")
    loan = bulk.insert_loan(ahmed.id, vis.site, [vis.cam], vis.days[0], time(15), vis.days[0], time(16), "requested")
    auth.login("visconti@staff.binari.example")
    client.post(f"/staff/bookings/loans/{loan.id}/decide", data={"decision": "approve"})
    page = text(client.get("/staff/bookings/phone", follow_redirects=True))
    assert ahmed.name in page and "Prestito approvato" in page
    assert f'value="loan:{loan.id}"' in page  # the core list's "Fatto: ho telefonato"
    calls = phone_calls(app, [vis.site.id])
    assert [(c.area, c.name, c.phone, c.done_at) for c in calls] == [("bookings", ahmed.name, ahmed.phone, None)]
    assert calls[0].link == f"/staff/bookings/loans/{loan.id}"
    assert client.post(f"/staff/bookings/loans/{loan.id}/phoned").status_code == 303
    done = Loan.get_by_id(loan.id)
    assert done.phoned_at is not None and done.phoned_by_id == vis.staff.id
    call = phone_calls(app, [vis.site.id])[0]
    assert call.done_at is not None and call.done_by == vis.staff.name
    assert "Fatto: ho telefonato" not in text(client.get("/staff/bookings/phone", follow_redirects=True))
    # An overdue reminder puts the loan back on the list.
    start = today_local() - timedelta(days=5)
    late = bulk.insert_loan(
        ahmed.id, vis.site, [vis.spare], start, time(15), start + timedelta(days=1), time(16), "out"
    )
    response = client.post(f"/staff/bookings/loans/{late.id}/remind", follow_redirects=True)
    assert "telefonale" in text(response)
    assert Loan.get_by_id(late.id).phone_notice == "overdue"
    assert "Prestito in ritardo" in text(client.get("/staff/bookings/phone", follow_redirects=True))
    # Other centres' staff do not see it.
    assert phone_calls(app, [Site.get(Site.slug != "visconti").id]) == []


def test_loan_mail_goes_out_in_the_borrowers_language(client, auth, vis):
    User.update(language="en").where(User.id == vis.maria.id).execute()
    loan = bulk.insert_loan(
        vis.maria.id, vis.site, [vis.cam], vis.days[0], time(15), vis.days[0], time(16), "requested"
    )
    auth.login("visconti@staff.binari.example")
    client.post(f"/staff/bookings/loans/{loan.id}/decide", data={"decision": "approve"})
    mail = OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example")
    assert "Binari:" in mail.subject and "prestito approvato" not in mail.subject  # English, not the staff's Italian


# --- privacy ---------------------------------------------------------------------------------------


def test_account_deletion_frees_the_future_and_leaves_no_trace(client, auth, vis, make_user):
    import json

    from peewee import CharField, TextField

    from portal.schema import all_models

    name, email, phone = "Zelda Privata", "zelda.privata@example.org", "+393489990011"
    person = make_user(name, email=email, phone=phone)
    spans = services.opening_spans(vis.site.id)
    past = bulk.next_open_days(vis.site.id, today_local() - timedelta(days=1), 2, step=-1)
    bulk.insert_booking(person.id, vis.desks[1], past[0], "am", spans, status="checked_in")
    returned = bulk.insert_loan(
        person.id, vis.site, [vis.spare], past[1], time(15), past[0], time(16), "returned", purpose=f"Video di {name}"
    )
    Loan.update(staff_message=f"Ciao {name}, chiama il {phone}").where(Loan.id == returned.id).execute()
    auth.login(email, "password123")
    assert book(client, vis.days[0], "am", resource=vis.desks[0]).status_code == 303
    assert ask(client, vis.kit, vis.days[1], vis.days[1], kind="kits").status_code == 303
    client.post("/account/bookings/calendar")
    token = CalendarToken.get(CalendarToken.user == person.id).token
    assert WeeklyCount.select().where(WeeklyCount.user == person.id).count() >= 1

    exported = json.loads(text(client.get("/account/export.json")))["bookings"]
    assert set(exported) == {"bookings", "weekly_slots", "loans", "weekly_counts", "calendar"}
    assert len(exported["bookings"]) == 2 and len(exported["loans"]) == 2
    assert exported["calendar"] == [{"calendar_feed": True}] and exported["weekly_counts"]
    assert any(row["purpose"] == f"Video di {name}" for row in exported["loans"])
    readable = text(client.get("/account/data"))
    assert "Prenotazioni di postazioni e sale" in readable and "Prestiti di attrezzatura" in readable

    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)

    # Future commitments freed: the desk slot and the kit's days are free again.
    assert not SlotClaim.select().where(SlotClaim.user == person.id).exists()
    assert ItemClaim.select().where(ItemClaim.item.in_([vis.cam.id, vis.mic.id, vis.tripod.id])).count() == 0
    assert Loan.select().where(Loan.status == "requested").count() == 0
    auth.login()
    assert book(client, vis.days[0], "am", resource=vis.desks[0]).status_code == 303  # Maria takes the freed desk
    assert ask(client, vis.kit, vis.days[1], vis.days[1], kind="kits").status_code == 303
    # The past stays, anonymous, for the figures.
    assert Booking.select().where(Booking.user.is_null() & (Booking.status == "checked_in")).count() == 1
    kept = Loan.get_by_id(returned.id)
    assert kept.user_id is None and kept.status == "returned" and kept.purpose == "" and kept.staff_message == ""
    assert not WeeklyCount.select().where(WeeklyCount.user == person.id).exists()
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    # No text column of any table holds the name, the e-mail or the phone.
    for model in all_models():
        columns = [f for f in model._meta.sorted_fields if isinstance(f, (CharField, TextField))]
        for field in columns:
            for needle in (name, email, phone, phone[3:]):
                hits = model.select().where(field.contains(needle)).count()
                assert hits == 0, f"{model._meta.table_name}.{field.column_name} still holds {needle!r}"


def test_account_deletion_refused_while_equipment_is_out(client, auth, vis, make_user):
    person = make_user("Oscar Fuori", email="oscar@example.org")
    start = today_local() - timedelta(days=1)
    loan = bulk.insert_loan(person.id, vis.site, [vis.spare], start, time(15), vis.days[0], time(16), "out")
    booking = bulk.insert_booking(person.id, vis.desks[0], vis.days[0], "am", services.opening_spans(vis.site.id))
    auth.login("oscar@example.org", "password123")
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code == 422 and "riportala allo sportello" in text(response)
    # Nothing was erased.
    assert User.get_by_id(person.id).email == "oscar@example.org"
    assert Loan.get_by_id(loan.id).user_id == person.id
    assert Booking.get_by_id(booking.id).status == "booked"
