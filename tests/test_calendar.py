"""The calendar sweep: the date-sensitive scenarios of every area at the year's awkward instants.

Each scenario runs under a frozen clock (Europe/Rome wall clock, then ticking) at: New Year's Eve
at 23:30, New Year's Day, 29 February 2028, the spring-forward and fall-back nights around
02:00-03:00, Sant'Ambrogio and the Immacolata (7 and 8 December), Easter Monday, a Saturday, a
Sunday, and 00:30 (when the UTC date is still yesterday). The expectations come from the same
opening hours and closures the code reads, never from a hand-made calendar.
"""

import subprocess
from datetime import date, datetime, time, timedelta

import pytest

from portal.clock import ROME, to_local, to_utc

INSTANTS = [
    "2026-12-31T23:30",  # New Year's Eve, late
    "2027-01-01T10:00",  # New Year's Day (closed)
    "2028-02-29T10:00",  # leap day
    "2027-03-28T01:59",  # spring forward: 02:00 becomes 03:00
    "2027-03-28T03:30",
    "2026-10-25T02:30",  # fall back: 02:00-03:00 happens twice
    "2026-10-25T03:30",
    "2026-12-07T10:00",  # Sant'Ambrogio (closed in Milan)
    "2026-12-08T10:00",  # Immacolata (closed)
    "2027-03-29T10:00",  # Easter Monday 2027 (closed)
    "2026-11-21T11:00",  # a Saturday
    "2026-11-22T11:00",  # a Sunday
    "2026-11-18T00:30",  # 00:30 in Milan: in UTC it is still the 17th
]


def at_each_instant():
    return [pytest.param(instant, marks=pytest.mark.clock(instant), id=instant) for instant in INSTANTS]


def open_days(site):
    from portal.models import OpeningHours

    return {w for (w,) in OpeningHours.select(OpeningHours.weekday).where(OpeningHours.site == site).tuples()}


def is_open(site, day):
    return day.weekday() in open_days(site) and not site.closed_days(day, day)


def today_in_milan():
    return datetime.now(ROME).date()


@pytest.mark.parametrize("instant", at_each_instant())
def test_library_due_date_is_the_first_open_day(app, seed, instant):
    """A loan is due on the first day the library's centre opens, counting from Milan's today."""
    from portal.library import services
    from portal.library.models import Library

    library = Library.for_site(seed["sites"]["erlembaldo"])
    site = seed["sites"]["erlembaldo"]
    for days in (1, 14, 30):
        due = services.due_date(library, days)
        earliest = today_in_milan() + timedelta(days=days)
        assert due >= earliest, (instant, days, due)
        assert is_open(site, due), (instant, days, due)
        assert not any(is_open(site, earliest + timedelta(n)) for n in range((due - earliest).days)), (due, earliest)


@pytest.mark.parametrize("instant", at_each_instant())
def test_weekly_series_keeps_its_wall_clock_time(client, auth, seed, instant):
    """A weekly course created now keeps 18:00 in Milan on every date, across the DST changes."""
    from portal.events.models import Event

    auth.login("faenza@staff.binari.example", "binari2026")
    first = today_in_milan() + timedelta(days=1)
    data = {
        "title": "Corso serale",
        "description": "",
        "site": seed["sites"]["faenza"].id,
        "room": 0,
        "partner": 0,
        "category": "formazione",
        "audience": "adulti",
        "day": first.isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "is_free": "1",
        "price": "",
        "capacity": "12",
        "poster_alt": "",
        "access_notes": "",
        "status": "published",
        "freq": "weekly",
        "until": "",
        "count": "8",
        "skip_dates": "",
        "pauses": "",
    }
    response = client.post("/staff/events/new", data=data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    events = list(Event.select().where(Event.title == "Corso serale").order_by(Event.starts_at))
    assert len(events) == 8
    # Eight meetings, weekly, on the days the centre is open (holidays are skipped, the count still holds).
    closed = seed["sites"]["faenza"].closed_days(first, first + timedelta(weeks=20))
    weekly = [first + timedelta(weeks=n) for n in range(20)]
    expected = [day for day in weekly if day not in closed][:8]
    for event, day in zip(events, expected, strict=True):
        local = to_local(event.starts_at)
        assert (local.hour, local.minute) == (18, 0), (instant, event.starts_at)
        assert local.date() == day
        assert (event.ends_at - event.starts_at) == timedelta(hours=2)


@pytest.mark.parametrize("instant", at_each_instant())
def test_desk_slots_are_open_and_in_the_future(app, seed, instant):
    """The co-working list offers only slots on open days, inside opening hours, not yet over."""
    from portal.bookings import services
    from portal.bookings.models import Resource
    from portal.clock import utcnow
    from portal.models import OpeningHours

    site = seed["sites"]["visconti"]
    Resource.create(site=site, kind="desk", name="Postazione 1", position=1)
    _policy, _resources, days = services.availability(site, "desk")
    assert days, instant
    hours = list(OpeningHours.select().where(OpeningHours.site == site))
    for day, entries in days:
        assert day >= today_in_milan()
        assert is_open(site, day), (instant, day)
        for _slot, start, end, _free, _mine in entries:
            assert to_utc(day, end) > utcnow()
            spans = [h for h in hours if h.weekday == day.weekday()]
            assert min(h.opens for h in spans) <= start < end <= max(h.closes for h in spans), (day, start, end)
    # The first free slot can be booked, and its day is Milan's.
    user = seed["users"]["maria@binari.example"]
    day, entries = days[0]
    booking = services.book_slot(user, site, "desk", day, entries[0][0])
    assert booking.day == day


@pytest.mark.parametrize("instant", at_each_instant())
def test_volunteer_shift_tomorrow_morning(client, auth, seed, instant):
    """A shift for tomorrow 09:00-12:00 (Milan) is stored at the right UTC instant and shown at 09:00."""
    from portal.volunteer.models import Opportunity, Shift

    staff = seed["users"]["faenza@staff.binari.example"]
    opp = Opportunity.create(site=seed["sites"]["faenza"], title="Banco alimentare", coordinator=staff)
    auth.login("faenza@staff.binari.example", "binari2026")
    tomorrow = today_in_milan() + timedelta(days=1)
    data = {
        "day": tomorrow.isoformat(),
        "starts": "09:00",
        "ends": "12:00",
        "capacity": "4",
        "location": "",
        "note": "",
        "repeat": "",
        "until": "",
        "skip_closed": "",
    }
    response = client.post(f"/staff/volunteer/opportunities/{opp.id}/shifts/new", data=data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    shift = Shift.get(Shift.opportunity == opp.id)
    assert shift.starts_at == to_utc(tomorrow, time(9)) and shift.ends_at == to_utc(tomorrow, time(12))
    page = client.get(f"/volunteer/shifts/{shift.id}").get_data(as_text=True)
    assert "09:00" in page and "12:00" in page


@pytest.mark.parametrize("instant", at_each_instant())
def test_monthly_programme_holds_the_month_in_milan(client, seed, instant, tmp_path):
    """The programme of Milan's current month lists an event at 00:30 on the 1st and one at 23:30 on the
    last day, and leaves out the next month's first night."""
    from portal.events.models import Event
    from portal.models import utcnow

    today = today_in_milan()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    last = following - timedelta(days=1)
    site = seed["sites"]["faenza"]
    for title, day, clock in (
        ("Apertura di mezzanotte", first, time(0, 30)),
        ("Chiusura a tarda sera", last, time(23, 30)),
        ("Fuori mese", following, time(0, 30)),
    ):
        starts = to_utc(day, clock)
        Event.create(
            site=site,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            status="published",
            updated_at=utcnow(),
        )
    response = client.get(f"/events/programme/{today:%Y-%m}.pdf")
    assert response.status_code == 200 and response.data[:4] == b"%PDF"
    pdf = tmp_path / "programme.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Apertura di mezzanotte" in text and "Chiusura a tarda sera" in text
    assert "Fuori mese" not in text


def test_instants_are_what_they_say():
    """The sweep's instants: the DST nights really are the change nights, Easter Monday is Pasquetta."""
    from dateutil.easter import easter

    assert date(2027, 3, 29) == easter(2027) + timedelta(days=1)
    assert datetime(2027, 3, 28, 12, tzinfo=ROME).utcoffset() == timedelta(hours=2)
    assert datetime(2027, 3, 27, 12, tzinfo=ROME).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 10, 25, 12, tzinfo=ROME).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 10, 24, 12, tzinfo=ROME).utcoffset() == timedelta(hours=2)
