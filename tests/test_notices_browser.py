"""A staff member on a 360x640 phone, with JavaScript on and off: the day at the centre, the next
day, and a call recorded on the phone list."""

import re
from datetime import time, timedelta

import pytest
from conftest import htmx_settled


@pytest.fixture
def faenza_day(app, seed):
    """Tomorrow in Faenza: an event whose waitlisted person without e-mail got a seat (to phone)."""
    from portal.clock import to_utc, today_local
    from portal.events import services
    from portal.events.models import Event, Registration

    start = to_utc(today_local() + timedelta(days=1), time(18))
    event = Event.create(
        site=seed["sites"]["faenza"],
        title="Tombola del quartiere",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=1,
    )
    services.register(event.id, "Rosa", email="rosa@example.org")
    services.register(event.id, "Jun Li", phone="+393471112222")
    with app.test_request_context():
        services.cancel_registration(Registration.get(Registration.name == "Rosa").id)
    return event


@pytest.mark.xdist_group("browser")
def test_staff_day_and_phone_list_on_a_phone(live_server, faenza_day, phone_page):
    page = phone_page
    page.goto(live_server.url + "/login?next=/staff")
    page.fill("#identifier", "faenza@staff.binari.example")
    page.fill("#password", "binari2026")
    page.get_by_role("button", name=re.compile("Accedi")).click()
    page.wait_for_url(re.compile(r"/staff$"))
    htmx_settled(page)
    assert "1 persona da chiamare" in page.inner_text("main")
    page.get_by_role("link", name=re.compile("Giorno dopo")).click()
    page.get_by_role("link", name="Tombola del quartiere").wait_for()
    assert "1/1 iscritti" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="1 persona da chiamare").click()
    page.get_by_role("heading", name="Persone da chiamare").wait_for()
    assert page.locator('a[href="tel:+393471112222"]').count() == 1
    page.get_by_role("button", name=re.compile("Fatto: ho telefonato")).click()
    page.get_by_text("Telefonata registrata: Jun Li.").wait_for()
    assert "Marco Ferri" in page.inner_text("main") and "Telefonate fatte questa settimana" in page.inner_text("main")
    for box in [b.bounding_box() for b in page.locator("main button, .phone-list a").all() if b.is_visible()]:
        assert box["height"] >= 24
