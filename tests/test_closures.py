"""Closed days (holidays and closures) in the calendar: the demo keeps to them, series skip them,
the month view and the programme mark them."""

import re
from datetime import date

import pytest

from portal.clock import local_date
from portal.models import SiteClosure, closed_days


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


_CLOSED: dict = {}


def _closed(site_id, day):
    key = (site_id, day.year)
    if key not in _CLOSED:
        _CLOSED[key] = closed_days(site_id, date(day.year, 1, 1), date(day.year, 12, 31))
    return day in _CLOSED[key]


@pytest.mark.clock("2026-11-30T09:00:00+01:00")  # the demo then runs over Sant'Ambrogio, Christmas and Epiphany
def test_demo_data_respects_closures(demo):
    """No published event, volunteer shift, desk booking or library due date falls on a day its centre is closed."""
    from portal.bookings.models import Booking
    from portal.events.models import Event
    from portal.library.models import Loan
    from portal.volunteer.models import Opportunity, Shift

    _CLOSED.clear()
    assert SiteClosure.select().count() > 0
    events = Event.select().where(Event.status == "published")
    on_closed = [(e.title, local_date(e.starts_at)) for e in events if _closed(e.site_id, local_date(e.starts_at))]
    assert on_closed == []
    shifts = Shift.select(Shift, Opportunity).join(Opportunity).where(Shift.cancelled_at.is_null())
    assert [s.id for s in shifts if _closed(s.opportunity.site_id, local_date(s.starts_at))] == []
    bookings = [b for b in Booking.select() if b.status == "booked" and _closed(b.resource.site_id, b.day)]
    assert bookings == []
    loans = Loan.select().where(Loan.returned_at.is_null())
    assert [(loan.id, loan.due_date) for loan in loans if _closed(loan.library.site_id, loan.due_date)] == []


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_series_skip_closures_and_tell_staff(client, auth, seed):
    """A Tuesday course from 1 December meets on open days only: 8 December (a holiday) is skipped; staff are told."""
    from test_events import STAFF_FAENZA, event_form

    from portal.events.models import Event, Series

    auth.login(STAFF_FAENZA)
    data = event_form(seed["sites"]["faenza"], day="2026-12-01", freq="weekly", until="2026-12-22", title="Italiano")
    response = client.post("/staff/events/new", data=data, follow_redirects=True)
    assert response.status_code == 200
    days = [local_date(e.starts_at) for e in Event.select().order_by(Event.starts_at)]
    assert days == [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 22)]
    assert "Date saltate perché il centro è chiuso: 08/12/2026." in response.get_data(as_text=True)
    # A closure added later for one centre: editing the series leaves that date out too.
    SiteClosure.create(site=seed["sites"]["faenza"], date=date(2026, 12, 15), reason="Imbiancatura")
    series = Series.get()
    edit = dict(data, until="2026-12-22")
    assert client.post(f"/staff/events/series/{series.id}", data=edit).status_code == 303
    days = [
        local_date(e.starts_at) for e in Event.select().where(Event.status == "published").order_by(Event.starts_at)
    ]
    assert days == [date(2026, 12, 1), date(2026, 12, 22)]


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_month_view_marks_closed_days(client, seed):
    """Holidays are marked for everyone; one centre's closure on that centre's month, and named on the day."""
    SiteClosure.create(site=seed["sites"]["visconti"], date=date(2026, 12, 14), reason="Inventario")
    html = client.get("/events/month/2026-12").get_data(as_text=True)
    closed_cells = re.findall(r'<td class="[^"]*closed[^"]*">\s*<span class="empty"[^>]*>(\d+)', html)
    assert {"8", "25", "26"} <= set(closed_cells) and "14" not in closed_cells
    assert "centro chiuso" in html
    visconti = client.get("/events/month/2026-12?site=visconti").get_data(as_text=True)
    assert "14" in re.findall(r'<td class="[^"]*closed[^"]*">\s*<span class="empty"[^>]*>(\d+)', visconti)
    day = client.get("/events/month/2026-12?day=2026-12-14").get_data(as_text=True)
    assert "Chiuso in questo giorno: Via A. Visconti." in day or "Chiuso in questo giorno: Visconti." in day


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_programme_lists_closed_days(client, seed):
    """The printed programme says which days the centres are closed; a new closure makes a new version (ETag)."""
    import subprocess

    first = client.get("/events/programme/2026-12.pdf")
    assert first.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=first.data, capture_output=True, check=True).stdout.decode()
    text = " ".join(text.split())
    assert "Giorni di chiusura" in text and "8 dicembre 2026" in text and "25 dicembre 2026" in text
    SiteClosure.create(site=seed["sites"]["faenza"], date=date(2026, 12, 14), reason="Imbiancatura")
    again = client.get("/events/programme/2026-12.pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    text = subprocess.run(["pdftotext", "-", "-"], input=again.data, capture_output=True, check=True).stdout.decode()
    assert "14 dicembre 2026 (Viale Faenza)" in " ".join(text.split())


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_staff_see_events_on_days_that_became_closures(client, auth, seed):
    """A closure added after an event was planned flags that event on the staff list."""
    from test_events import STAFF_FAENZA, make_event

    event = make_event(days=10, title="Torneo di scacchi")
    auth.login(STAFF_FAENZA)
    assert "Il centro è chiuso quel giorno" not in client.get("/staff/events").get_data(as_text=True)
    SiteClosure.create(site=seed["sites"]["faenza"], date=local_date(event.starts_at), reason="Disinfestazione")
    html = client.get("/staff/events").get_data(as_text=True)
    assert html.count("Il centro è chiuso quel giorno") == 1
