"""A phone at 360x640 finds a desk, books a time with what it is about, and cancels it, with
JavaScript on and off; a guest books with a name and a phone number."""

import re

import pytest
from test_desks_live import _desk_with_slots

from portal.desks.models import Appointment


@pytest.mark.xdist_group("browser")
def test_phone_books_a_desk_appointment_and_cancels_it(live_server, seed, phone_page):
    desk, slots = _desk_with_slots(6)
    page = phone_page
    page.goto(live_server.url + "/login?next=/sportelli")
    page.fill("#identifier", "maria@binari.example")
    page.fill("#password", "binari2026")
    page.click("main button.primary")
    page.wait_for_url(re.compile(r"^[^?]*/sportelli$"))
    assert page.locator("h1").inner_text() == "Sportelli"
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator(f"#sportello-{desk.id} a.button.primary").click()
    page.wait_for_url(re.compile(rf"/sportelli/{desk.id}$"))
    choice = page.locator(f'label:has(input[name=slot][value="{slots[1].id}"])')
    box = choice.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    choice.click()
    page.fill("#subject", "Contratto d'affitto")
    page.locator("main form button.primary").first.click()
    page.wait_for_url(re.compile(r"/account/sportelli"))
    page.locator(".flash.success").wait_for()
    appointment = Appointment.get()
    assert appointment.slot_id == slots[1].id and appointment.subject == "Contratto d'affitto"
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator(f"#appuntamento-{appointment.id} button.danger").click()
    page.get_by_text("Appuntamento annullato").wait_for()
    assert Appointment.get_by_id(appointment.id).status == "cancelled"
    assert "Traceback" not in live_server.log()


@pytest.mark.xdist_group("browser")
def test_guest_books_with_a_phone_number(live_server, seed, phone_page):
    desk, slots = _desk_with_slots(3)
    page = phone_page
    page.goto(f"{live_server.url}/sportelli/{desk.id}")
    page.locator(f'label:has(input[name=slot][value="{slots[0].id}"])').click()
    page.fill("#guest_name", "Rosa Bianchi")
    page.fill("#guest_phone", "333 111 2222")
    page.locator("main form button.primary").first.click()
    page.wait_for_url(re.compile(r"/sportelli/appuntamento/"))
    assert page.locator("h1").inner_text() == "Il tuo appuntamento"
    appointment = Appointment.get()
    assert appointment.guest_name == "Rosa Bianchi" and appointment.guest_phone == "+393331112222"
    page.screenshot(path=f"/tmp/desks-guest-{'js' if page.js_enabled else 'nojs'}.png", full_page=True)
