"""Equipment dates as residents and staff meet them: check days on the calendar, days picked by
links (no JavaScript), a refusal that names the day and offers the nearest free period, staff moving
a loan or handing it over early. The clock is fixed in December 2026 (Visconti: Monday to Friday)."""

import re
from datetime import date, time
from types import SimpleNamespace

import pytest
from babel.dates import format_date

from portal.bookings import services
from portal.bookings.bulk import insert_loan
from portal.bookings.models import Item, ItemClaim, Kit, KitItem, Loan, WeeklyCount
from portal.clock import local_date, to_utc
from portal.models import AuditEntry, OutboxMessage, Site, User

DECEMBER = pytest.mark.clock("2026-12-01T10:00")  # a Tuesday


@pytest.fixture
def eq(seed):
    """Visconti's camera and microphone (also a kit); Maria has e-mail, Ahmed only a phone."""
    site = Site.get(Site.slug == "visconti")
    cam = Item.create(site=site, name="Videocamera", deposit=100)
    mic = Item.create(site=site, name="Microfono")
    kit = Kit.create(site=site, name="Kit intervista")
    for item in (cam, mic):
        KitItem.create(kit=kit, item=item)
    return SimpleNamespace(
        site=site,
        cam=cam,
        mic=mic,
        kit=kit,
        maria=User.get(User.email == "maria@binari.example"),
        ahmed=User.get(User.phone == "+393331234567"),
    )


def dec(day):
    return date(2026, 12, day)


def loan_on(eq, user, first, last, status="approved", items=None):
    return insert_loan(user.id, eq.site, items or [eq.cam], dec(first), time(15), dec(last), time(16), status)


def text(response):
    return response.get_data(as_text=True)


def ask(client, thing, first, last, pickup_time="15:00", return_time="16:00", kind="items"):
    return client.post(
        f"/equipment/{kind}/{thing.id}",
        data={
            "pickup_day": dec(first).isoformat(),
            "pickup_time": pickup_time,
            "return_day": dec(last).isoformat(),
            "return_time": return_time,
        },
    )


def cell(html, day):
    """(classes, content) of the calendar cell of `day`, found by its spoken label."""
    label = format_date(dec(day), "EEEE d MMMM y", locale="it")
    for classes, content in re.findall(r'<td class="([^"]*)"[^>]*>(.*?)</td>', html, re.S):
        if f"> {label}:" in content:
            return classes.split(), content
    raise AssertionError(f"no calendar cell for {label}")


def link_of(content):
    found = re.search(r'href="([^"]+)"', content)
    return found.group(1).replace("&amp;", "&") if found else None


def field_value(html, name):
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


# --- the calendar: check days, picking by links -------------------------------------------------


@DECEMBER
def test_calendar_shows_check_days_with_a_legend(client, eq):
    loan_on(eq, eq.ahmed, 16, 16)  # claims 16 and its check day 17
    html = text(client.get(f"/equipment/items/{eq.cam.id}"))
    assert "busy" in cell(html, 16)[0]
    assert "check" in cell(html, 17)[0]  # the check day after that loan
    assert "check" in cell(html, 15)[0]  # free, but a loan ending on it would need the 16th for its check
    assert "giorno di controllo" in cell(html, 17)[1]  # said in words, not by colour alone
    assert "free" in cell(html, 14)[0] and "closed" in cell(html, 12)[0]
    assert "tra un prestito e l'altro per controllare" in html.replace("&#39;", "'")  # the legend explains it
    # Free days are links; held and closed days are not.
    assert link_of(cell(html, 14)[1]).endswith("?start=2026-12-14#calendario")
    assert link_of(cell(html, 15)[1]) is None and link_of(cell(html, 17)[1]) is None
    assert link_of(cell(html, 12)[1]) is None


@DECEMBER
def test_picking_start_and_end_by_links_fills_the_form_without_javascript(client, auth, eq):
    loan_on(eq, eq.ahmed, 16, 16)
    auth.login()
    before = (Loan.select().count(), ItemClaim.select().count())
    html = text(client.get(f"/equipment/items/{eq.cam.id}"))
    html = text(client.get(link_of(cell(html, 10)[1])))
    assert "Ritiro: giovedì 10 dicembre 2026" in html
    assert field_value(html, "pickup_day") == "2026-12-10"
    assert "chosen" in cell(html, 10)[0]
    # End links: the same day, Friday, and Monday 14 (its check day, the 15th, is free); not the 15th
    # (its check day is taken), nor the weekend (closed).
    ends = {day: link_of(cell(html, day)[1]) for day in (10, 11, 12, 14, 15)}
    assert ends[11].endswith("start=2026-12-10&end=2026-12-11#richiesta")
    assert ends[10] and ends[14] and ends[12] is None and ends[15] is None
    html = text(client.get(ends[14]))
    assert field_value(html, "pickup_day") == "2026-12-10" and field_value(html, "return_day") == "2026-12-14"
    assert all("chosen" in cell(html, day)[0] for day in (10, 11, 12, 13, 14))
    assert "Hai scelto dal giovedì 10 dicembre 2026 al lunedì 14 dicembre 2026" in html
    assert (Loan.select().count(), ItemClaim.select().count()) == before  # GETs wrote nothing
    # The form stays a real form: the days picked, the times typed, then sent.
    response = ask(client, eq.cam, 10, 14)
    assert response.status_code == 303
    # A day that is not a date: 400 with a message, never a 500.
    assert client.get(f"/equipment/items/{eq.cam.id}?start=nope").status_code == 400


@DECEMBER
def test_htmx_tap_gets_the_page_and_swaps_the_calendar_part(client, eq):
    html = text(client.get(f"/equipment/kits/{eq.kit.id}?start=2026-12-14", headers={"HX-Request": "true"}))
    assert 'id="pick"' in html and 'data-hx-select="#pick"' in html
    assert "chosen" in cell(html, 14)[0]


# --- the refusal: the exact day, the nearest free period ------------------------------------


@DECEMBER
def test_conflict_names_the_check_day_and_offers_the_nearest_free_period(client, auth, eq):
    loan_on(eq, eq.ahmed, 16, 16)
    auth.login()
    response = ask(client, eq.cam, 14, 15)
    html = text(response)
    assert response.status_code == 409
    assert "mercoledì 16 dicembre 2026 è già occupata da un altro prestito" in html
    assert "guarda il calendario" not in html
    # Input kept.
    assert field_value(html, "pickup_day") == "2026-12-14" and field_value(html, "pickup_time") == "15:00"
    # The nearest two-day period: Thursday 10 and Friday 11 (the 12th is the free check day); then 21-22.
    offers = re.findall(r'<ul class="alternatives">(.*?)</ul>', html, re.S)[0]
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', offers)]
    assert "start=2026-12-10&end=2026-12-11" in links[0] and "pickup_time=15:00" in links[0]
    assert "start=2026-12-21&end=2026-12-22" in links[1]
    assert "dal giovedì 10 dicembre 2026 al venerdì 11 dicembre 2026" in offers
    assert Loan.select().where(Loan.user == eq.maria).count() == 0
    # One tap: the form comes back filled, one more and it is sent.
    page = text(client.get(links[0]))
    assert field_value(page, "pickup_day") == "2026-12-10" and field_value(page, "return_day") == "2026-12-11"
    assert field_value(page, "pickup_time") == "15:00" and field_value(page, "return_time") == "16:00"
    assert ask(client, eq.cam, 10, 11).status_code == 303


@DECEMBER
def test_conflict_on_a_loan_day_in_the_readers_language(client, auth, eq):
    loan_on(eq, eq.ahmed, 15, 15, items=[eq.mic])
    User.update(language="es").where(User.id == eq.maria.id).execute()
    auth.login()
    response = ask(client, eq.kit, 14, 15, kind="kits")
    assert response.status_code == 409
    assert "ya está reservado o prestado el martes, 15 de diciembre de 2026." in text(response)
    User.update(language="en").where(User.id == eq.maria.id).execute()
    assert "already booked or on loan on Tuesday 15 December 2026." in text(ask(client, eq.kit, 14, 15, kind="kits"))


# --- staff: move the dates, hand over early -------------------------------------------------


def move(client, loan, first, last, pickup_time="15:00", return_time="16:00"):
    return client.post(
        f"/staff/bookings/loans/{loan.id}/move",
        data={
            "pickup_day": dec(first).isoformat(),
            "pickup_time": pickup_time,
            "return_day": dec(last).isoformat(),
            "return_time": return_time,
        },
    )


def claimed(loan):
    return sorted(
        local_day.day for (local_day,) in ItemClaim.select(ItemClaim.day).where(ItemClaim.loan == loan.id).tuples()
    )


@DECEMBER
def test_staff_move_an_approved_loan_within_the_rules(app, client, auth, eq):
    loan = loan_on(eq, eq.maria, 14, 15)
    auth.login("visconti@staff.binari.example")
    page = text(client.get(f"/staff/bookings/loans/{loan.id}"))
    assert "Sposta le date" in page and field_value(page, "pickup_day") == "2026-12-14"
    assert "free" in cell(page, 15)[0]  # its own days count as free where staff move it
    assert move(client, loan, 21, 22, "10:00", "18:00").status_code == 303
    loan = Loan.get_by_id(loan.id)
    assert loan.pickup_at == to_utc(dec(21), time(10)) and loan.return_at == to_utc(dec(22), time(18))
    assert claimed(loan) == [21, 22, 23] and loan.status == "approved" and loan.moved_at is not None
    # The resident's calendar feed shows the new dates, stamped with the change.
    with app.test_request_context():
        pickup = next(e for e in services.calendar_entries(eq.maria.id, "x") if e.uid == f"loan-{loan.id}-pickup")
    assert pickup.starts_at == loan.pickup_at and pickup.changed_at == loan.moved_at
    mail = OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example")
    assert "21/12/2026 10:00" in mail.body and "22/12/2026 18:00" in mail.body
    entry = AuditEntry.get(AuditEntry.action == "bookings.loan_moved")
    assert entry.subject_user_id == eq.maria.id and entry.record == f"bookings.loan:{loan.id}"
    # The week's count followed the pickup.
    assert WeeklyCount.get(WeeklyCount.week == dec(21)).taken == 1


@DECEMBER
def test_staff_move_refused_outside_the_rules(client, auth, eq):
    loan = loan_on(eq, eq.maria, 14, 15, status="requested")
    loan_on(eq, eq.ahmed, 22, 22)  # holds 22 and its check day 23
    auth.login("visconti@staff.binari.example")
    response = move(client, loan, 19, 19)  # a Saturday
    assert response.status_code == 422 and "orario di apertura" in text(response)
    response = move(client, loan, 14, 23)
    assert response.status_code == 422 and "al massimo 7 giorni" in text(response)
    response = move(client, loan, 18, 21)  # its check day would be the 22nd
    html = text(response)
    assert response.status_code == 409 and "martedì 22 dicembre 2026" in html
    assert "start=2026-12-17&amp;end=2026-12-21" not in html  # offers are free periods only
    assert 'class="alternatives"' in html
    assert field_value(html, "pickup_day") == "2026-12-18"  # input kept
    assert claimed(Loan.get_by_id(loan.id)) == [14, 15, 16]  # nothing changed
    assert not OutboxMessage.select().exists() and not AuditEntry.select().exists()
    response = move(client, loan, 14, 15)
    assert response.status_code == 422 and "stesse date" in text(response)


@DECEMBER
def test_resident_without_email_goes_on_the_phone_list(client, auth, eq, app):
    loan = loan_on(eq, eq.ahmed, 14, 15)
    auth.login("visconti@staff.binari.example")
    response = move(client, loan, 9, 10)
    assert response.status_code == 303
    assert Loan.get_by_id(loan.id).phone_notice == "moved"
    phone = text(client.get("/staff/phone?area=bookings"))
    assert "Ahmed Haddad" in phone and "Prestito spostato" in phone


@DECEMBER
def test_other_centre_staff_get_403_and_admins_may(client, auth, eq):
    loan = loan_on(eq, eq.maria, 14, 15)
    auth.login("faenza@staff.binari.example")
    assert client.get(f"/staff/bookings/loans/{loan.id}").status_code == 403
    assert move(client, loan, 21, 22).status_code == 403
    checkout = client.post(
        f"/staff/bookings/loans/{loan.id}/checkout", data={"items": [eq.cam.id], "deposit": "0", "early": "1"}
    )
    assert checkout.status_code == 403
    assert claimed(Loan.get_by_id(loan.id)) == [14, 15, 16]
    auth.logout()
    auth.login("admin@binari.example")
    assert move(client, loan, 21, 22).status_code == 303


@pytest.mark.clock("2026-12-10T10:00")
def test_staff_hand_over_early(client, auth, eq):
    loan = loan_on(eq, eq.maria, 14, 15)
    auth.login("visconti@staff.binari.example")
    page = text(client.get(f"/staff/bookings/loans/{loan.id}"))
    assert "Consegna in anticipo" in page
    data = {"items": [eq.cam.id], "deposit": "100"}
    response = client.post(f"/staff/bookings/loans/{loan.id}/checkout", data=data)
    assert response.status_code == 422 and "Consegna in anticipo" in text(response)  # only on purpose
    assert client.post(f"/staff/bookings/loans/{loan.id}/checkout", data={**data, "early": "1"}).status_code == 303
    loan = Loan.get_by_id(loan.id)
    assert loan.status == "out" and local_date(loan.pickup_at) == dec(10)
    assert claimed(loan) == [10, 11, 12, 13, 14, 15, 16]
    assert AuditEntry.get(AuditEntry.action == "bookings.loan_handed_early").record == f"bookings.loan:{loan.id}"


@pytest.mark.clock("2026-12-10T10:00")
def test_early_hand_over_refused_when_a_day_before_is_taken_or_too_long(client, auth, eq, make_user):
    other = make_user("Altra", email="altra@example.org")
    loan_on(eq, other, 11, 11)  # the camera is lent on the 11th (check day the 12th)
    loan = loan_on(eq, eq.maria, 14, 15)
    auth.login("visconti@staff.binari.example")
    data = {"items": [eq.cam.id], "deposit": "100", "early": "1"}
    response = client.post(f"/staff/bookings/loans/{loan.id}/checkout", data=data)
    assert response.status_code == 409 and "venerdì 11 dicembre 2026" in text(response)
    assert Loan.get_by_id(loan.id).status == "approved" and claimed(Loan.get_by_id(loan.id)) == [14, 15, 16]
    longer = loan_on(eq, eq.maria, 15, 18, items=[eq.mic])
    response = client.post(
        f"/staff/bookings/loans/{longer.id}/checkout", data={"items": [eq.mic.id], "deposit": "0", "early": "1"}
    )
    assert response.status_code == 422 and "al massimo 7 giorni" in text(response)
    assert not AuditEntry.select().exists()


@DECEMBER
def test_two_moves_of_one_loan_only_one_applies(app, eq):
    """The conditional UPDATE on the dates staff saw: a stale second move is refused, not applied on top."""
    loan = loan_on(eq, eq.maria, 14, 15)
    staff = User.get(User.email == "visconti@staff.binari.example")
    stale = Loan.get_by_id(loan.id)
    with app.test_request_context():
        services.move_loan(Loan.get_by_id(loan.id), staff, dec(21), time(15), dec(21), time(16))
        with pytest.raises(services.BookingError) as refused:
            services.move_loan(stale, staff, dec(22), time(15), dec(22), time(16))
    assert refused.value.status == 409
    assert claimed(Loan.get_by_id(loan.id)) == [21, 22]
