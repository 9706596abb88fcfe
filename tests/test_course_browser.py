"""A phone at 360x640, JavaScript on and off: a member takes a whole course from one date's page
and cancels it; a member books a co-working slot every week after seeing the weeks first.
With SHOTS_DIR set, the pages are saved as screenshots there."""

import os
import re
from datetime import date, time, timedelta

import pytest

from portal.bookings import bulk
from portal.bookings.models import Booking, BookingSeries, Resource
from portal.clock import today_local
from portal.events import services
from portal.events.models import Event, Registration, Series
from portal.events.series import materialise
from portal.models import Site


def shot(page, name):
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}-{'js' if page.js_enabled else 'nojs'}.png"), full_page=True)


def login(page, server, next_path):
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("#identifier", "maria@binari.example")
    page.fill("#password", "binari2026")
    page.click("main button.primary")
    page.wait_for_url(re.compile(r"^[^?]*" + re.escape(next_path) + "$"))


def narrow(page):
    if page.js_enabled:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.xdist_group("browser")
def test_phone_takes_a_whole_course_and_cancels_it(live_server, seed, phone_page):
    first = date.today() + timedelta(days=3)
    series = Series.create(
        site=Site.get(Site.slug == "faenza"),
        title="Italiano per tutti",
        capacity=2,
        freq="weekly",
        first_day=first,
        start_time=time(17),
        end_time=time(19),
        count=4,
        whole_course=True,
    )
    materialise(series, start_from=first)
    dates = list(Event.select().where(Event.series == series.id).order_by(Event.starts_at))
    for n in range(2):  # the second date is full
        services.register(dates[1].id, f"Altra {n}", email=f"altra{n}@example.org")
    page = phone_page
    login(page, live_server, f"/events/{dates[0].id}")
    button = page.get_by_role("button", name="Mi iscrivo a tutto il corso")
    assert button.bounding_box()["height"] >= 24
    shot(page, "course-event")
    button.click()
    page.wait_for_url(f"**/events/series/{series.id}")
    page.get_by_text(re.compile("3 date con il posto, 1 in lista d'attesa")).wait_for()
    narrow(page)
    shot(page, "course-page")
    assert page.get_by_text("Hai il posto").count() == 3
    assert page.get_by_text("Sei in lista d'attesa").count() == 1
    mine = Registration.select().where(Registration.user.is_null(False))
    assert sorted(r.status for r in mine) == ["confirmed"] * 3 + ["waitlist"]
    page.get_by_role("button", name="Annullo tutte le mie 4 date").click()
    page.get_by_text("Annullate 4 date del corso.").wait_for()
    assert (
        Registration.select().where(Registration.user.is_null(False) & (Registration.status != "cancelled")).count()
        == 0
    )
    assert "Traceback" not in live_server.log()


@pytest.mark.xdist_group("browser")
def test_phone_books_a_desk_every_week(live_server, seed, phone_page):
    site = Site.get(Site.slug == "visconti")
    Resource.create(site=site, kind="desk", name="Postazione 1", position=1)
    first = bulk.next_open_days(site.id, today_local() + timedelta(days=2), 1)[0]
    page = phone_page
    login(page, live_server, "/coworking")
    page.get_by_role("link", name="Lo stesso momento ogni settimana").click()
    page.wait_for_url("**/coworking/weekly**")
    page.fill("#day", first.isoformat())
    page.fill("#until", (first + timedelta(weeks=3)).isoformat())
    page.get_by_role("button", name="Vedi le settimane").click()
    page.wait_for_url("**until=**")
    page.get_by_role("heading", name="4 settimane").wait_for()
    narrow(page)
    shot(page, "weekly-preview")
    assert Booking.select().count() == 0  # the preview wrote nothing
    page.get_by_role("button", name=re.compile("Prenota")).click()
    page.wait_for_url("**/account/bookings/weekly/**")
    narrow(page)
    shot(page, "weekly-detail")
    series = BookingSeries.get()
    booked = Booking.select().where(Booking.series == series.id).count()
    assert booked >= 1 and page.locator("li form button.danger").count() == booked
    page.get_by_role("button", name=re.compile("Annulla (tutte le )?%d settiman" % booked)).click()
    page.get_by_text(re.compile("Annullat[ae] %d settiman" % booked)).wait_for()
    assert Booking.select().where(Booking.status == "booked").count() == 0
    assert "Traceback" not in live_server.log()
