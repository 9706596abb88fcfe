"""The calendar on PostgreSQL: seats and waitlist, the conditional capacity
decrease, and the erasure of a deleted account."""

from datetime import date, datetime, time, timedelta

import pytest

pytestmark = pytest.mark.xdist_group("postgres")


def test_events_on_postgres(pg_app):
    from portal import demo
    from portal.clock import to_local, to_utc
    from portal.db import is_sqlite
    from portal.events import services
    from portal.events.models import Event, Registration
    from portal.models import User
    from portal.refusals import Refusal

    seed = demo.load_core()
    assert not is_sqlite()
    start = to_utc(datetime.combine(date.today() + timedelta(days=3), time(18)))
    event = Event.create(
        site=seed["sites"]["faenza"],
        title="Corso di maglia",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=1,
    )
    # An account made directly (the make_user fixture would bring the SQLite app along).
    person = User.create_account("Ottavia Brambillasca", "password123", email="ottavia@example.org")
    with pg_app.test_request_context():
        mine = services.register(event.id, person.name, email=person.email, user=person.id)
        waiting = services.register(event.id, "Rosa Esposito", email="rosa@example.org")
        with pytest.raises(services.AlreadyRegistered):
            services.register(event.id, "Ottavia", email="ottavia@example.org")
        assert (mine.status, waiting.status) == ("confirmed", "waitlist")
        values = {name: getattr(event, name) for name in Event.SHARED}
        values.update(site=event.site_id, room=None, partner=None, capacity=None)
        local = to_local(event.starts_at)
        with pytest.raises(Refusal):
            services.update_event(event, values, local.date(), local.time(), time(20), "published")

    client = pg_app.test_client()
    client.post("/login", data={"identifier": "ottavia@example.org", "password": "password123"})
    assert "registrations" in client.get("/account/export.json").json["events"]
    response = client.post("/account/delete", data={"delete-password": "password123", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    assert Registration.get_by_id(waiting.id).status == "confirmed"  # the freed seat went to the waitlist
    gone = Registration.get_by_id(mine.id)
    assert (gone.status, gone.name, gone.email, gone.user_id) == ("cancelled", "—", None, None)
    assert Event.get_by_id(event.id).taken == 1


def test_agenda_search_ignores_accents_on_postgres(pg_app):
    """The same search as on SQLite: "caffe" finds "Caffè" and "CAFFÈ" (TRANSLATE, no extension needed)."""
    from portal import demo
    from portal.clock import to_utc
    from portal.events.models import Event

    seed = demo.load_core()
    start = to_utc(datetime.combine(date.today() + timedelta(days=2), time(18)))
    for title in ("Caffè letterario", "CAFFÈ DEI GENITORI", "Ginnastica"):
        Event.create(
            site=seed["sites"]["faenza"],
            title=title,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status="published",
        )
    found = [e.title for e in Event.upcoming(q="caffe")]
    assert sorted(found) == ["CAFFÈ DEI GENITORI", "Caffè letterario"]
    client = pg_app.test_client()
    html = client.get("/events?q=caffè").get_data(as_text=True)
    assert "Caffè letterario" in html and "Ginnastica" not in html
