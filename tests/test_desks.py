"""Help desks (sportelli): schedules that skip closures, booking by members and guests, the limits,
cancelling and the waitlist, moving, private notes, the jobs, export and erasure, the figures."""

from datetime import date, datetime, time, timedelta

import pytest

from portal.clock import to_utc, utcnow
from portal.models import AuditEntry, OutboxMessage, Partner, PhoneCallLog, SentNotice, Site, SiteClosure


@pytest.fixture
def desk(app, seed):
    """The legal desk at Via S. Erlembaldo: Wednesdays 14:30–18:00, 45-minute slots, an operator."""
    from portal.desks import services
    from portal.desks.models import Desk, DeskOperator, Schedule
    from portal.models import StaffSite, User

    site = Site.get(Site.slug == "erlembaldo")
    partner = Partner.create(name="Avvocati di Quartiere APS")
    desk = Desk.create(
        site=site,
        partner=partner,
        name="Sportello legale",
        topics="legal,housing",
        languages="it,en",
        helps_with="Affitto e sfratti.",
        what_to_bring="Il contratto.",
        cancel_cutoff_hours=24,
        max_open_per_person=2,
    )
    Schedule.create(desk=desk, weekday=2, starts=time(14, 30), ends=time(18), slot_minutes=45)
    operator = User.create_account("Chiara Neri", "password123", email="legale@example.org", role="staff")
    StaffSite.create(user=operator, site=site)
    DeskOperator.create(desk=desk, user=operator)
    services.materialise(desk)
    return desk


def slots_on(desk, day):
    from portal.clock import local_day_bounds
    from portal.desks.models import Slot

    lo, hi = local_day_bounds(day)
    return list(
        Slot.select()
        .where((Slot.desk == desk.id) & (Slot.starts_at >= lo) & (Slot.starts_at < hi))
        .order_by(Slot.starts_at)
    )


def free_on(desk, day):
    from portal.desks import services

    return [s for s in services.free_slots([desk.id]).get(desk.id, []) if s in slots_on(desk, day)]


@pytest.fixture
def request_ctx(app):
    """Services called directly translate their refusals: give them a request's locale."""
    with app.test_request_context():
        yield


WED = date(2026, 11, 18)  # the day after DEFAULT_NOW (Tuesday 17 November 2026, 10:00)


def test_weekly_schedule_skips_closures_blocked_days_and_adds_extra_sessions(desk, request_ctx):
    from portal.desks import services
    from portal.desks.models import Slot

    # 14:30–18:00 in 45-minute slots: 14:30, 15:15, 16:00, 16:45 (17:30 would end after 18:00).
    assert [s.starts_at for s in slots_on(desk, WED)] == [
        to_utc(WED, time(14, 30)),
        to_utc(WED, time(15, 15)),
        to_utc(WED, time(16)),
        to_utc(WED, time(16, 45)),
    ]
    # A closure of the centre: slots already offered that day are withdrawn (blocked, never deleted).
    SiteClosure.create(site=desk.site, date=WED + timedelta(days=7), reason="Assemblea")
    SiteClosure.create(site=None, date=date(2026, 12, 9), reason="Chiusura di tutti i centri")
    before = Slot.select().count()
    services.materialise(desk)
    assert slots_on(desk, WED + timedelta(days=7)) and all(s.blocked for s in slots_on(desk, WED + timedelta(days=7)))
    assert free_on(desk, WED + timedelta(days=7)) == [] and free_on(desk, date(2026, 12, 9)) == []
    assert Slot.select().count() == before  # nothing inserted twice: idempotent
    # Fresh desk after the closures: the closed days are never materialised.
    from portal.desks.models import Desk, Schedule

    other = Desk.create(site=desk.site, name="Sportello lavoro")
    Schedule.create(desk=other, weekday=2, starts=time(9), ends=time(10), slot_minutes=30)
    services.materialise(other)
    assert slots_on(other, WED + timedelta(days=7)) == []
    assert slots_on(other, date(2026, 12, 9)) == []
    assert len(slots_on(other, WED + timedelta(days=14))) == 2
    # The operator is away on the 2nd of December: blocked, not offered; an extra Friday session is.
    services.add_day(desk, date(2026, 12, 2), "blocked", reason="Ferie")
    assert all(s.blocked for s in slots_on(desk, date(2026, 12, 2)))
    assert free_on(desk, date(2026, 12, 2)) == []
    services.add_day(desk, date(2026, 11, 20), "extra", time(10), time(11), 30)
    assert len(free_on(desk, date(2026, 11, 20))) == 2
    # A closed day refuses an extra session.
    with pytest.raises(services.DeskRefusal):
        services.add_day(desk, date(2026, 12, 9), "extra", time(10), time(11), 30)
    # Running the daily job again changes nothing.
    assert services.run_materialise(utcnow()) == 0


def test_member_books_in_one_tap_and_gets_a_confirmation(client, auth, desk):
    slot = free_on(desk, WED)[0]
    auth.login()
    response = client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slot.id, "subject": "Lettera di sfratto"})
    assert response.status_code == 303 and "/account/sportelli" in response.headers["Location"]
    from portal.desks.models import Appointment

    appointment = Appointment.get()
    assert appointment.user.email == "maria@binari.example" and appointment.subject == "Lettera di sfratto"
    mail = OutboxMessage.get()
    assert mail.to_address == "maria@binari.example" and "Sportello legale" in mail.body
    assert "Lettera di sfratto" not in mail.body  # the subject never travels by e-mail
    page = client.get("/account/sportelli").get_data(as_text=True)
    assert "Sportello legale" in page and f"appuntamento-{appointment.id}" in page
    # The public page no longer offers that time.
    assert f'value="{slot.id}"' not in client.get(f"/sportelli/{desk.id}").get_data(as_text=True)


def test_guest_books_with_name_and_phone_and_cancels_from_the_link(client, desk):
    slot = free_on(desk, WED + timedelta(days=7))[0]
    # Missing contact: the form comes back with the input kept.
    response = client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slot.id, "guest_name": "Rosa Bianchi"})
    assert response.status_code == 422 and "Rosa Bianchi" in response.get_data(as_text=True)
    response = client.post(
        f"/sportelli/{desk.id}/prenota",
        data={"slot": slot.id, "guest_name": "Rosa Bianchi", "guest_phone": "333 111 2222"},
    )
    assert response.status_code == 303
    from portal.desks.models import Appointment

    appointment = Appointment.get()
    assert appointment.user is None and appointment.guest_phone == "+393331112222"
    assert not OutboxMessage.select().exists()  # no e-mail: nothing to send, the page is the confirmation
    link = response.headers["Location"]
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 303
    assert Appointment.get_by_id(appointment.id).status == "cancelled"
    # A guest who reads English gets the confirmation (and later the reminder) in English.
    response = client.post(
        f"/sportelli/{desk.id}/prenota",
        data={"slot": slot.id, "guest_name": "Sam Guest", "guest_email": "sam@example.org"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 303
    mail = OutboxMessage.get()
    assert mail.subject == "Binari: appointment confirmed" and mail.language == "en"
    assert Appointment.get(Appointment.guest_email == "sam@example.org").language == "en"


def test_one_person_per_slot_and_a_limit_per_person(client, auth, desk, make_user):
    from portal.desks import services
    from portal.desks.models import Appointment

    slots = free_on(desk, WED) + free_on(desk, WED + timedelta(days=7))
    services.book(desk, slots[0].id, guest_name="Primo", guest_phone="+393330000001")
    with pytest.raises(services.DeskRefusal) as refused, client.application.test_request_context():
        services.book(desk, slots[0].id, guest_name="Secondo", guest_phone="+393330000002")
    assert refused.value.status == 409
    auth.login()
    response = client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slots[0].id})
    assert response.status_code == 409 and "qualcuno" in response.get_data(as_text=True)
    assert client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slots[1].id}).status_code == 303
    assert client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slots[2].id}).status_code == 303
    response = client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slots[3].id})
    assert response.status_code == 409 and "2 appuntamenti aperti" in response.get_data(as_text=True)
    assert Appointment.select().where(Appointment.status == "booked").count() == 3
    # Nonsense never gives a 500.
    assert client.post(f"/sportelli/{desk.id}/prenota", data={"slot": "abc"}).status_code == 422
    assert client.post(f"/sportelli/{desk.id}/prenota", data={"slot": "999999"}).status_code == 409
    assert client.get("/sportelli?site=nowhere&topic=x&lang=zz").status_code == 200


@pytest.mark.clock("2026-11-17T16:00")
def test_cancel_until_the_cutoff_then_the_waitlist_is_told(client, auth, desk, make_user, frozen_clock):
    from portal.desks import services
    from portal.desks.models import Appointment

    waiting = make_user("Wanda Attesa", email="wanda@example.org")
    services.join_waitlist(desk, WED + timedelta(days=7), waiting)
    slot = free_on(desk, WED + timedelta(days=7))[0]
    auth.login()
    client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slot.id})
    appointment = Appointment.get()
    assert client.post(f"/account/sportelli/{appointment.id}/annulla").status_code == 303
    assert Appointment.get_by_id(appointment.id).status == "cancelled"
    offer = OutboxMessage.get(OutboxMessage.to_address == "wanda@example.org")
    # Maria waits for a day too, sees it on her page, and takes it back.
    assert (
        client.post(f"/sportelli/{desk.id}/attesa", data={"day": (WED + timedelta(days=14)).isoformat()}).status_code
        == 303
    )
    from portal.desks.models import WaitEntry

    mine = WaitEntry.get(WaitEntry.user != waiting.id)
    assert "Ti avvisiamo se si libera" in client.get("/account/sportelli").get_data(as_text=True)
    assert client.post(f"/account/sportelli/attesa/{mine.id}/togli").status_code == 303
    assert not WaitEntry.select().where(WaitEntry.id == mine.id).exists()
    other = WaitEntry.get()
    assert client.post(f"/account/sportelli/attesa/{other.id}/togli").status_code == 404
    assert "si è liberato" in offer.subject.lower() or "liberato" in offer.body
    # Less than 24 hours before: refused online.
    slot = free_on(desk, WED)[0]
    client.post(f"/sportelli/{desk.id}/prenota", data={"slot": slot.id})
    late = Appointment.get((Appointment.slot == slot.id) & (Appointment.status == "booked"))
    client.post(f"/account/sportelli/{late.id}/annulla")
    assert Appointment.get_by_id(late.id).status == "booked"
    # Someone else's appointment: 404.
    other = services.book(desk, free_on(desk, WED)[0].id, guest_name="Altra", guest_phone="+393330000009")
    assert client.post(f"/account/sportelli/{other.id}/annulla").status_code == 404


def test_notes_are_read_only_by_the_desks_operators_and_admins_and_every_read_is_audited(client, auth, desk, make_user):
    from portal.desks import services
    from portal.desks.models import Desk, DeskOperator

    appointment = services.book(
        desk,
        free_on(desk, WED)[0].id,
        guest_name="Rosa Bianchi",
        guest_phone="+393331112222",
        subject="Debiti con Equitalia",
    )
    site = desk.site
    make_user("Collega", email="collega@example.org", role="staff", sites=[site])
    other_desk = Desk.create(site=site, name="Patronato ACLI")
    other_operator = make_user("Altro Operatore", email="acli@example.org", role="staff", sites=[site])
    DeskOperator.create(desk=other_desk, user=other_operator)
    url = f"/staff/desks/appointments/{appointment.id}"

    auth.login("legale@example.org", "password123")
    page = client.get(url)  # a GET shows time and person; the subject opens with a button (a GET never writes)
    assert page.status_code == 200 and "Debiti con Equitalia" not in page.get_data(as_text=True)
    assert AuditEntry.select().where(AuditEntry.area == "desks").count() == 0
    page = client.post(url + "/read")
    assert page.status_code == 200 and "Debiti con Equitalia" in page.get_data(as_text=True)
    assert client.post(url + "/note", data={"note": "Portare le cartelle"}).status_code == 303
    entries = list(AuditEntry.select().where(AuditEntry.area == "desks"))
    assert [e.action for e in entries] == ["desks.read_note", "desks.write_note"]
    assert entries[0].actor.email == "legale@example.org" and entries[0].record == f"desks.appointment:{appointment.id}"
    assert "Equitalia" not in entries[0].detail
    auth.logout()

    for person in ("collega@example.org", "acli@example.org"):
        auth.login(person, "password123")
        assert client.get(url).status_code == 403
        assert client.post(url + "/read").status_code == 403
        assert client.post(url + "/note", data={"note": "x"}).status_code == 403
        day = client.get(f"/staff/desks/{desk.id}?d={WED.isoformat()}")
        text = day.get_data(as_text=True)
        if person == "collega@example.org":  # centre staff: time and name, never the subject
            assert day.status_code == 200 and "Rosa Bianchi" in text and "Equitalia" not in text
        auth.logout()
    assert AuditEntry.select().where(AuditEntry.area == "desks").count() == 2

    auth.login("admin@binari.example")
    assert client.get(url).status_code == 200
    assert client.post(url + "/read").status_code == 200
    assert AuditEntry.select().where(AuditEntry.area == "desks").count() == 3


def test_staff_book_for_someone_move_and_mark(client, auth, desk):
    from portal.desks.models import Appointment

    auth.login("erlembaldo@staff.binari.example")  # centre staff, not the desk's operator
    first, second = free_on(desk, WED)[:2]
    response = client.post(
        f"/staff/desks/{desk.id}/book", data={"slot": first.id, "guest_name": "Ahmed", "guest_phone": "3331234567"}
    )
    assert response.status_code == 303
    appointment = Appointment.get()
    assert appointment.user.name == "Ahmed Haddad" if appointment.user_id else appointment.guest_name == "Ahmed"
    assert client.post(f"/staff/desks/appointments/{appointment.id}/move", data={"slot": second.id}).status_code == 303
    moved = Appointment.get_by_id(appointment.id)
    assert moved.slot_id == second.id and moved.phone_reason == "moved"  # no e-mail: on the phone list
    # The desks' old phone page moved to the one staff phone list, filtered on the desks.
    old = client.get("/staff/desks/phone")
    assert old.status_code == 301 and old.headers["Location"].endswith("/staff/phone?area=desks")
    phone = client.get("/staff/phone?area=desks").get_data(as_text=True)
    assert "Ahmed" in phone and "Sportello legale" in phone
    from portal.desks import privacy

    with client.application.test_request_context():
        (call,) = privacy.people_to_phone([desk.site_id])
    assert call.key.startswith(f"appointment:{appointment.id}:") and call.done_at is None
    # "Fatto: ho telefonato" on the core list: logged there, and marked on the appointment.
    done = client.post("/staff/phone/done", data={"area": "desks", "key": call.key, "outcome": "told"})
    assert done.status_code == 303
    assert Appointment.get_by_id(appointment.id).phoned_at is not None
    assert PhoneCallLog.get().record_key == call.key and PhoneCallLog.get().area == "desks"
    # A stale key (an older notice) is not the desks' entry any more.
    assert privacy.phone_done(f"appointment:{appointment.id}:20000101000000", appointment.user) is False
    # Arrived / no-show is marked on the day (refused a day early).
    response = client.post(f"/staff/desks/appointments/{appointment.id}/mark", data={"status": "arrived"})
    assert response.status_code == 303 and Appointment.get_by_id(appointment.id).status == "booked"
    # Another centre's staff: 403 on the desk and its appointments.
    auth.logout()
    auth.login("visconti@staff.binari.example")
    assert client.get(f"/staff/desks/{desk.id}").status_code == 403
    assert (
        client.post(f"/staff/desks/appointments/{appointment.id}/mark", data={"status": "no_show"}).status_code == 403
    )


@pytest.mark.clock("2026-11-17T18:00")
def test_reminders_the_day_before_by_email_or_phone_list(app, desk, make_user, frozen_clock):
    from portal import phone
    from portal.desks import reminders, services
    from portal.desks.models import Appointment
    from portal.reminders import switch_off, who_of

    member = make_user("Maria Mail", email="mm@example.org")
    quiet = make_user("Quinto Quieto", email="qq@example.org")
    switch_off(who_of(quiet), reminders.DAY_BEFORE)  # switched this kind off in /account/reminders
    slots = free_on(desk, WED)
    services.book(desk, slots[0].id, user=member, subject="Sfratto")
    services.book(desk, slots[2].id, user=quiet)
    guest = services.book(desk, slots[1].id, guest_name="Giovanni Telefono", guest_phone="+393401112233")
    services.book(desk, free_on(desk, WED + timedelta(days=7))[0].id, user=member)  # next week: not yet
    OutboxMessage.delete().execute()
    assert reminders.remind_job(utcnow()) == 2
    reminder = OutboxMessage.get()
    assert reminder.to_address == "mm@example.org" and reminder.kind == "reminder"
    assert reminder.unsubscribe_url.startswith(app.config["BASE_URL"] + "/unsubscribe/")
    assert "Sportello legale" in reminder.body and "Sfratto" not in reminder.body
    # Without e-mail: on the core phone list, under the desks, with the desk's day page.
    with app.test_request_context():
        calls = [c for c, _h in phone.calls_for([desk.site_id])]
    assert [(c.area, c.name) for c in calls] == [("desks", "Giovanni Telefono")]
    assert "Sportello legale" in calls[0].reason and f"/staff/desks/{desk.id}?d=2026-11-18" in calls[0].link
    assert Appointment.get_by_id(guest.id).reminded_at is not None
    # Idempotent: a second run (the next hour) sends nothing more; the quiet member got nothing.
    frozen_clock.shift(timedelta(hours=1))
    assert reminders.remind_job(utcnow()) == 0
    assert OutboxMessage.select().count() == 1
    assert SentNotice.select().where(SentNotice.kind == reminders.DAY_BEFORE).count() == 2
    # No reminders at night.
    frozen_clock.move_to(datetime(2026, 11, 17, 22, 30))
    SentNotice.delete().execute()
    assert reminders.remind_job(utcnow()) == 0


def test_the_desks_reminder_is_a_choice_in_the_account(client, auth, seed):
    auth.login("maria@binari.example")
    page = client.get("/account/reminders").get_data(as_text=True)
    assert 'value="desks_day_before" checked' in page and "Sportelli: il giorno prima" in page


@pytest.mark.clock("2026-11-17T10:00")
def test_staff_day_lists_the_desks_appointments_of_the_centre_without_subject(
    app, client, auth, desk, make_user, tmp_path
):
    import subprocess

    from portal.desks import services
    from portal.desks.models import Desk, Schedule

    faenza = Site.get(Site.slug == "faenza")
    youth = Desk.create(site=faenza, name="Orientamento giovani", topics="work", languages="it")
    Schedule.create(desk=youth, weekday=2, starts=time(9), ends=time(12), slot_minutes=30)
    services.materialise(youth)
    services.book(
        youth,
        free_on(youth, WED)[1].id,
        guest_name="Fatima Faenza",
        guest_phone="+393330001111",
        subject="Debiti con la banca",
    )
    services.book(desk, free_on(desk, WED)[0].id, guest_name="Ernesto Erlembaldo", guest_phone="+393330002222")
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff?day=2026-11-18").get_data(as_text=True)
    assert "09:30" in html and "Orientamento giovani · Fatima Faenza" in html
    assert f'href="/staff/desks/{youth.id}?d=2026-11-18"' in html
    assert "Debiti" not in html  # the subject is private to the desk's operators
    assert "Ernesto Erlembaldo" not in html and "Sportello legale" not in html  # another centre's desk
    assert "Nessun appuntamento agli sportelli in questo giorno." in client.get("/staff?day=2026-11-19").get_data(
        as_text=True
    )
    pdf = tmp_path / "day.pdf"
    pdf.write_bytes(client.get("/staff/day.pdf?site=faenza&day=2026-11-18").data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Fatima Faenza" in text and "Debiti" not in text and "Ernesto" not in text


@pytest.mark.clock("2026-11-17T10:00")
def test_retention_empties_notes_and_subjects_after_twelve_months(app, desk):
    from portal.desks import services
    from portal.desks.models import Appointment, Slot

    old_slot = Slot.create(desk=desk, starts_at=datetime(2025, 11, 5, 14), ends_at=datetime(2025, 11, 5, 15))
    recent_slot = Slot.create(desk=desk, starts_at=datetime(2025, 11, 25, 14), ends_at=datetime(2025, 11, 25, 15))
    old = Appointment.create(slot=old_slot, desk=desk, guest_name="A", subject="Debiti", note="Nota", status="arrived")
    recent = Appointment.create(slot=recent_slot, desk=desk, guest_name="B", subject="Casa", note="", status="arrived")
    assert services.run_retention(utcnow()) == 1
    old, recent = Appointment.get_by_id(old.id), Appointment.get_by_id(recent.id)
    assert (old.subject, old.note) == ("", "") and old.purged_at is not None
    assert recent.subject == "Casa"
    assert services.run_retention(utcnow()) == 0
    app.config["DESK_NOTE_RETENTION_MONTHS"] = 6
    assert services.run_retention(utcnow()) == 1


def test_export_and_erase(app, client, auth, desk, make_user):
    from portal.desks import privacy, reports, services
    from portal.desks.models import Appointment

    person = make_user("Erasmo Sportello", email="erasmo@example.org", phone="+393479998877")
    slots = free_on(desk, WED + timedelta(days=7))
    mine = services.book(desk, slots[0].id, user=person, subject="Segreta questione")
    as_guest = services.book(desk, slots[1].id, guest_name="Erasmo", guest_email="erasmo@example.org", subject="Altro")
    with app.test_request_context():
        sections = {s.key: s for s in privacy.export(person)}
    assert {row["subject"] for row in sections["appointments"].rows} == {"Segreta questione", "Altro"}
    with app.test_request_context():
        privacy.erase(person)
    for row in (Appointment.get_by_id(mine.id), Appointment.get_by_id(as_guest.id)):
        assert row.user_id is None and row.subject == "" and row.guest_email == "" and row.guest_name == ""
        assert row.status == "cancelled"
    # The time is free again.
    assert slots[0] in free_on(desk, WED + timedelta(days=7))
    from portal.areas import ReportQuery

    assert reports.people(ReportQuery(WED, WED + timedelta(days=7))) == set()  # cancelled rows do not count


def test_figures_per_desk_and_topic_no_shows_people_and_waiting(app, desk, request_ctx):
    from portal.areas import ReportQuery
    from portal.desks import reports, services
    from portal.desks.models import Appointment

    slots = free_on(desk, WED)
    a = services.book(desk, slots[0].id, guest_name="Uno", guest_phone="+393330000001")
    services.book(desk, slots[1].id, guest_name="Due", guest_email="due@example.org")
    Appointment.update(status="no_show").where(Appointment.id == a.id).execute()
    query = ReportQuery(date(2026, 11, 1), date(2026, 11, 30))
    figures = {f.key: f for f in reports.figures(query)}
    assert figures["desks.appointments"].value == 2
    assert figures["desks.no_shows"].value == 1
    assert figures["desks.people"].value == 2
    assert dict((str(k), v) for k, v in figures["desks.topics"].breakdown) == {"Legale": 2, "Casa": 2}
    assert 1 <= figures["desks.wait_days"].value <= 2
    assert reports.people(query) == {"c+393330000001", "cdue@example.org"}
    other = ReportQuery(date(2026, 11, 1), date(2026, 11, 30), site_id=Site.get(Site.slug == "visconti").id)
    assert reports.figures(other)[0].value == 0


def test_demo_loads_desks_of_the_three_centres_respecting_closures(app, seed):
    from portal.desks import demo
    from portal.desks.models import Appointment, Desk, Slot

    counts = demo.load(seed)
    assert counts["desks"] == 10 and counts["appointments"] > 10
    names = {(d.site.slug, d.name) for d in Desk.select()}
    assert ("erlembaldo", "Patronato ACLI") in names and ("visconti", "Sportello casa e lavoro") in names
    closed = {c.date for c in SiteClosure.select()}
    from portal.clock import local_date

    assert not any(local_date(s.starts_at) in closed for s in Slot.select())
    assert Appointment.select().where(Appointment.status == "booked").exists()


def test_pages_answer_for_everyone(client, auth, app, seed):
    from portal.desks import demo

    demo.load(seed)
    assert client.get("/sportelli").status_code == 200
    assert "Patronato ACLI" in client.get("/sportelli?site=erlembaldo").get_data(as_text=True)
    assert "Patronato ACLI" not in client.get("/sportelli?site=faenza").get_data(as_text=True)
    assert "Accesso libero" in client.get("/sportelli?topic=circular").get_data(as_text=True)
    # htmx filters swap in the results only.
    fragment = client.get("/sportelli?topic=legal", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert "Sportello legale" in fragment.get_data(as_text=True) and "Patronato ACLI" not in fragment.get_data(
        as_text=True
    )
    auth.login("patronato@staff.binari.example")
    for url in (
        "/staff/desks",
        "/staff/desks/1",
        "/staff/desks/1/schedule",
        "/staff/desks/1/book",
        "/staff/phone?area=desks",
    ):
        assert client.get(url).status_code == 200, url
    response = client.get("/staff/desks/1/giorno.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_waiting_member_without_email_is_phoned_when_a_time_frees_up(client, auth, desk, make_user, request_ctx):
    from portal.desks import privacy, services
    from portal.desks.models import WaitEntry

    day = WED + timedelta(days=7)
    waiting = make_user("Ahmed Attesa", phone="+393339990000")
    services.join_waitlist(desk, day, waiting)
    booked = services.book(desk, free_on(desk, day)[0].id, guest_name="Rosa", guest_email="rosa@example.org")
    services.cancel(booked)
    calls = privacy.people_to_phone([desk.site_id])
    assert [(c.name, c.phone) for c in calls] == [("Ahmed Attesa", "+393339990000")]
    auth.login("legale@example.org", "password123")
    assert "Ahmed Attesa" in client.get("/staff/phone?area=desks").get_data(as_text=True)
    entry = WaitEntry.get()
    assert calls[0].key.startswith(f"wait:{entry.id}:")
    done = client.post("/staff/phone/done", data={"area": "desks", "key": calls[0].key, "outcome": "told"})
    assert done.status_code == 303
    assert WaitEntry.get_by_id(entry.id).phoned_at is not None
    assert privacy.people_to_phone([desk.site_id])[0].done_at is not None


def test_staff_add_and_edit_a_desk_with_its_operators(client, auth, seed, make_user):
    from portal.desks.models import Desk, DeskOperator

    site = Site.get(Site.slug == "visconti")
    colleague = make_user("Operatrice Casa", email="casa@example.org", role="staff", sites=[site])
    auth.login("visconti@staff.binari.example")
    assert client.get("/staff/desks/new").status_code == 200
    data = {
        "site": site.id,
        "name": "Sportello casa",
        "partner": 0,
        "topics": ["housing"],
        "languages": ["it", "ar"],
        "helps_with": "Bandi per la casa.",
        "mode": "drop_in",
        "drop_in_hours": "",
        "cancel_cutoff_hours": "24",
        "max_open_per_person": "2",
        "advance_days": "28",
        "operators": [colleague.id],
        "active": "y",
    }
    response = client.post("/staff/desks/new", data=data)
    assert response.status_code == 422 and "Bandi per la casa." in response.get_data(as_text=True)
    data["drop_in_hours"] = "Giovedì 9:30–12:30"
    assert client.post("/staff/desks/new", data=data).status_code == 303
    desk = Desk.get()
    assert (desk.topics, desk.languages, desk.mode) == ("housing", "it,ar", "drop_in")
    assert [o.user_id for o in DeskOperator.select()] == [colleague.id]
    edit = client.get(f"/staff/desks/{desk.id}/edit").get_data(as_text=True)
    assert "Giovedì 9:30–12:30" in edit
    data.update(mode="appointments", operators=[])
    assert client.post(f"/staff/desks/{desk.id}/edit", data=data).status_code == 303
    assert Desk.get_by_id(desk.id).mode == "appointments" and not DeskOperator.select().exists()
    # Someone who is not staff of the centre cannot be made an operator; another centre's staff: 403.
    outsider = make_user("Fuori", email="fuori@example.org", role="staff", sites=[Site.get(Site.slug == "faenza")])
    data["operators"] = [outsider.id]
    response = client.post(f"/staff/desks/{desk.id}/edit", data=data)
    assert response.status_code == 422, [o.user_id for o in DeskOperator.select()]
    auth.logout()
    auth.login("faenza@staff.binari.example")
    assert client.get(f"/staff/desks/{desk.id}/edit").status_code == 403


def test_nonsense_gets_a_message_never_a_500(client, auth, desk):
    from portal.desks.models import Appointment

    appointment = Appointment.create(slot=free_on(desk, WED)[0], desk=desk, guest_name="X", guest_phone="+393330000001")
    auth.login("legale@example.org", "password123")
    cases = [
        ("get", f"/staff/desks/{desk.id}?d=2026-13-45", None),
        (
            "post",
            f"/staff/desks/{desk.id}/schedule",
            {"weekday": "9", "starts": "25:00", "ends": "x", "slot_minutes": "z"},
        ),
        (
            "post",
            f"/staff/desks/{desk.id}/schedule",
            {"weekday": "1", "starts": "12:00", "ends": "10:00", "slot_minutes": "30"},
        ),
        ("post", f"/staff/desks/{desk.id}/days", {"day": "ieri", "kind": "boh"}),
        ("post", f"/staff/desks/{desk.id}/days", {"day": "2020-01-01", "kind": "blocked"}),
        ("post", f"/staff/desks/{desk.id}/book", {"slot": "abc", "guest_name": "Y"}),
        ("post", f"/staff/desks/{desk.id}/book", {"slot": appointment.slot_id, "member": "nessuno@example.org"}),
        ("post", f"/staff/desks/appointments/{appointment.id}/move", {"slot": "abc"}),
        ("post", f"/staff/desks/appointments/{appointment.id}/mark", {"status": "boh"}),
        ("post", f"/staff/desks/appointments/{appointment.id}/note", {"note": "x" * 5000}),
        ("post", f"/sportelli/{desk.id}/attesa", {"day": "2030-01-01"}),
        ("get", "/staff/desks/999", None),
        ("get", "/staff/desks/appointments/999", None),
    ]
    for method, url, data in cases:
        response = getattr(client, method)(url, data=data) if data else getattr(client, method)(url)
        assert response.status_code in (303, 400, 404, 409, 422), (url, response.status_code)
    assert client.post(f"/staff/desks/{desk.id}/days", data={"day": "ieri", "kind": "boh"}).status_code == 422
    assert Appointment.get_by_id(appointment.id).note == ""


def test_operator_adds_and_removes_weekly_hours_on_the_page(client, auth, desk):
    from portal.desks.models import DeskOperator, Schedule

    operator = DeskOperator.get().user
    auth.login("legale@example.org", "password123")
    page = client.get(f"/staff/desks/{desk.id}/schedule").get_data(as_text=True)
    assert "Chiara Neri" in page
    data = {"weekday": "4", "starts": "10:00", "ends": "12:00", "slot_minutes": "60", "operator": str(operator.id)}
    assert client.post(f"/staff/desks/{desk.id}/schedule", data=data).status_code == 303
    friday = date(2026, 11, 20)
    assert len(free_on(desk, friday)) == 2
    rule = Schedule.get(Schedule.weekday == 4)
    assert rule.operator_id == operator.id
    assert "Chiara Neri" in client.get(f"/staff/desks/{desk.id}/schedule").get_data(as_text=True)
    assert client.post(f"/staff/desks/{desk.id}/schedule", data={**data, "operator": "999"}).status_code == 422
    assert client.post(f"/staff/desks/{desk.id}/schedule/{rule.id}/delete").status_code == 303
    assert free_on(desk, friday) == []
