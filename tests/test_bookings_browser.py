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


@pytest.mark.xdist_group("browser")
def test_phone_picks_equipment_days_on_the_calendar(live_server, seed, phone_page, tmp_path):
    """Check days are marked and explained; tapping a start and an end day fills the form (JS on and off)."""
    import os
    from datetime import time
    from pathlib import Path

    from portal.bookings.models import Item, Loan
    from portal.models import User

    site = Site.get(Site.slug == "visconti")
    cam = Item.create(site=site, name="Videocamera")
    days = bulk.next_open_days(site.id, today_local() + timedelta(days=3), 8)
    # Another loan on an open day that follows an open day: that day before it becomes a check day too.
    held = next(d for d in days[3:] if d - timedelta(days=1) in days)
    ahmed = User.get(User.phone == "+393331234567")
    bulk.insert_loan(ahmed.id, site, [cam], held, time(15), held, time(16), "approved")
    page, url = phone_page, live_server.url
    folder = Path(os.environ.get("BINARI_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    mode = "js" if page.js_enabled else "nojs"
    page.goto(url + "/login")
    page.fill("#identifier", "maria@binari.example")
    page.fill("#password", "binari2026")
    page.locator("main form button.primary").first.click()
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(url + f"/equipment/items/{cam.id}")
    assert page.locator("table.cal td.check").count() >= 2  # the loan's check day, and the day before it
    assert page.locator("table.cal td.busy").count() >= 1
    assert page.get_by_text("per controllare l'attrezzatura").is_visible()
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#calendario").scroll_into_view_if_needed()
    page.screenshot(path=str(folder / f"equipment-calendar-{mode}.png"))
    page.locator("#pick").screenshot(path=str(folder / f"equipment-calendar-part-{mode}.png"))
    start = page.locator(f'table.cal a[href*="start={days[0].isoformat()}"]')
    box = start.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24
    start.click()
    page.wait_for_url(lambda u: f"start={days[0].isoformat()}" in u)
    page.locator("table.cal td.chosen").first.wait_for()
    page.locator(f'table.cal a[href*="end={days[1].isoformat()}"]').click()
    page.wait_for_url(lambda u: f"end={days[1].isoformat()}" in u)
    page.locator("#return_day").wait_for()
    assert page.input_value("#pickup_day") == days[0].isoformat()
    assert page.input_value("#return_day") == days[1].isoformat()
    page.screenshot(path=str(folder / f"equipment-picked-{mode}.png"), full_page=True)
    page.fill("#pickup_time", "15:00")
    page.fill("#return_time", "16:00")
    page.get_by_role("button", name="Invia la richiesta").click()
    page.locator(".flash.success").wait_for()
    assert Loan.select().where(Loan.user == User.get(User.email == "maria@binari.example")).count() == 1
    assert "Traceback" not in live_server.log()
