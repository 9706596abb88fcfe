"""The "Le mie cose" page on a 360x640 phone, JavaScript on and off: the next commitments with their one-tap
action; with JavaScript the service worker keeps the card and the page for offline use."""

import re

import pytest
from test_desks_live import _desk_with_slots

from portal.desks import services as desks
from portal.desks.models import Appointment
from portal.models import User


def _login(page, url, next_path="/account"):
    page.goto(f"{url}/login?next={next_path}")
    page.fill("#identifier", "maria@binari.example")
    page.fill("#password", "binari2026")
    page.click("main button.primary")
    page.wait_for_url(re.compile(rf"^[^?]*{next_path}$"))


@pytest.mark.xdist_group("browser")
def test_phone_sees_its_things_and_cancels_one_from_the_page(live_server, seed, phone_page):
    desk, slots = _desk_with_slots(3)
    maria = User.get(User.email == "maria@binari.example")
    appointment = desks.book(desk, slots[1].id, user=maria)
    page = phone_page
    _login(page, live_server.url)
    assert page.locator("h1").inner_text() == "Le mie cose"
    row = page.locator(f"#cosa-desk-appointment-{appointment.id}")
    assert "Sportello legale" in row.inner_text()
    button = row.locator("button.danger")
    box = button.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    mode = "js" if page.js_enabled else "nojs"
    page.screenshot(path=f"/tmp/mythings-account-{mode}.png")
    page.screenshot(path=f"/tmp/mythings-account-{mode}-full.png", full_page=True)
    button.click()
    page.get_by_text("Appuntamento annullato").wait_for()
    assert re.search(r"/account#mie-cose$", page.url) or page.url.endswith("/account")
    assert Appointment.get_by_id(appointment.id).status == "cancelled"
    assert page.locator(f"#cosa-desk-appointment-{appointment.id}").count() == 0
    page.locator("a", has_text="Mostra la tessera").click()
    page.wait_for_url(re.compile(r"/account/tessera$"))
    assert maria.member_code in page.locator("main").inner_text()
    page.screenshot(path=f"/tmp/mythings-card-{mode}.png")
    assert "Traceback" not in live_server.log()


CACHED = """async (path) => {
  for (const key of await caches.keys()) {
    if (await (await caches.open(key)).match(path)) return true;
  }
  return false;
}"""


@pytest.mark.xdist_group("browser")
def test_card_and_next_commitments_offline(live_server, seed, browser):
    desk, slots = _desk_with_slots(3)
    maria = User.get(User.email == "maria@binari.example")
    desks.book(desk, slots[0].id, user=maria)
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, locale="it-IT", timezone_id="Europe/Rome", service_workers="allow"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        _login(page, live_server.url)
        page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
        page.wait_for_function(CACHED, arg="/account/tessera")
        page.wait_for_function(CACHED, arg="/account")
        page.locator("a", has_text="Mostra la tessera").click()
        page.wait_for_url(re.compile(r"/account/tessera$"))

        context.set_offline(True)
        page.reload()
        main = page.locator("main")
        assert maria.member_code in main.inner_text()
        page.wait_for_function("() => (document.querySelector('.qr img') || {}).naturalWidth > 0")  # the QR drawn
        page.screenshot(path="/tmp/mythings-card-offline.png")
        page.goto(f"{live_server.url}/account")
        assert "Sportello legale" in page.locator("#mie-cose").locator("..").inner_text()
        page.screenshot(path="/tmp/mythings-account-offline.png")
        page.goto(f"{live_server.url}/events")  # not kept: the offline page, nothing personal
        assert page.locator("h1").inner_text() == "Sei senza connessione"

        context.set_offline(False)
        page.goto(f"{live_server.url}/account")
        page.locator("footer button.link").click()  # log out
        page.wait_for_url(re.compile(r"/$"))
        page.wait_for_function(f"async () => !(await ({CACHED})('/account'))")
        assert not page.evaluate(CACHED, "/account/tessera")
    finally:
        context.close()
    assert "Traceback" not in live_server.log()
