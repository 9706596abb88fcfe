"""A guest on a 360x640 phone, JavaScript on and off: signs up and cancels; bad input comes
back with a message; the coordinator ticks who came."""

import pytest
from test_volunteer_live import make_shift as _shift


@pytest.mark.xdist_group("browser")
def test_guest_on_a_phone(seed, live_server, phone_page):
    """360x640, JavaScript on and off: a guest signs up and cancels; bad input comes back with a message."""
    _guest_signs_up_and_cancels(live_server, phone_page)
    shift = _bad_input_comes_back_with_a_message(live_server, phone_page)
    _coordinator_marks_attendance(live_server, phone_page, shift)


def _guest_signs_up_and_cancels(live_server, page):
    from portal.volunteer.models import Shift, Signup

    shift = _shift(capacity=5, title="Aiuto compiti al doposcuola")
    page.goto(f"{live_server.url}/volunteer")
    page.get_by_role("link", name="Aiuto compiti al doposcuola").first.click()
    page.wait_for_url("**/volunteer/opportunities/**")
    page.locator(f"a[href='/volunteer/shifts/{shift.id}']").first.click()
    # with JavaScript the boosted swap lands a moment after the click: wait for the shift page
    page.wait_for_url(f"**/volunteer/shifts/{shift.id}")
    page.get_by_label("Quante persone siete?").wait_for()
    assert "5 posti liberi" in page.content()
    # nothing wider than the phone
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("Nome e cognome").fill("Jenny Ramos")
    page.get_by_label("E-mail").fill("jenny.ramos@example.org")
    page.get_by_label("Quante persone siete?").select_option("2")
    # big enough to tap
    assert page.get_by_role("button", name="Iscriviti").bounding_box()["height"] >= 44
    assert page.get_by_label("Cellulare").bounding_box()["height"] >= 44
    page.get_by_role("button", name="Iscriviti").click()
    page.wait_for_url(lambda url: "/check?via=mail" in url)
    assert "Controlla la posta" in page.content()
    assert Shift.get_by_id(shift.id).taken == 2  # held until confirmed
    # the mailed link: opening it shows the button, pressing it confirms
    from portal.models import OutboxMessage

    body = OutboxMessage.get(OutboxMessage.to_address == "jenny.ramos@example.org").body
    confirm = next(word for word in body.split() if "/volunteer/c/" in word)
    page.goto(confirm)
    assert not Signup.get(Signup.shift == shift.id).confirmed
    page.get_by_role("button", name="Confermo").click()
    page.get_by_text("Iscrizione confermata").wait_for()
    assert Signup.get(Signup.shift == shift.id).confirmed
    page.get_by_role("button", name="Annulla l'iscrizione").click()
    page.get_by_text("Iscrizione disdetta").wait_for()
    assert Shift.get_by_id(shift.id).taken == 0
    assert Signup.get(Signup.shift == shift.id).status == "cancelled"


def _bad_input_comes_back_with_a_message(live_server, page):
    shift = _shift(capacity=4, taken=2, title="Squadra eventi")
    page.goto(f"{live_server.url}/volunteer/shifts/{shift.id}")
    page.get_by_label("Nome e cognome").fill("Arben Hoxha")
    page.get_by_label("Cellulare").fill("12")
    page.get_by_role("button", name="Iscriviti").click()
    page.get_by_text("Questo numero di cellulare non sembra valido.").wait_for()
    assert page.get_by_label("Nome e cognome").input_value() == "Arben Hoxha"
    # +N larger than the places left
    page.get_by_label("Cellulare").fill("340 555 1234")
    page.get_by_label("Quante persone siete?").select_option("3")
    page.get_by_role("button", name="Iscriviti").click()
    page.get_by_text("Restano solo 2 posti").wait_for()
    page.get_by_role("button", name="Mettimi in lista d'attesa").click()
    page.wait_for_url(lambda url: "/check?via=phone" in url)
    assert "Ti chiamiamo per confermare" in page.content()
    return shift


def _coordinator_marks_attendance(live_server, page, shift):
    """The coordinator ticks who came on the phone; the waitlisted guest is listed apart."""
    from portal.volunteer.models import Signup

    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail, cellulare o codice tessera").fill("faenza@staff.binari.example")
    page.get_by_label("Password").fill("binari2026")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/account")
    page.goto(f"{live_server.url}/staff/volunteer/shifts/{shift.id}")
    assert "Arben Hoxha" in page.content()  # on the waitlist
    page.get_by_label("Già iscritta 0").check()
    page.get_by_role("button", name="Salva le presenze").click()
    page.get_by_text("Presenze salvate: 1 presenti.").wait_for()
    present = Signup.get((Signup.shift == shift.id) & (Signup.name == "Già iscritta 0"))
    assert present.attended and present.minutes_served == 180
