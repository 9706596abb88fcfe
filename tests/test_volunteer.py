"""Volunteer shifts through the test client: sign-up (account, guest, +N), waitlist and
promotion, cut-off, overlap, profile, ICS, certificate, and the coordinators' pages."""

import re
from datetime import date, time, timedelta

import pytest


@pytest.fixture
def vol(seed):
    """An opportunity at Faenza with a shift in three days (4 places) and helpers."""
    from portal.models import Site, User
    from portal.volunteer.models import Opportunity, Shift

    faenza = Site.get(Site.slug == "faenza")
    opp = Opportunity.create(
        site=faenza,
        title="Distribuzione di prova",
        activity="food",
        description="Borse della spesa",
        requirements="Scarpe chiuse",
        max_party=3,
        cancel_cutoff_hours=12,
        coordinator=User.get(User.email == "faenza@staff.binari.example"),
        skills=",haccp,",
        languages=",ar,",
    )

    def make_shift(hours_ahead=None, capacity=4, length=3, opportunity=opp, starts_at=None):
        """A shift `hours_ahead` from now; by default three days ahead at 10:00 in Milan, so it never
        runs past midnight (the edit form has one day, a start and an end) whatever the clock says."""
        from datetime import time

        from portal.clock import to_utc, today_local
        from portal.models import utcnow

        if starts_at is not None:
            start = starts_at
        elif hours_ahead is None:
            start = to_utc(today_local() + timedelta(days=3), time(10))
        else:
            start = utcnow().replace(second=0, microsecond=0) + timedelta(hours=hours_ahead)
        return Shift.create(
            opportunity=opportunity, starts_at=start, ends_at=start + timedelta(hours=length), capacity=capacity
        )

    class Vol:
        pass

    v = Vol()
    v.site, v.opp, v.make_shift = faenza, opp, make_shift
    v.shift = make_shift()
    return v


def fresh(shift):
    from portal.volunteer.models import Shift

    return Shift.get_by_id(shift.id)


def signups(shift, status=None):
    from portal.volunteer.models import Signup

    q = Signup.select().where(Signup.shift == shift.id)
    if status:
        q = q.where(Signup.status == status)
    return list(q.order_by(Signup.id))


def outbox():
    from portal.models import OutboxMessage

    return list(OutboxMessage.select().order_by(OutboxMessage.id))


def guest(client, shift, name="Lucia Ferrario", phone="333 765 4321", email="", party=1, **extra):
    data = {"name": name, "phone": phone, "email": email, "party": str(party)}
    data.update(extra)
    return client.post(f"/volunteer/shifts/{shift.id}", data=data)


# --- public pages -----------------------------------------------------------------------------------
def test_index_by_centre_and_activity_shows_places_not_names(client, vol):
    guest(client, vol.shift, name="Nome Segretissimo")
    html = client.get("/volunteer").get_data(as_text=True)
    assert "Distribuzione di prova" in html and "3 posti liberi" in html
    assert "Nome Segretissimo" not in html
    html = client.get("/volunteer?site=visconti").get_data(as_text=True)
    assert "Distribuzione di prova" not in html
    html = client.get("/volunteer?site=faenza&activity=food").get_data(as_text=True)
    assert "Distribuzione di prova" in html
    # htmx filter gets only the results block
    part = client.get("/volunteer?site=faenza", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and "Distribuzione di prova" in part
    page = client.get(f"/volunteer/shifts/{vol.shift.id}").get_data(as_text=True)
    assert "Nome Segretissimo" not in page and "3 posti liberi" in page
    assert "Formazione HACCP" in page and "arabo" in page
    opp_page = client.get(f"/volunteer/opportunities/{vol.opp.id}").get_data(as_text=True)
    assert "Marco Ferri" in opp_page and "Nome Segretissimo" not in opp_page


def test_home_links_to_volunteer(client, vol):
    html = client.get("/").get_data(as_text=True)
    assert "/volunteer" in html
    assert client.get("/volunteer?site=faenza").status_code == 200


# --- guests -----------------------------------------------------------------------------------------
def test_guest_with_phone_signs_up_and_cancels_by_signed_link(client, vol):
    from portal.volunteer import services
    from portal.volunteer.models import Notice

    response = guest(client, vol.shift, party=2, companions="mia figlia Sara")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/volunteer/shifts/{vol.shift.id}/check?via=phone")
    assert "Ti chiamiamo per confermare" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert fresh(vol.shift).taken == 2
    s = signups(vol.shift)[0]
    assert s.phone == "+393337654321" and not s.confirmed and s.party == 2
    # nobody is dropped silently: the coordinator has the call to make
    assert Notice.get(Notice.signup == s.id).phone == "+393337654321"
    manage = "/volunteer/s/" + services.signup_token(s)  # the link the coordinator can give on the phone
    page = client.get(manage).get_data(as_text=True)
    assert "il coordinamento ti chiamerà" in page
    # a tampered link is refused
    assert client.get(manage[:-3] + "xyz").status_code == 404
    ics = client.get(manage + "/turno.ics")
    assert ics.mimetype == "text/calendar" and b"Distribuzione di prova" in ics.data
    response = client.post(manage + "/cancel")
    assert response.status_code == 303
    assert fresh(vol.shift).taken == 0
    assert signups(vol.shift)[0].status == "cancelled"
    # the same person may sign up again once cancelled
    assert guest(client, vol.shift).status_code == 303


def test_guest_with_email_confirms_by_mailed_link_only(client, vol):
    response = guest(client, vol.shift, phone="", email="Hassan.Amrani@Example.org")
    assert response.headers["Location"].endswith("check?via=mail")
    mails = outbox()
    assert len(mails) == 1 and mails[0].to_address == "hassan.amrani@example.org"
    confirm = re.search(r"http://[^\s]+/volunteer/c/[^\s]+", mails[0].body).group(0)
    manage = re.search(r"http://[^\s]+/volunteer/s/[^\s]+", mails[0].body).group(0).replace("http://localhost", "")
    assert "Hassan" not in mails[0].body  # nothing the requester typed goes to an address nobody proved
    s = signups(vol.shift)[0]
    assert not s.confirmed
    # the manage token cannot be used to confirm (that proves the address)
    token = manage.rsplit("/", 1)[1]
    assert client.post(f"/volunteer/c/{token}").status_code == 404
    assert not signups(vol.shift)[0].confirmed
    # opening the link (a GET, as mail scanners do) only shows the button; the POST confirms
    page = client.get(confirm.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200 and "Confermo" in page.get_data(as_text=True)
    assert not signups(vol.shift)[0].confirmed
    assert client.post(confirm.replace("http://127.0.0.1:8000", "")).status_code == 303
    assert signups(vol.shift)[0].confirmed
    # once confirmed, this phone shows the sign-up on the shift page (session); a stranger does not see it
    assert "Da questo telefono sei iscritta/o" in client.get(f"/volunteer/shifts/{vol.shift.id}").get_data(as_text=True)
    stranger = client.application.test_client()
    assert "Da questo telefono" not in stranger.get(f"/volunteer/shifts/{vol.shift.id}").get_data(as_text=True)


def test_guest_form_errors_keep_input(client, vol):
    response = guest(client, vol.shift, name="", phone="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Scrivi il tuo nome." in html and "oppure un indirizzo e-mail" in html
    response = guest(client, vol.shift, name="Jenny Ramos", phone="12")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "non sembra valido" in html and 'value="Jenny Ramos"' in html
    response = guest(client, vol.shift, party=9)
    assert response.status_code == 422
    assert signups(vol.shift) == [] and fresh(vol.shift).taken == 0


def test_one_person_cannot_hold_a_shift_twice(client, auth, vol, make_user):
    first = guest(client, vol.shift, phone="3337654321")
    assert first.status_code == 303
    # the same answer for a duplicate: a stranger cannot learn who is on a shift
    response = guest(client, vol.shift, name="Altro nome", phone="+39 333 765 4321")
    assert response.status_code == 303 and response.headers["Location"] == first.headers["Location"]
    assert len(signups(vol.shift)) == 1 and fresh(vol.shift).taken == 1
    # an account whose phone is on the shift as an unconfirmed guest wins: the guest place gives way
    make_user("Ahmed", phone="+393337654321", password="password123")
    auth.login("+393337654321", "password123")
    response = client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "1"})
    assert response.status_code == 303
    assert [s.status for s in signups(vol.shift)] == ["cancelled", "active"]
    assert signups(vol.shift)[1].user_id is not None and fresh(vol.shift).taken == 1
    # and the account itself cannot hold it twice
    assert client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "1"}).status_code == 409


def test_account_signs_up_with_companions_and_sees_my_shifts(client, auth, vol):
    auth.login()
    response = client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "3", "companions": "Luca, Anna"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/volunteer/mine")
    assert fresh(vol.shift).taken == 3
    html = client.get("/volunteer/mine").get_data(as_text=True)
    assert "Distribuzione di prova" in html and "3 persone" in html
    html = client.get(f"/volunteer/shifts/{vol.shift.id}").get_data(as_text=True)
    assert "Sei iscritta/o a questo turno" in html
    # twice is refused
    assert client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "1"}).status_code == 409
    # account page links to my shifts
    assert "/volunteer/mine" in client.get("/account").get_data(as_text=True)


def test_party_larger_than_places_left_then_waitlist(client, auth, vol):
    guest(client, vol.shift, party=3)  # 1 place left
    auth.login()
    response = client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "2"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Resta solo 1 posto" in html and "lista d&#39;attesa" in html
    assert fresh(vol.shift).taken == 3 and len(signups(vol.shift)) == 1
    # the page now offers the waitlist explicitly
    assert 'name="waitlist"' in html and 'value="1"' in html
    response = client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "2", "waitlist": "1"})
    assert response.status_code == 303
    waiting = signups(vol.shift, "waitlist")
    assert len(waiting) == 1 and fresh(vol.shift).taken == 3
    # a party larger than the whole shift could never be promoted: refused outright
    small = vol.make_shift(capacity=2)
    response = client.post(f"/volunteer/shifts/{small.id}", data={"party": "3", "waitlist": "1"})
    assert response.status_code == 422 and "2 posti in tutto" in response.get_data(as_text=True)
    assert signups(small) == []


def test_cancellation_promotes_first_in_line_and_tells_them(app, client, auth, vol):
    from portal.volunteer.models import Notice

    shift = vol.make_shift(capacity=2)
    guest(client, shift, name="Prima", phone="3331111111", party=2)
    # full: two people queue, one with e-mail and one without
    assert guest(client, shift, name="Senza Mail", phone="3332222222", waitlist="1").status_code == 303
    assert guest(client, shift, name="Con Mail", phone="", email="conmail@example.org", waitlist="1").status_code == 303
    assert [s.name for s in signups(shift, "waitlist")] == ["Senza Mail", "Con Mail"]
    before = len(outbox())
    first = signups(shift, "active")[0]
    from portal.volunteer import services

    with app.test_request_context():
        services.cancel_signup(first)
    assert fresh(shift).taken == 2
    assert {s.name for s in signups(shift, "active")} == {"Senza Mail", "Con Mail"}
    mails = outbox()[before:]
    promoted_mail = next(m for m in mails if m.to_address == "conmail@example.org")
    assert "Si è liberato un posto" in promoted_mail.subject
    # the promoted guest confirms again by the link in that mail
    con_mail = next(s for s in signups(shift, "active") if s.name == "Con Mail")
    assert not con_mail.confirmed and con_mail.promoted_at
    confirm = re.search(r"http://[^\s]+/volunteer/c/[^\s]+", promoted_mail.body).group(0)
    client.post(confirm.replace("http://127.0.0.1:8000", ""))
    assert next(s for s in signups(shift, "active") if s.name == "Con Mail").confirmed
    notice = Notice.get(Notice.name == "Senza Mail")
    assert notice.phone == "+393332222222" and notice.done_at is None


def test_promotion_skips_a_party_that_does_not_fit(app, client, vol):
    shift = vol.make_shift(capacity=3)
    guest(client, shift, name="A", phone="3331111111")
    guest(client, shift, name="B", phone="3331111112")
    guest(client, shift, name="C", phone="3331111115")
    guest(client, shift, name="Gruppo", phone="3331111113", party=3, waitlist="1")
    guest(client, shift, name="Singolo", phone="3331111114", waitlist="1")
    from portal.volunteer import services

    with app.test_request_context():
        services.cancel_signup(signups(shift, "active")[0])
    assert [s.name for s in signups(shift, "active")] == ["B", "C", "Singolo"]
    assert [s.name for s in signups(shift, "waitlist")] == ["Gruppo"]


def test_no_signup_after_start_and_no_cancel_after_cutoff(client, auth, vol):
    started = vol.make_shift(hours_ahead=-1)
    response = guest(client, started)
    assert response.status_code == 409 and "già iniziato" in response.get_data(as_text=True)
    assert signups(started) == []
    soon = vol.make_shift(hours_ahead=5)  # cut-off is 12 hours
    assert guest(client, soon).status_code == 303
    from portal.volunteer import services

    manage = "/volunteer/s/" + services.signup_token(signups(soon)[0])
    response = client.post(manage + "/cancel")
    assert response.status_code == 422
    assert "Non è più possibile disdire online" in response.get_data(as_text=True)
    assert signups(soon)[0].status == "active" and fresh(soon).taken == 1
    auth.login()
    client.post(f"/volunteer/shifts/{soon.id}", data={"party": "1"})
    mine = signups(soon)[-1]
    response = client.post(f"/volunteer/mine/{mine.id}/cancel")
    assert response.status_code == 422 and fresh(soon).taken == 2


def test_cannot_cancel_someone_elses_signup(client, auth, vol, make_user):
    other = make_user("Altra", email="altra@example.org")
    from portal.volunteer import services

    s = services.sign_up(vol.shift, user=other)
    auth.login()
    assert client.post(f"/volunteer/mine/{s.id}/cancel").status_code == 404
    assert signups(vol.shift)[0].status == "active"


def test_overlap_warning(client, auth, vol):
    auth.login()
    client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "1"})
    other = vol.make_shift(starts_at=vol.shift.starts_at + timedelta(hours=1))  # an hour into the first one
    html = client.get(f"/volunteer/shifts/{other.id}").get_data(as_text=True)
    assert "hai già il turno" in html
    response = client.post(f"/volunteer/shifts/{other.id}", data={"party": "1"}, follow_redirects=True)
    assert "hai già un altro turno" in response.get_data(as_text=True)


def test_cancelled_shift_refuses_signups(client, vol):
    from portal.models import utcnow
    from portal.volunteer.models import Shift

    Shift.update(cancelled_at=utcnow()).where(Shift.id == vol.shift.id).execute()
    response = guest(client, vol.shift)
    assert response.status_code == 409 and signups(vol.shift) == []


# --- profile, ICS, hours, certificate -------------------------------------------------------------------
def test_profile_ics_hours_and_certificate(client, auth, vol):
    from portal.models import User
    from portal.volunteer.models import Profile, Signup

    auth.login()
    response = client.post(
        "/volunteer/profile",
        data={
            "skills": ["haccp", "cooking"],
            "languages": ["it", "ar"],
            "availability": ["saturday"],
            "site": str(vol.site.id),
            "in_directory": "y",
        },
    )
    assert response.status_code == 303
    maria = User.get(User.email == "maria@binari.example")
    profile = Profile.get(Profile.user == maria)
    assert profile.skills == ",haccp,cooking," and profile.languages == ",it,ar,"
    html = client.get("/volunteer/profile").get_data(as_text=True)
    assert 'value="haccp" checked' in html
    assert client.post("/volunteer/profile", data={"skills": ["nope"], "site": "0"}).status_code == 422

    client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "1"})
    feed = client.get(f"/volunteer/feed/{profile.feed_token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "Distribuzione di prova" in body and "Viale Faenza" in body
    assert client.get("/volunteer/feed/wrong-token.ics").status_code == 404

    # no hours yet: the certificate explains instead of printing an empty page
    assert client.get("/volunteer/mine/certificate.pdf").status_code == 302
    past = vol.make_shift(hours_ahead=-30, length=4)
    Signup.create(
        shift=past,
        user=maria,
        name=maria.name,
        party=1,
        attended=True,
        minutes_served=240,
        confirmed=True,
        key_user=maria.id,
    )
    html = client.get("/volunteer/mine").get_data(as_text=True)
    assert "Ore di volontariato: 4" in html
    pdf = client.get("/volunteer/mine/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# --- coordinators ----------------------------------------------------------------------------------------------
@pytest.fixture
def coordinator(client, auth, vol):
    auth.login("faenza@staff.binari.example")
    return vol


def test_residents_and_other_centres_are_kept_out(client, auth, vol):
    auth.login()
    assert client.get("/staff/volunteer").status_code == 403
    assert client.get("/staff/volunteer/directory").status_code == 403
    auth.logout()
    auth.login("visconti@staff.binari.example")
    assert client.get(f"/staff/volunteer/shifts/{vol.shift.id}").status_code == 403
    assert client.get(f"/staff/volunteer/shifts/{vol.shift.id}/roster.pdf").status_code == 403
    assert client.post(f"/staff/volunteer/shifts/{vol.shift.id}/cancel").status_code == 403
    assert client.get(f"/staff/volunteer/opportunities/{vol.opp.id}").status_code == 403
    assert client.get("/staff/volunteer/day/faenza/2030-01-05").status_code == 403
    response = client.post(
        "/staff/volunteer/opportunities/new",
        data={"site": str(vol.site.id), "title": "X", "activity": "food", "coordinator": "0"},
    )
    assert response.status_code == 422  # Faenza is not among the choices for Visconti's staff


def test_create_opportunity_and_weekly_shifts_skipping_holidays(client, coordinator):
    from portal.models import SiteClosure
    from portal.volunteer.models import Opportunity, Shift

    assert client.get("/staff").get_data(as_text=True).count("/staff/volunteer") >= 1
    response = client.post(
        "/staff/volunteer/opportunities/new",
        data={
            "site": str(coordinator.site.id),
            "title": "Distribuzione del sabato",
            "activity": "food",
            "description": "Ogni sabato",
            "skills": ["haccp"],
            "languages": ["ar"],
            "coordinator": "0",
            "cancel_cutoff_hours": "24",
            "max_party": "2",
            "is_active": "y",
        },
    )
    assert response.status_code == 303
    opp = Opportunity.get(Opportunity.title == "Distribuzione del sabato")
    today = date.today()
    first = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    SiteClosure.create(site=None, date=first + timedelta(weeks=2), reason="Festa")
    response = client.post(
        f"/staff/volunteer/opportunities/{opp.id}/shifts/new",
        data={
            "day": first.isoformat(),
            "starts": "09:00",
            "ends": "12:30",
            "capacity": "10",
            "repeat": "weekly",
            "until": (first + timedelta(weeks=7)).isoformat(),
            "skip_closed": "y",
        },
    )
    assert response.status_code == 303
    shifts = list(Shift.select().where(Shift.opportunity == opp).order_by(Shift.starts_at))
    saturdays = [first + timedelta(weeks=n) for n in range(8)]
    closed = {c.date for c in SiteClosure.select().where(SiteClosure.site.is_null())}
    assert len(shifts) == len([d for d in saturdays if d not in closed]) < 8  # holidays skipped
    assert len({s.series for s in shifts}) == 1 and shifts[0].series
    from portal.clock import to_local

    assert all(to_local(s.starts_at).weekday() == 5 and to_local(s.starts_at).time() == time(9) for s in shifts)
    # change the time of the whole series from the second Saturday on
    data = _edit_data(shifts[1], starts="08:30", ends="12:00", whole_series="y")
    assert client.post(f"/staff/volunteer/shifts/{shifts[1].id}/edit", data=data).status_code == 303
    times = [to_local(Shift.get_by_id(s.id).starts_at).time() for s in shifts]
    assert times == [time(9)] + [time(8, 30)] * (len(shifts) - 1)
    assert all(to_local(Shift.get_by_id(s.id).starts_at).date() == to_local(s.starts_at).date() for s in shifts)
    shifts = list(Shift.select().where(Shift.opportunity == opp).order_by(Shift.starts_at))
    # cancel from the third Saturday on: the rest of the series goes, the first two stay
    from portal.volunteer import services

    with client.application.test_request_context():
        services.sign_up(shifts[3], name="Iscritta", email="iscritta@example.org")
    response = client.post(f"/staff/volunteer/shifts/{shifts[2].id}/cancel", data={"whole_series": "y"})
    assert response.status_code == 303
    states = [Shift.get_by_id(s.id).cancelled_at is not None for s in shifts]
    assert states == [False, False] + [True] * (len(shifts) - 2)
    assert any(m.to_address == "iscritta@example.org" and "Turno annullato" in m.subject for m in outbox())


def test_shift_validation(client, coordinator):
    day = (date.today() + timedelta(days=3)).isoformat()
    url = f"/staff/volunteer/opportunities/{coordinator.opp.id}/shifts/new"
    response = client.post(url, data={"day": day, "starts": "12:00", "ends": "10:00", "capacity": "5"})
    assert response.status_code == 422 and "deve finire dopo" in response.get_data(as_text=True)
    response = client.post(url, data={"day": day, "starts": "10:00", "ends": "12:00", "capacity": "0"})
    assert response.status_code == 422
    response = client.post(
        url, data={"day": day, "starts": "10:00", "ends": "12:00", "capacity": "5", "repeat": "weekly"}
    )
    assert response.status_code == 422 and "fino a quando" in response.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "day": day,
            "starts": "10:00",
            "ends": "12:00",
            "capacity": "5",
            "repeat": "weekly",
            "until": (date.today() + timedelta(days=800)).isoformat(),
        },
    )
    assert response.status_code == 422


def _edit_data(shift, **changes):
    from portal.clock import to_local

    start, end = to_local(shift.starts_at), to_local(shift.ends_at)
    data = {
        "day": start.date().isoformat(),
        "starts": start.strftime("%H:%M"),
        "ends": end.strftime("%H:%M"),
        "capacity": str(shift.capacity),
        "location": shift.location,
        "note": shift.note,
    }
    data.update(changes)
    return data


def test_capacity_below_taken_is_refused_and_growth_promotes(client, coordinator):
    from portal.volunteer import services

    shift = coordinator.shift
    services.sign_up(shift, name="Uno", phone="+393331111111", party=2)
    services.sign_up(shift, name="Due", phone="+393331111112", party=2)
    services.sign_up(shift, name="Attesa", email="attesa@example.org", waitlist_ok=True)
    response = client.post(f"/staff/volunteer/shifts/{shift.id}/edit", data=_edit_data(shift, capacity="3"))
    assert response.status_code == 422
    assert "Ci sono già 4 posti occupati" in response.get_data(as_text=True)
    assert fresh(shift).capacity == 4
    response = client.post(f"/staff/volunteer/shifts/{shift.id}/edit", data=_edit_data(shift, capacity="5"))
    assert response.status_code == 303
    assert fresh(shift).taken == 5 and signups(shift, "waitlist") == []
    # or the coordinator chooses whom to move to the waitlist, then lowers the places
    uno = signups(shift, "active")[0]
    client.post(f"/staff/volunteer/signups/{uno.id}", data={"action": "waitlist"})
    assert fresh(shift).taken == 3
    from portal.volunteer.models import Notice

    assert "lista d'attesa" in Notice.get(Notice.name == "Uno").message  # no e-mail: to phone
    response = client.post(
        f"/staff/volunteer/shifts/{fresh(shift).id}/edit", data=_edit_data(fresh(shift), capacity="3")
    )
    assert response.status_code == 303 and fresh(shift).capacity == 3


def test_time_change_and_cancellation_tell_everyone(client, coordinator):
    from portal.volunteer import services
    from portal.volunteer.models import Notice

    shift = coordinator.shift
    services.sign_up(shift, name="Con Mail", email="conmail@example.org")
    services.sign_up(shift, name="Solo Telefono", phone="+393331111111")
    data = _edit_data(shift, starts="07:00", ends="11:00", location="Magazzino")
    response = client.post(f"/staff/volunteer/shifts/{shift.id}/edit", data=data)
    assert response.status_code == 303
    mails = [m for m in outbox() if m.to_address == "conmail@example.org"]
    assert mails and "Cambio nel turno" in mails[-1].subject and "Magazzino" in mails[-1].body
    assert Notice.select().where(Notice.name == "Solo Telefono").count() == 1
    response = client.post(f"/staff/volunteer/shifts/{shift.id}/cancel", data={"message": "Maltempo"})
    assert response.status_code == 303
    assert fresh(shift).cancelled_at is not None
    assert any("Turno annullato" in m.subject and "Maltempo" in m.body for m in outbox())
    assert Notice.select().where(Notice.name == "Solo Telefono").count() == 2
    html = client.get("/staff/volunteer/calls", follow_redirects=True).get_data(as_text=True)
    assert "Solo Telefono" in html
    notice = Notice.select().first()
    client.post(f"/staff/volunteer/calls/{notice.id}/done")
    assert Notice.get_by_id(notice.id).done_at is not None


def test_roster_attendance_walkin_pdf_csv_and_message(client, coordinator):
    from portal.models import User
    from portal.volunteer import services
    from portal.volunteer.models import Notice, Shift, Signup

    shift = coordinator.shift
    a = services.sign_up(shift, name="Ana Lucía Torres", phone="+393331111111")
    b = services.sign_up(shift, name="=HYPERLINK(evil)", email="b@example.org")
    html = client.get(f"/staff/volunteer/shifts/{shift.id}").get_data(as_text=True)
    assert "Ana Lucía Torres" in html and "+39 333 111 1111" in html
    client.post(f"/staff/volunteer/signups/{a.id}", data={"action": "confirm"})
    assert Signup.get_by_id(a.id).confirmed
    client.post(f"/staff/volunteer/shifts/{shift.id}/attendance", data={"present": [str(a.id)]})
    assert Signup.get_by_id(a.id).attended and Signup.get_by_id(a.id).minutes_served == 180
    assert Signup.get_by_id(b.id).attended is False
    # walk-in: an account with that phone gets the hours
    ahmed = User.get(User.phone == "+393331234567")
    response = client.post(
        f"/staff/volunteer/shifts/{shift.id}/walk-in",
        data={"name": "Ahmed", "phone": "333 123 4567", "party": "1", "arrived": "y"},
    )
    assert response.status_code == 303
    walk = Signup.get(Signup.walk_in == True)  # noqa: E712
    assert walk.user_id == ahmed.id and walk.attended and fresh(shift).taken == 3
    response = client.post(
        f"/staff/volunteer/shifts/{shift.id}/walk-in", data={"name": "Troppi", "party": "2", "arrived": "y"}
    )
    assert response.status_code == 422 and "Il turno è pieno" in response.get_data(as_text=True)
    # a sign-up taken by phone before the shift: confirmed, not yet present
    response = client.post(f"/staff/volunteer/shifts/{shift.id}/walk-in", data={"name": "Per telefono", "party": "1"})
    assert response.status_code == 303
    by_phone = Signup.get(Signup.name == "Per telefono")
    assert by_phone.confirmed and by_phone.attended is None and not by_phone.walk_in and fresh(shift).taken == 4
    csv_text = client.get(f"/staff/volunteer/shifts/{shift.id}/roster.csv").get_data(as_text=True)
    assert "Ana Lucía Torres" in csv_text and "'=HYPERLINK" in csv_text
    pdf = client.get(f"/staff/volunteer/shifts/{shift.id}/roster.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from portal.clock import to_local

    day = to_local(shift.starts_at).date().isoformat()
    assert "Ana Lucía Torres" in client.get(f"/staff/volunteer/day/faenza/{day}").get_data(as_text=True)
    assert client.get(f"/staff/volunteer/day/faenza/{day}.pdf").data.startswith(b"%PDF")
    assert "Ana Lucía Torres" in client.get(f"/staff/volunteer/day/faenza/{day}.csv").get_data(as_text=True)
    assert client.get("/staff/volunteer/day/faenza/not-a-date").status_code == 400
    c = services.sign_up(
        shift.opportunity.shifts.where(Shift.id != shift.id).first() or coordinator.make_shift(),
        name="Da togliere",
        email="togli@example.org",
    )
    client.post(f"/staff/volunteer/signups/{c.id}", data={"action": "cancel"})
    assert Signup.get_by_id(c.id).status == "cancelled"
    assert any(m.to_address == "togli@example.org" and "Iscrizione tolta" in m.subject for m in outbox())
    response = client.post(f"/staff/volunteer/shifts/{shift.id}/message", data={"subject": "", "body": ""})
    assert response.status_code == 422
    response = client.post(
        f"/staff/volunteer/shifts/{shift.id}/message",
        data={"subject": "Portate i guanti", "body": "Domani fa freddo."},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ana Lucía Torres" in html
    assert any(m.subject == "Portate i guanti" and m.to_address == "b@example.org" for m in outbox())
    assert Notice.select().where(Notice.name == "Ana Lucía Torres").exists()


def test_directory_filters_by_skill_and_language(client, auth, vol, make_user):
    from portal.volunteer.models import Profile

    a = make_user("Fatima El Idrissi", email="fatima@example.org")
    b = make_user("Chen Jing", email="chen@example.org")
    c = make_user("Nascosta", email="nascosta@example.org")
    Profile.create(user=a, skills=",haccp,", languages=",ar,fr,", site=vol.site)
    Profile.create(user=b, skills=",homework,", languages=",zh,", site=vol.site)
    Profile.create(user=c, skills=",haccp,", languages=",ar,", site=vol.site, in_directory=False)
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff/volunteer/directory?site=faenza").get_data(as_text=True)
    assert "Fatima El Idrissi" in html and "Chen Jing" in html and "Nascosta" not in html
    html = client.get("/staff/volunteer/directory?site=faenza&skill=haccp&language=ar").get_data(as_text=True)
    assert "Fatima El Idrissi" in html and "Chen Jing" not in html
    html = client.get("/staff/volunteer/directory?site=faenza&language=zh").get_data(as_text=True)
    assert "Chen Jing" in html and "Fatima" not in html
    # the desk prints the certificate of someone who served here; not of someone who did not
    from portal.volunteer.models import Signup

    past = vol.make_shift(hours_ahead=-30)
    Signup.create(shift=past, user=a, name=a.name, attended=True, minutes_served=180, key_user=a.id, confirmed=True)
    html = client.get("/staff/volunteer/directory?site=faenza").get_data(as_text=True)
    assert f"/staff/volunteer/people/{a.id}/certificate.pdf" in html
    assert client.get(f"/staff/volunteer/people/{a.id}/certificate.pdf").data.startswith(b"%PDF")
    assert client.get(f"/staff/volunteer/people/{b.id}/certificate.pdf").status_code == 404
    auth.logout()
    auth.login("visconti@staff.binari.example")
    assert client.get(f"/staff/volunteer/people/{a.id}/certificate.pdf").status_code == 403


def test_english_pages(client, vol):
    html = client.get(f"/volunteer/shifts/{vol.shift.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Sign up" in html and "places left" in html


def test_demo_loads(app):
    from portal import demo
    from portal.volunteer.models import Shift, Signup

    summary = demo.load()
    assert summary["volunteers"] >= 30
    for shift in Shift.select():
        active = sum(s.party for s in Signup.select().where((Signup.shift == shift) & (Signup.status == "active")))
        assert shift.taken == active <= shift.capacity


class _Queries:
    """Counts the SQL statements a request runs."""

    def __init__(self):
        from portal.db import database

        self.db = database().obj
        self.count = 0

    def __enter__(self):
        original = self._original = self.db.execute_sql

        def counting(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        self.db.execute_sql = counting
        return self

    def __exit__(self, *exc):
        self.db.execute_sql = self._original


def test_pages_use_a_bounded_number_of_queries(app, client, auth, vol):
    from portal.volunteer import services

    def counts():
        result = {}
        for url in (
            "/volunteer",
            f"/volunteer/opportunities/{vol.opp.id}",
            "/staff/volunteer",
            f"/staff/volunteer/shifts/{vol.shift.id}",
            "/staff/volunteer/directory?site=faenza",
            "/volunteer/mine",
        ):
            with _Queries() as q:
                assert client.get(url).status_code == 200
            result[url] = q.count
        return result

    auth.login("coordinamento@staff.binari.example")
    counts()  # first visit creates the volunteer profile
    few = counts()
    with app.test_request_context():
        for n in range(12):
            shift = vol.make_shift(hours_ahead=24 * (n + 2))
            for k in range(3):
                services.sign_up(shift, name=f"P{n}-{k}", phone=f"+39333{n:03d}{k:04d}")
        for k in range(8):
            services.sign_up(vol.shift, name=f"Q{k}", email=f"q{k}@example.org", waitlist_ok=True)
    many = counts()
    assert many == few, (few, many)


def test_export_and_erase_for_account_deletion(app, client, auth, vol):
    """The area's export and erase slots: export my volunteering; on deletion, coming places are freed
    (the waitlist promoted) and past hours stay, anonymous."""
    from portal.areas import get_area
    from portal.models import User
    from portal.volunteer import privacy, services
    from portal.volunteer.models import Profile, Signup

    area = get_area("volunteer", app)
    assert area.export is privacy.export and area.erase is privacy.erase
    maria = User.get(User.email == "maria@binari.example")
    Profile.create(user=maria, skills=",cooking,")
    shift = vol.make_shift(capacity=1)
    with app.test_request_context():
        services.sign_up(shift, user=maria)
        services.sign_up(shift, name="In attesa", email="attesa@example.org", waitlist_ok=True)
    past = vol.make_shift(hours_ahead=-30)
    Signup.create(
        shift=past,
        user=maria,
        name=maria.name,
        email=maria.email,
        attended=True,
        minutes_served=180,
        key_user=maria.id,
        confirmed=True,
    )
    data = {section.key: section.rows for section in privacy.export(maria)}
    assert data["profile"][0]["skills"] == ["cooking"] and len(data["shifts"]) == 2
    with app.test_request_context():
        privacy.erase(maria)
    assert [s.name for s in signups(shift, "active")] == ["In attesa"]
    old = Signup.get(Signup.shift == past.id)
    assert old.user_id is None and old.name == "—" and old.email == "" and old.minutes_served == 180
    assert not Profile.select().where(Profile.user == maria.id).exists()


# --- the area contract: old addresses, calendar, people to phone, account deletion ---------------------
def test_old_staff_addresses_redirect_permanently(client, coordinator):
    """The coordinators' pages moved from /volunteer/manage to /staff/volunteer: 301 for pages that
    are only read, 308 for those that take POST (a form posted to the old address still works)."""
    shift = coordinator.shift
    response = client.get("/volunteer/manage")
    assert response.status_code == 301 and response.headers["Location"] == "/staff/volunteer"
    response = client.get("/volunteer/manage/directory?site=faenza&skill=haccp")
    assert response.status_code == 301
    assert response.headers["Location"] == "/staff/volunteer/directory?site=faenza&skill=haccp"
    response = client.get(f"/volunteer/manage/shifts/{shift.id}/roster.csv")
    assert (
        response.status_code == 301 and response.headers["Location"] == f"/staff/volunteer/shifts/{shift.id}/roster.csv"
    )
    response = client.get(f"/volunteer/manage/opportunities/{coordinator.opp.id}")
    assert response.status_code == 308  # the page's form posts to it
    assert response.headers["Location"] == f"/staff/volunteer/opportunities/{coordinator.opp.id}"
    response = client.post(f"/volunteer/manage/shifts/{shift.id}/cancel", data={"message": "Pioggia"})
    assert response.status_code == 308 and response.headers["Location"] == f"/staff/volunteer/shifts/{shift.id}/cancel"
    response = client.post(
        f"/volunteer/manage/shifts/{shift.id}/cancel", data={"message": "Pioggia"}, follow_redirects=True
    )
    assert response.status_code == 200 and fresh(shift).cancelled_at is not None
    assert client.get("/staff/volunteer").status_code == 200


def test_calendar_feed_uses_the_desk_kit(app, client, auth, vol, frozen_clock):
    """Stable UIDs from BASE_URL's host, Europe/Rome with a VTIMEZONE, DTSTAMP = the last change:
    the same feed fetched twice is the same bytes, and a changed shift gets a new DTSTAMP."""
    from portal.models import User
    from portal.volunteer.models import Profile

    app.config["BASE_URL"] = "https://binari.example.org"
    auth.login()
    client.post(f"/volunteer/shifts/{vol.shift.id}", data={"party": "1"})
    maria = User.get(User.email == "maria@binari.example")
    token = Profile.for_user(maria.id).feed_token
    signup = signups(vol.shift)[0]
    first = client.get(f"/volunteer/feed/{token}.ics").get_data(as_text=True)
    assert f"UID:vol-signup-{signup.id}@binari.example.org" in first
    assert "BEGIN:VTIMEZONE" in first and "TZID=Europe/Rome" in first
    assert client.get(f"/volunteer/feed/{token}.ics").get_data(as_text=True) == first
    frozen_clock.shift(timedelta(minutes=5))
    auth.logout()
    auth.login("faenza@staff.binari.example")
    response = client.post(f"/staff/volunteer/shifts/{vol.shift.id}/edit", data=_edit_data(vol.shift, capacity="5"))
    assert response.status_code == 303
    later = client.get(f"/volunteer/feed/{token}.ics").get_data(as_text=True)
    stamp = re.compile(r"DTSTAMP:(\S+)")
    assert stamp.search(later).group(1) > stamp.search(first).group(1)


def test_people_to_phone_slot_lists_notices_with_who_and_when(app, client, coordinator):
    from portal.areas import get_area
    from portal.volunteer import services
    from portal.volunteer.models import Notice

    services.sign_up(coordinator.shift, name="Solo Telefono", phone="+393331111111")
    client.post(
        f"/staff/volunteer/shifts/{coordinator.shift.id}/message", data={"subject": "Guanti", "body": "Portateli."}
    )
    area = get_area("volunteer", app)
    calls = area.people_to_phone([coordinator.site.id])
    assert [(c.name, c.phone, c.reason, c.done_at) for c in calls] == [
        ("Solo Telefono", "+393331111111", "Guanti", None)
    ]
    assert calls[0].link == f"/staff/volunteer/shifts/{coordinator.shift.id}" and calls[0].area == "volunteer"
    assert area.people_to_phone([coordinator.site.id + 100]) == []
    notice = Notice.get(Notice.name == "Solo Telefono")
    assert client.post(f"/staff/volunteer/calls/{notice.id}/done").status_code == 303
    (call,) = area.people_to_phone([coordinator.site.id])
    assert call.done_at is not None and call.done_by == "Marco Ferri"


def test_account_deletion_leaves_no_trace_of_the_volunteer(app, client, auth, vol, make_user):
    """Every kind of row for one person, then POST /account/delete: coming places go to the waitlist,
    past hours stay anonymous, and no text column of any table holds the name, e-mail or phone."""
    from peewee import CharField, TextField

    from portal.schema import all_models
    from portal.volunteer import services
    from portal.volunteer.models import Notice, Profile, Signup

    name, email, phone = "Zaira Quintavalle", "zaira.q@example.org", "+393389876543"
    zaira = make_user(name, email=email, phone=phone, password="password123")
    Profile.create(user=zaira, skills=",cooking,", notes="Zaira Quintavalle, chiamatemi al 338 987 6543")
    full = vol.make_shift(capacity=1)
    other = vol.make_shift(hours_ahead=96)
    past = vol.make_shift(hours_ahead=-30)
    with app.test_request_context():
        services.sign_up(full, user=zaira, companions="la sorella di Zaira Quintavalle")
        services.sign_up(full, name="In attesa", email="attesa@example.org", waitlist_ok=True)
        # as a guest with the same phone, and a notice to phone her about that shift
        services.sign_up(other, name="Zaira Q.", phone=phone)
        services.message_shift(other, "Cambio", "Si parte alle 9.", include_waitlist=False)
    Signup.create(
        shift=past,
        user=zaira,
        name=name,
        email=email,
        attended=True,
        minutes_served=180,
        key_user=zaira.id,
        confirmed=True,
    )
    Signup.create(shift=past, name="Z. Quintavalle", email=email, attended=True, minutes_served=180, confirmed=True)
    assert Notice.select().where(Notice.phone == phone).count() == 1
    auth.login(email, "password123")
    data = client.get("/account/export.json").json["volunteer"]
    assert set(data) == {"profile", "shifts", "calls"}
    assert data["profile"][0]["skills"] == ["cooking"] and len(data["shifts"]) == 4 and len(data["calls"]) == 1
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    # the freed place went to the first in line; the guest sign-up was cancelled too
    assert [s.name for s in signups(full, "active")] == ["In attesa"]
    assert fresh(other).taken == 0
    served = Signup.select().where((Signup.shift == past.id) & (Signup.minutes_served == 180))
    assert served.count() == 2 and all(s.name == "—" and s.user_id is None for s in served)
    assert not Profile.select().where(Profile.user == zaira.id).exists()
    needles = ["Quintavalle", email, phone, "3389876543", "338 987 6543"]
    found = []
    for model in all_models():
        for field in model._meta.sorted_fields:
            if isinstance(field, (CharField, TextField)):
                for needle in needles:
                    if model.select().where(field.contains(needle)).exists():
                        found.append(f"{model._meta.table_name}.{field.column_name}: {needle}")
    assert not found, found


def test_erasing_a_coordinator_clears_their_links(app, vol, make_user):
    from portal.models import utcnow
    from portal.volunteer import privacy
    from portal.volunteer.models import Notice, Opportunity

    carla = make_user("Carla Coordinatrice", email="carla@example.org", role="staff", sites=[vol.site])
    Opportunity.update(coordinator=carla).where(Opportunity.id == vol.opp.id).execute()
    notice = Notice.create(
        site=vol.site, name="Qualcuno", phone="+393330000000", message="x", done_at=utcnow(), done_by=carla
    )
    with app.test_request_context():
        privacy.erase(carla)
    assert Opportunity.get_by_id(vol.opp.id).coordinator_id is None
    assert Notice.get_by_id(notice.id).done_by_id is None and Notice.get_by_id(notice.id).done_at is not None


def test_volunteer_calls_show_their_reason_in_the_staff_members_language(client, coordinator):
    """A change told by phone keeps its reason as a phrase: staff reading in English see it in English,
    while the text to read to the person stays in the person's language."""
    from portal.models import User
    from portal.volunteer import services
    from portal.volunteer.models import Notice

    shift = coordinator.shift
    services.sign_up(shift, name="Solo Telefono", phone="+393331111111")
    client.post(f"/staff/volunteer/shifts/{shift.id}/cancel", data={"message": "Maltempo"})
    notice = Notice.get(Notice.name == "Solo Telefono")
    assert notice.message.startswith("Turno annullato: Distribuzione di prova")  # what to read to her
    User.update(language="en").where(User.email == "faenza@staff.binari.example").execute()
    html = client.get("/staff/phone?area=volunteer").get_data(as_text=True)
    assert "Solo Telefono" in html
    # (the message to read out stays in her language, shown under the reason)
    with client.application.test_request_context():
        from flask_babel import force_locale

        from portal.phrases import loads

        with force_locale("en"):
            english = str(loads(notice.reason_phrase))
    assert english != notice.message.split("\n", 1)[0] and english in html
