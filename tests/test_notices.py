"""Reminders for every area (timing under a frozen clock, once, preferences, unsubscribe), the one
phone list and the staff member's day with its daily sheet."""

import re
import subprocess
from datetime import date, datetime, timedelta

import pytest

from portal import areas, reminders
from portal.clock import to_utc, utcnow
from portal.models import OutboxMessage, PhoneCallLog, ReminderOptOut, SentNotice, Site

# Pinned to the suite's default instant (a Tuesday in November), whatever BINARI_TEST_NOW says:
# reminder timing is about weekdays and the demo data's dates.
pytestmark = pytest.mark.clock("2026-11-17T10:00")


def run_jobs(prefix=""):
    """Run every area's jobs (or those whose name starts with prefix) now, as the scheduler would."""
    return sum(job.run(utcnow()) for _area, job in areas.jobs() if job.name.startswith(prefix))


def reminder_mails(to=None):
    query = OutboxMessage.select().where(OutboxMessage.kind == "reminder")
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(query.order_by(OutboxMessage.id))


def at(day, hour, minute=0):
    """A naive UTC instant from a Milan wall-clock day and hour."""
    from datetime import time

    return to_utc(day, time(hour, minute))


# --- events ----------------------------------------------------------------------------------------
@pytest.fixture
def evening_event(seed):
    """An event on Thursday 19 November at 18:00 in Faenza, with Maria (e-mail) and Ahmed (phone only)."""
    from portal.events import services
    from portal.events.models import Event, Registration

    start = at(date(2026, 11, 19), 18)
    event = Event.create(
        site=seed["sites"]["faenza"],
        title="Cena sociale",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=10,
    )
    users = seed["users"]
    maria = services.register(event.id, "Maria Rossi", email="maria@binari.example", user=users["maria@binari.example"])
    ahmed = services.register(event.id, "Ahmed", phone="+393331234567", user=users["+393331234567"])
    return event, maria, ahmed, Registration


def test_event_reminder_on_the_milan_day_before_once(app, evening_event, frozen_clock):
    event, maria, ahmed, _reg = evening_event
    assert run_jobs("events-remind") == 0  # Tuesday: two days before, nothing
    frozen_clock.move_to(datetime(2026, 11, 18, 6, 30))  # Wednesday 07:30 in Milan: before the morning
    assert run_jobs("events-remind") == 0 and reminder_mails() == []
    frozen_clock.move_to(datetime(2026, 11, 18, 8, 5))  # 09:05 in Milan
    assert run_jobs("events-remind") == 2  # Maria by mail, Ahmed on the phone list
    assert run_jobs("events-remind") == 0  # twice: nothing twice
    mails = reminder_mails()
    assert [m.to_address for m in mails] == ["maria@binari.example"]
    mail = mails[0]
    assert "Cena sociale" in mail.body and mail.site_id == event.site_id and mail.language == "it"
    assert mail.unsubscribe_url.startswith("http") and "/unsubscribe/" in mail.unsubscribe_url
    assert mail.unsubscribe_url in mail.body
    phone = SentNotice.get(SentNotice.channel == "phone")
    assert phone.name == "Ahmed" and phone.phone == "+393331234567" and "Cena sociale" in phone.reason


@pytest.mark.clock("2026-11-18T10:00")
def test_event_reminder_in_the_recipients_language_with_links_from_base_url(app, evening_event):
    _event, maria, _ahmed, Registration = evening_event
    app.config["BASE_URL"] = "https://binari.example.org"
    Registration.update(language="en").where(Registration.id == maria.id).execute()
    maria.user.language = "en"
    maria.user.save()
    run_jobs("events-remind")
    mail = reminder_mails()[0]
    assert mail.language == "en" and "reminder" in mail.subject.lower()
    assert mail.unsubscribe_url.startswith("https://binari.example.org/unsubscribe/")


@pytest.mark.clock("2026-11-18T10:00")
def test_preference_off_means_no_reminder(app, evening_event, client, auth):
    auth.login("maria@binari.example")
    page = client.get("/account/reminders").get_data(as_text=True)
    assert 'value="events_day_before" checked' in page
    wanted = [k.key for k in areas.reminder_kinds() if k.key != "events_day_before"]
    assert client.post("/account/reminders", data={"kind": wanted}).status_code == 303
    assert 'value="events_day_before" checked' not in client.get("/account/reminders").get_data(as_text=True)
    run_jobs("events-remind")
    assert reminder_mails("maria@binari.example") == []
    client.post("/account/reminders", data={"kind": wanted + ["events_day_before"]})
    assert not ReminderOptOut.select().exists()


@pytest.mark.clock("2026-11-18T10:00")
def test_unsubscribe_get_writes_nothing_post_switches_off(app, evening_event, client):
    run_jobs("events-remind")
    path = reminder_mails()[0].unsubscribe_url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    assert not ReminderOptOut.select().exists()  # a GET never writes
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", without a form token.
    app.config["WTF_CSRF_ENABLED"] = True
    done = client.post("/" + path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    user_id = evening_event[1].user_id
    assert ReminderOptOut.get().who == f"u{user_id}" and ReminderOptOut.get().kind == "events_day_before"
    client.post("/" + path, data={"List-Unsubscribe": "One-Click"})  # twice: the same
    assert ReminderOptOut.select().count() == 1
    assert client.get("/unsubscribe/not-a-token").status_code == 404


# --- library -----------------------------------------------------------------------------------------
@pytest.fixture
def library(seed):
    from portal.library.models import Copy, Library, Loan, Title

    lib = Library.for_site(seed["sites"]["erlembaldo"])
    title = Title(library=lib, title="Gomorra", authors="Roberto Saviano")
    title.save()
    copies = [Copy.create(title=title, barcode=f"C00{n}") for n in (1, 2)]
    maria = seed["users"]["maria@binari.example"]
    ahmed = seed["users"]["+393331234567"]
    # Due Friday 20 November (3 days after Tuesday 17): the due-soon reminder goes out on the 17th.
    soon = Loan.create(copy=copies[0], member=maria, library=lib, due_date=date(2026, 11, 20))
    late = Loan.create(copy=copies[1], member=ahmed, library=lib, due_date=date(2026, 11, 18))
    return lib, soon, late


def test_library_due_in_three_days_then_overdue(app, library, frozen_clock):
    _lib, soon, late = library
    frozen_clock.move_to(datetime(2026, 11, 16, 9))  # Monday: 4 days before
    assert run_jobs("library-reminders") == 0
    frozen_clock.move_to(datetime(2026, 11, 17, 9))  # Tuesday 10:00: 3 days before
    assert run_jobs("library-reminders") == 1
    assert run_jobs("library-reminders") == 0
    assert [m.subject for m in reminder_mails()] == ["Biblioteca: prestito in scadenza"]
    frozen_clock.move_to(datetime(2026, 11, 18, 9))  # Ahmed's due day: not yet overdue
    assert run_jobs("library-reminders") == 0
    frozen_clock.move_to(datetime(2026, 11, 19, 9))  # the day after: overdue, phone list (no e-mail)
    assert run_jobs("library-reminders") == 1
    entry = SentNotice.get(SentNotice.channel == "phone")
    assert entry.kind == "library_overdue" and "Gomorra" in entry.reason
    frozen_clock.move_to(datetime(2026, 11, 21, 9))  # Maria overdue too: once, by mail
    assert run_jobs("library-reminders") == 1
    assert run_jobs("library-reminders") == 0
    assert [m.subject for m in reminder_mails()][-1] == "Biblioteca: libro da restituire"


def test_library_hold_last_day_reminder(app, library, seed, frozen_clock):
    from portal.library.models import Hold

    lib, soon, _late = library
    maria = seed["users"]["maria@binari.example"]
    Hold.create(
        title=soon.copy.title,
        member=maria,
        position=1,
        status="ready",
        copy=soon.copy,
        ready_at=utcnow(),
        expires_at=at(date(2026, 11, 20), 19),
    )
    frozen_clock.move_to(datetime(2026, 11, 18, 9))
    assert run_jobs("library-reminders") == 0
    frozen_clock.move_to(datetime(2026, 11, 19, 9))  # the last day is tomorrow
    run_jobs("library-reminders")
    assert "Biblioteca: ultimo giorno per ritirare il libro" in [m.subject for m in reminder_mails()]


# --- bookings -----------------------------------------------------------------------------------------
@pytest.fixture
def visconti(seed):
    from portal.bookings.models import Booking, Loan, Resource

    site = seed["sites"]["visconti"]
    desk = Resource.create(site=site, kind="desk", name="Postazione 1")
    maria = seed["users"]["maria@binari.example"]
    day = date(2026, 11, 19)
    booking = Booking.create(
        user=maria, resource=desk, day=day, slot="am", starts_at=at(day, 9), ends_at=at(day, 13), created_at=utcnow()
    )
    loan = Loan.create(user=maria, site=site, pickup_at=at(date(2026, 11, 16), 10), return_at=at(day, 17), status="out")
    return site, booking, loan


def test_bookings_day_before_due_tomorrow_then_overdue(app, visconti, frozen_clock):
    assert run_jobs("bookings-reminders") == 0  # Tuesday: Thursday is not tomorrow
    frozen_clock.move_to(datetime(2026, 11, 18, 9))  # Wednesday 10:00
    assert run_jobs("bookings-reminders") == 2
    assert run_jobs("bookings-reminders") == 0
    subjects = sorted(m.subject for m in reminder_mails())
    assert subjects == ["Binari: attrezzatura da restituire domani", "Binari: promemoria della prenotazione di domani"]
    frozen_clock.move_to(datetime(2026, 11, 19, 18))  # Thursday 19:00: an hour late
    assert run_jobs("bookings-reminders") == 1
    frozen_clock.move_to(datetime(2026, 11, 20, 9))
    assert run_jobs("bookings-reminders") == 0  # overdue: once
    assert reminder_mails()[-1].subject == "Binari: attrezzatura da restituire"


# --- volunteer ---------------------------------------------------------------------------------------
@pytest.fixture
def shift(seed):
    from portal.volunteer.models import Opportunity, Shift, Signup

    opp = Opportunity.create(site=seed["sites"]["faenza"], title="Distribuzione pacchi")
    start = at(date(2026, 11, 20), 9)  # Friday 09:00
    sh = Shift.create(opportunity=opp, starts_at=start, ends_at=start + timedelta(hours=3), capacity=4, taken=1)
    maria = seed["users"]["maria@binari.example"]
    Signup.create(shift=sh, user=maria, name="Maria Rossi", email="maria@binari.example", key_user=maria.id)
    return sh


def test_shift_reminders_48_and_24_hours_before(app, shift, frozen_clock):
    frozen_clock.move_to(datetime(2026, 11, 18, 7))  # Wednesday 08:00: 49 h before
    assert run_jobs("volunteer-reminders") == 0
    frozen_clock.move_to(datetime(2026, 11, 18, 8, 30))  # 47.5 h before
    assert run_jobs("volunteer-reminders") == 1
    assert run_jobs("volunteer-reminders") == 0
    frozen_clock.move_to(datetime(2026, 11, 19, 7, 30))  # 24.5 h before: nothing new
    assert run_jobs("volunteer-reminders") == 0
    frozen_clock.move_to(datetime(2026, 11, 19, 8, 30))  # 23.5 h before
    assert run_jobs("volunteer-reminders") == 1
    assert run_jobs("volunteer-reminders") == 0
    assert [m.subject for m in reminder_mails()] == [
        "Volontariato: il tuo turno tra due giorni",
        "Volontariato: il tuo turno domani",
    ]


def test_no_reminder_at_night(app, shift, frozen_clock):
    frozen_clock.move_to(datetime(2026, 11, 19, 21, 30))  # 22:30 in Milan, 10.5 h before
    assert run_jobs("volunteer-reminders") == 0
    frozen_clock.move_to(datetime(2026, 11, 19, 23, 30))  # 00:30
    assert run_jobs("volunteer-reminders") == 0


# --- the phone list ------------------------------------------------------------------------------------
@pytest.mark.clock("2026-11-18T10:00")
def test_phone_list_scoped_by_centre_and_phoned_record(app, evening_event, client, auth):
    run_jobs("events-remind")  # Ahmed (no e-mail) goes on the list of Faenza
    auth.login("visconti@staff.binari.example")
    assert "Ahmed" not in client.get("/staff/phone").get_data(as_text=True)
    entry = SentNotice.get(SentNotice.channel == "phone")
    refused = client.post(
        "/staff/phone/done", data={"area": "events", "key": f"reminder:{entry.id}", "outcome": "told"}
    )
    assert refused.status_code == 404 and not PhoneCallLog.select().exists()
    assert client.get("/staff/phone?site=faenza").status_code == 403
    auth.logout()
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff/phone").get_data(as_text=True)
    assert "Ahmed" in html and 'href="tel:+393331234567"' in html and "Cena sociale" in html
    assert client.post(
        "/staff/phone/done", data={"area": "events", "key": f"reminder:{entry.id}", "outcome": "no_answer"}
    )
    log = PhoneCallLog.get()
    assert log.outcome == "no_answer" and log.phoned_by.email == "faenza@staff.binari.example"
    response = client.post(
        "/staff/phone/done", data={"area": "events", "key": f"reminder:{entry.id}", "outcome": "told"}
    )
    assert response.status_code == 303
    html = client.get("/staff/phone").get_data(as_text=True)
    assert "Telefonato" in html and "Marco Ferri" in html and "Non risponde" in html
    assert "Fatto: ho telefonato<span" not in html  # done: no button any more


def test_area_entries_on_the_core_list_are_marked_in_the_area(app, seed, client, auth):
    from portal.events import services
    from portal.events.models import Event, Registration

    start = utcnow() + timedelta(days=3)
    event = Event.create(
        site=seed["sites"]["faenza"],
        title="Tombola",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=1,
    )
    services.register(event.id, "Rosa", email="rosa@example.org")
    jun = services.register(event.id, "Jun Li", phone="+393471112222")
    assert jun.status == "waitlist"
    services.cancel_registration(Registration.get(Registration.name == "Rosa"))
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff/phone?area=events").get_data(as_text=True)
    assert "Jun Li" in html and "Tombola" in html
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)
    assert client.post("/staff/phone/done", data={"area": "events", "key": key, "outcome": "told"}).status_code == 303
    assert Registration.get_by_id(jun.id).call_reason == ""
    assert PhoneCallLog.get().record_key == key


# --- the staff member's day ------------------------------------------------------------------------------
@pytest.fixture
def busy_day(seed, evening_event, visconti, shift):
    """Thursday 19 November: an event in Faenza, a desk booking and a return in Visconti, a shift in Faenza."""
    return date(2026, 11, 19)


def test_day_view_of_a_faenza_staff_member_shows_only_faenza(app, busy_day, client, auth):
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff?day=2026-11-19").get_data(as_text=True)
    assert "Cena sociale" in html and "2/10 iscritti" in html
    assert "Distribuzione pacchi" in client.get("/staff?day=2026-11-20").get_data(as_text=True)
    assert "Postazione 1" not in html and "Maria Rossi" not in html  # Visconti's
    assert client.get("/staff?site=visconti&day=2026-11-19").status_code == 403
    today = client.get("/staff").get_data(as_text=True)  # Tuesday: nothing on
    assert "Cena sociale" not in today and "Nessun evento in questo giorno." in today
    bad = client.get("/staff?day=giovedi")
    assert bad.status_code == 400 and "AAAA-MM-GG" in bad.get_data(as_text=True)


def test_day_view_switches_centre_for_multi_centre_staff(app, busy_day, client, auth):
    auth.login("coordinamento@staff.binari.example")
    html = client.get("/staff?site=visconti&day=2026-11-19").get_data(as_text=True)
    assert "Postazione 1 · Maria Rossi" in html and "Restituzione: Maria Rossi" in html
    assert "Cena sociale" not in html
    assert 'name="site"' in html and "Giorno dopo" in html


def pdf_text(client, path, tmp_path):
    """The text of a PDF answer (pdftotext)."""
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(client.get(path).data)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_daily_sheet_pdf(app, busy_day, client, auth, tmp_path, frozen_clock):
    frozen_clock.move_to(datetime(2026, 11, 18, 9))
    run_jobs("events-remind")  # Ahmed, without e-mail, is to be phoned about tomorrow's dinner
    auth.login("faenza@staff.binari.example")
    response = client.get("/staff/day.pdf?site=faenza&day=2026-11-19")
    assert "Distribuzione pacchi" in pdf_text(client, "/staff/day.pdf?site=faenza&day=2026-11-20", tmp_path)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    pdf = tmp_path / "day.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Cena sociale" in text and "2/10 iscritti" in text and "Postazione" not in text
    assert "Ahmed" in text and "Promemoria: domani «Cena sociale»" in text  # the reminder to give by phone
    assert client.get("/staff/day.pdf?site=visconti").status_code == 403


def test_reminders_erase_with_the_account(app, evening_event, seed, frozen_clock):
    from portal.privacy import delete_account

    frozen_clock.move_to(datetime(2026, 11, 18, 9))
    run_jobs("events-remind")
    ahmed = seed["users"]["+393331234567"]
    reminders.switch_off(reminders.who_of(ahmed), "library_overdue")
    PhoneCallLog.create(area="events", record_key="reg:1:promoted", name=ahmed.name, reason="Cena sociale")
    delete_account(ahmed)
    assert PhoneCallLog.get().name == "" and PhoneCallLog.get().reason == ""
    entry = SentNotice.get(SentNotice.channel == "phone")
    assert entry.name == "" and entry.phone == "" and entry.user_id is None
    assert not ReminderOptOut.select().where(ReminderOptOut.who == f"u{ahmed.id}").exists()
    assert Site.select().count() == 3


# --- confirmations and changes --------------------------------------------------------------------------
@pytest.mark.clock("2026-11-18T10:00")
def test_event_changed_tells_people_and_reminds_again_for_the_new_day(app, evening_event, seed):
    from portal.events import services
    from portal.events.models import Event, Registration

    event, maria, ahmed, _reg = evening_event
    assert run_jobs("events-remind") == 2
    values = {f: getattr(event, f) for f in ("title", "capacity")}
    values.update(site=event.site_id, room=None, partner=None)
    with app.test_request_context():
        services.update_event(Event.get_by_id(event.id), values, date(2026, 11, 20), time_(18), time_(20), "published")
    changed = OutboxMessage.get(OutboxMessage.subject == "Binari: «Cena sociale» è cambiato")
    assert changed.to_address == "maria@binari.example" and "venerdì 20 novembre" in changed.body
    assert changed.site_id == event.site_id
    assert Registration.get_by_id(ahmed.id).call_reason == "changed"
    assert Registration.get_by_id(maria.id).reminded_at is None
    assert run_jobs("events-remind") == 0  # Friday is not tomorrow yet


def time_(hour):
    from datetime import time

    return time(hour)


def test_desk_booking_and_member_shift_signup_are_confirmed_by_mail(app, seed):
    from portal.bookings import services as bookings
    from portal.bookings.models import Resource
    from portal.volunteer import services as volunteer
    from portal.volunteer.models import Opportunity, Shift

    maria = seed["users"]["maria@binari.example"]
    site = seed["sites"]["visconti"]
    Resource.create(site=site, kind="desk", name="Postazione 1")
    day = date(2026, 11, 19)
    bookings.book_slot(maria, site, "desk", day, "am")
    mail = OutboxMessage.get(OutboxMessage.subject == "Binari: prenotazione confermata")
    assert mail.to_address == "maria@binari.example" and "Postazione 1" in mail.body and mail.site_id == site.id
    opp = Opportunity.create(site=seed["sites"]["faenza"], title="Distribuzione pacchi")
    start = at(date(2026, 11, 20), 9)
    shift = Shift.create(opportunity=opp, starts_at=start, ends_at=start + timedelta(hours=3), capacity=4)
    volunteer.join_shift(shift, user=maria)
    mail = OutboxMessage.get(OutboxMessage.subject.contains("sei iscritta/o al turno"))
    assert mail.to_address == "maria@binari.example" and "/volunteer" in mail.body


def test_switched_off_reminders_are_in_the_data_export(app, seed, client, auth):
    maria = seed["users"]["maria@binari.example"]
    reminders.switch_off(reminders.who_of(maria), "library_overdue")
    auth.login("maria@binari.example")
    data = client.get("/account/export.json").get_json()
    assert [row["kind"] for row in data["reminders_off"]] == ["library_overdue"]
    assert "Promemoria che hai disattivato" in client.get("/account/data").get_data(as_text=True)


def test_mail_links_come_from_base_url_never_the_request(app, seed, client):
    from portal.events.models import Event

    app.config["BASE_URL"] = "https://binari.example.org"
    start = utcnow() + timedelta(days=3)
    event = Event.create(
        site=seed["sites"]["faenza"],
        title="Tombola",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=5,
    )
    from portal.events import services

    with app.test_request_context("/", base_url="http://evil.example"):
        services.sign_up(event, "Rosa", email="rosa@example.org")
    body = OutboxMessage.get(OutboxMessage.to_address == "rosa@example.org").body
    assert "https://binari.example.org/events/registration/" in body and "evil.example" not in body


def test_day_phone_and_reminder_pages_within_budget_and_labelled(app, busy_day, client, auth):
    from test_pages import check_page

    run_jobs()
    auth.login("coordinamento@staff.binari.example")
    for path in ("/staff?site=faenza&day=2026-11-19", "/staff?site=visconti&day=2026-11-19", "/staff/phone"):
        check_page(client, path)
    auth.logout()
    auth.login("maria@binari.example")
    check_page(client, "/account/reminders")


@pytest.mark.clock("2027-03-28T09:00")
def test_day_before_follows_milan_days_across_the_clock_change(app, seed):
    """28 March 2027 has 23 hours in Milan: tomorrow starts at 22:00 UTC, not 23:00."""
    from portal.events import services
    from portal.events.models import Event, Registration

    titles = {"Tardi oggi": at(date(2027, 3, 28), 23, 30), "Presto domani": at(date(2027, 3, 29), 0, 30)}
    for title, start in titles.items():
        event = Event.create(
            site=seed["sites"]["faenza"],
            title=title,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status="published",
            capacity=5,
        )
        services.register(event.id, title, email=f"{title[0].lower()}@example.org")
    Registration.update(created_at=utcnow() - timedelta(days=3)).execute()
    assert run_jobs("events-remind") == 1
    assert "Presto domani" in reminder_mails()[0].body


@pytest.mark.clock("2026-11-18T10:00")
def test_a_reminder_to_phone_leaves_the_list_after_a_week(app, evening_event, client, auth, frozen_clock):
    run_jobs("events-remind")
    auth.login("faenza@staff.binari.example")
    assert "Cena sociale" in client.get("/staff/phone?area=events").get_data(as_text=True)
    frozen_clock.move_to(datetime(2026, 11, 25, 12))
    assert "Cena sociale" not in client.get("/staff/phone?area=events").get_data(as_text=True)


@pytest.mark.clock("2026-11-18T10:00")
def test_phone_reasons_are_shown_in_the_readers_language(app, evening_event, client, auth, seed):
    """A reminder's reason is kept as a msgid and its parameters: staff reading in English (or Arabic)
    see it in their language, before and after the call; rows written before keep their Italian text."""
    from flask_babel import force_locale

    from portal.models import User
    from portal.phrases import loads

    event, _maria, _ahmed, _reg = evening_event
    event.title = "Cena <b>sociale</b>"
    event.save()
    run_jobs("events-remind")  # Ahmed (no e-mail) goes on the list of Faenza
    entry = SentNotice.get(SentNotice.channel == "phone")
    assert entry.reason == "Promemoria: domani «Cena <b>sociale</b>» alle 18:00"  # Italian, as before
    assert loads(entry.reason_phrase).msgid == "Promemoria: domani «%(title)s» alle %(time)s"
    old = SentNotice.create(
        key="old:1", kind="events_day_before", channel="phone", site=entry.site_id, name="Vecchia Riga",
        phone="+393330000000", reason="Promemoria scritto in italiano",
    )  # fmt: skip
    staff = User.get(User.email == "faenza@staff.binari.example")
    User.update(language="en").where(User.id == staff.id).execute()
    auth.login("faenza@staff.binari.example")
    html = client.get("/staff/phone").get_data(as_text=True)
    assert "Reminder: “Cena &lt;b&gt;sociale&lt;/b&gt;” tomorrow at 18:00" in html
    assert "Promemoria: domani" not in html and "<b>sociale" not in html
    assert "Promemoria scritto in italiano" in html  # an old row: as it was written

    client.post("/staff/phone/done", data={"area": "events", "key": f"reminder:{entry.id}", "outcome": "told"})
    log = PhoneCallLog.get(PhoneCallLog.record_key == f"reminder:{entry.id}")
    assert log.reason == entry.reason and log.reason_phrase  # kept untranslated with the call
    client.post("/staff/phone/done", data={"area": "events", "key": f"reminder:{old.id}", "outcome": "told"})
    assert PhoneCallLog.get(PhoneCallLog.record_key == f"reminder:{old.id}").reason_phrase == ""
    with app.test_request_context(), force_locale("ar"):
        assert str(log.shown_reason) == "تذكير: غدًا «Cena <b>sociale</b>» الساعة 18:00"
        assert PhoneCallLog.get(PhoneCallLog.record_key == f"reminder:{old.id}").shown_reason == (
            "Promemoria scritto in italiano"
        )

    # An area's own entry (a place from the waiting list) is kept with its call in the same way.
    from portal.events import services
    from portal.events.models import Registration

    event.capacity = 1
    event.save()
    Registration.update(status="waitlist").where(Registration.name == "Ahmed").execute()
    services.cancel_registration(Registration.get(Registration.name == "Maria Rossi"))
    html = client.get("/staff/phone?area=events").get_data(as_text=True)
    assert "Has a seat for “Cena &lt;b&gt;sociale&lt;/b&gt;” (from the waiting list)" in html
    key = next(k for k in re.findall(r'name="key" value="([^"]+)"', html) if k.startswith("reg:"))
    client.post("/staff/phone/done", data={"area": "events", "key": key, "outcome": "told"})
    assert Registration.get(Registration.name == "Ahmed").call_reason == ""  # off the list: under the calls made
    html = client.get("/staff/phone?area=events").get_data(as_text=True)
    assert "Has a seat for “Cena &lt;b&gt;sociale&lt;/b&gt;” (from the waiting list)" in html
    with app.test_request_context(), force_locale("ar"):
        assert "من قائمة الانتظار" in str(PhoneCallLog.get(PhoneCallLog.record_key == key).shown_reason)
