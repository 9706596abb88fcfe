"""A phone at 360x640 books a desk and cancels it, with JavaScript on and off."""

import re
from datetime import timedelta

import pytest

from portal.bookings import bulk
from portal.bookings.models import Booking, Resource
from portal.clock import today_local
from portal.models import Site


@pytest.mark.xdist_group("browser")
def test_phone_books_a_desk_and_cancels_it(live_server, seed, phone_page):
    site = Site.get(Site.slug == "visconti")
    for n in (1, 2, 3):
        Resource.create(site=site, kind="desk", name=f"Postazione {n}", position=n)
    page = phone_page
    page.goto(live_server.url + "/login?next=/coworking")
    page.fill("#identifier", "maria@binari.example")
    page.fill("#password", "binari2026")
    page.click("main button.primary")
    page.wait_for_url(re.compile(r"^[^?]*/coworking$"))
    assert page.locator("h1").inner_text().startswith("Co-working")
    # No horizontal scrolling on a small phone.
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Tomorrow or later, so that it can still be cancelled online.
    day = bulk.next_open_days(site.id, today_local() + timedelta(days=1), 1)[0]
    button = page.locator(f'#slots form:has(input[name=day][value="{day.isoformat()}"]) button.primary').first
    box = button.bounding_box()
    assert box["height"] >= 44
    button.click()
    page.locator(".flash.success").wait_for()
    assert "Prenotato: Postazione 1" in page.locator(".flash.success").inner_text()
    booking = Booking.get()
    assert booking.status == "booked" and booking.day >= today_local()
    page.goto(live_server.url + "/account/bookings")
    page.locator(f"#booking-{booking.id} button.danger").click()
    page.get_by_text("Prenotazione annullata").wait_for()
    assert Booking.get_by_id(booking.id).status == "cancelled"
    assert Booking.select().count() == 1
    assert "Traceback" not in live_server.log()
