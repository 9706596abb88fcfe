"""The same co-working slot every week until a day: a preview by GET (nothing written), then each
week booked with the ordinary atomic booking; closed, taken and over-quota weeks are listed as not
booked with the reason; one week or all the remaining ones can be cancelled."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from test_bookings import text

from portal.bookings import bulk, services
from portal.bookings.models import Booking, BookingSeries, Policy, Resource, SlotClaim, WeeklyCount
from portal.bookings.weekly import MAX_WEEKS
from portal.clock import today_local
from portal.models import OutboxMessage, Site, SiteClosure, User


@pytest.fixture
def vis(seed):
    """Via Visconti with two desks and a meeting room (as in test_bookings)."""
    site = Site.get(Site.slug == "visconti")
    desks = [Resource.create(site=site, kind="desk", name=f"Postazione {n}", position=n) for n in (1, 2)]
    room = Resource.create(site=site, kind="room", name="Sala riunioni", position=9)
    return SimpleNamespace(site=site, desks=desks, room=room, maria=User.get(User.email == "maria@binari.example"))


def weekly_args(first, weeks=6, what="desk", slot="am"):
    return {
        "what": what,
        "day": first.isoformat(),
        "slot": slot,
        "until": (first + timedelta(weeks=weeks - 1)).isoformat(),
    }


def first_open_day(vis):
    """A day a week ahead on which Via Visconti is open in the morning, and the same weekday after it."""
    return bulk.next_open_days(vis.site.id, today_local() + timedelta(days=7), 1)[0]


def insert(user, resource, day, slot="am"):
    bulk.insert_booking(user.id, resource, day, slot, services.opening_spans(resource.site_id))


def counts():
    return (
        Booking.select().count(),
        SlotClaim.select().count(),
        WeeklyCount.select().count(),
        BookingSeries.select().count(),
    )


@pytest.mark.clock("2026-11-17T10:00")  # Tuesdays from 24/11: 8/12 is Sant'Ambrogio, a holiday
def test_preview_then_book_with_closed_taken_and_quota_weeks(client, auth, vis, make_user):
    Policy.create(
        site=vis.site, kind="room", advance_days=14, max_per_week=1, cancel_cutoff_hours=24, checkin_minutes=20
    )
    first = first_open_day(vis)
    days = [first + timedelta(weeks=n) for n in range(6)]
    SiteClosure.create(site=vis.site, date=days[1], reason="Assemblea")  # closed
    other = make_user("Luca Bianchi", email="luca@example.org")
    insert(other, vis.room, days[4])  # the room is taken that week
    auth.login()
    # Maria already has her one room booking of the week of days[3] (another day of that week).
    monday = days[3] - timedelta(days=days[3].weekday())
    other_day = next(d for d in bulk.next_open_days(vis.site.id, monday, 7) if d != days[3])
    assert other_day - timedelta(days=other_day.weekday()) == monday
    insert(vis.maria, vis.room, other_day)
    before = counts()
    args = weekly_args(first, weeks=6, what=f"room-{vis.room.id}")
    preview = client.get("/coworking/weekly?site=visconti&" + "&".join(f"{k}={v}" for k, v in args.items()))
    assert preview.status_code == 200 and counts() == before  # a GET writes nothing
    page = text(preview)
    assert "il centro è chiuso" in page and "è già tutto prenotato" in page
    assert "hai già il massimo di prenotazioni per quella settimana" in page
    assert page.count("il centro è chiuso") == 2  # the closure and the holiday
    assert "Prenota le 2 settimane libere" in page
    response = client.post("/coworking/weekly?site=visconti", data=args)
    assert response.status_code == 303
    series = BookingSeries.get()
    assert response.headers["Location"].endswith(f"/account/bookings/weekly/{series.id}")
    mine = list(Booking.select().where(Booking.series == series.id).order_by(Booking.day))
    assert [b.day for b in mine] == [days[0], days[5]]  # beyond the usual 14 days: a regular slot
    detail = text(client.get(response.headers["Location"]))
    assert detail.count("Non prenotata") == 4 and "il centro è chiuso" in detail and "è già tutto prenotato" in detail
    mails = list(OutboxMessage.select().where(OutboxMessage.to_address == "maria@binari.example"))
    assert len(mails) == 1 and mails[0].body.count("non prenotato") == 4 and mails[0].body.count(": prenotato") == 2
    # One week cancelled from the weekly page, back there; then all the remaining ones.
    response = client.post(f"/account/bookings/{mine[1].id}/cancel", data={"back": "weekly"})
    assert response.headers["Location"].endswith(f"/account/bookings/weekly/{series.id}")
    assert Booking.get_by_id(mine[1].id).status == "cancelled"
    assert client.post(f"/account/bookings/weekly/{series.id}/cancel").status_code == 303
    assert {b.status for b in Booking.select().where(Booking.series == series.id)} == {"cancelled"}
    assert SlotClaim.select().where(SlotClaim.user == vis.maria.id, SlotClaim.day.in_(days)).count() == 0


@pytest.mark.clock("2026-11-17T10:00")
def test_desk_weekly_uses_any_free_desk_and_respects_the_quota(client, auth, vis, make_user):
    Policy.create(
        site=vis.site, kind="desk", advance_days=14, max_per_week=4, cancel_cutoff_hours=2, checkin_minutes=30
    )
    first = first_open_day(vis)
    for n, name in enumerate(("Anna", "Bruno")):  # both desks taken in the second week
        insert(make_user(name, email=f"{name.lower()}@example.org"), vis.desks[n], first + timedelta(weeks=1))
    auth.login()
    response = client.post("/coworking/weekly?site=visconti", data=weekly_args(first, weeks=4))
    assert response.status_code == 303
    booked = list(Booking.select().where(Booking.user == vis.maria.id).order_by(Booking.day))
    assert [b.day for b in booked] == [first, first + timedelta(weeks=3)]  # 8/12 is a holiday
    assert WeeklyCount.select().where(WeeklyCount.user == vis.maria.id).count() == 2  # each week counted once
    # Asking again books nothing twice: every week is now "already booked" or taken.
    response = client.post("/coworking/weekly?site=visconti", data=weekly_args(first, weeks=4))
    assert response.status_code == 409 and "Nessuna settimana libera" in text(response)
    assert "hai già una prenotazione in quel momento" in text(response)
    assert Booking.select().where(Booking.user == vis.maria.id).count() == 2
    assert BookingSeries.select().count() == 1


def test_bad_requests_come_back_with_the_input(client, auth, vis):
    first = first_open_day(vis)
    auth.login()
    before = counts()
    too_long = weekly_args(first, weeks=MAX_WEEKS + 1)
    response = client.post("/coworking/weekly?site=visconti", data=too_long)
    assert response.status_code == 422 and "Al massimo 12 settimane" in text(response)
    assert f'value="{too_long["until"]}"' in text(response)
    response = client.get("/coworking/weekly?site=visconti&what=desk&day=2020-01-07&slot=am&until=2020-02-04")
    assert response.status_code == 422 and "già passato" in text(response)
    response = client.get("/coworking/weekly?site=visconti&what=desk&day=nonsense&slot=am&until=")
    assert response.status_code == 422
    assert client.get("/coworking/weekly?site=visconti").status_code == 200
    assert counts() == before
    # Someone else's weekly slot is not found.
    client.post("/coworking/weekly?site=visconti", data=weekly_args(first, weeks=2))
    series = BookingSeries.get()
    auth.logout()
    User.create_account("Luca Bianchi", "password123", email="luca@example.org")
    auth.login("luca@example.org", "password123")
    assert client.get(f"/account/bookings/weekly/{series.id}").status_code == 404
    assert client.post(f"/account/bookings/weekly/{series.id}/cancel").status_code == 404
