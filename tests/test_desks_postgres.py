"""Help desks on PostgreSQL: migration 0035 (the partial unique index), slots from schedules with
closures, booking and the limits, the jobs, the figures and a person's erasure."""

from datetime import time, timedelta

import pytest

pytestmark = pytest.mark.xdist_group("postgres")


def test_desks_on_postgres(pg_app):
    from portal import demo
    from portal.areas import ReportQuery
    from portal.clock import local_date, today_local, utcnow
    from portal.db import database, is_sqlite
    from portal.desks import demo as desks_demo
    from portal.desks import privacy, reports, services
    from portal.desks import reminders as desk_reminders
    from portal.desks.models import Appointment, Desk, Slot
    from portal.models import SentNotice, SiteClosure, User
    from portal.refusals import Refusal

    assert not is_sqlite()
    indexes = [
        row[0]
        for row in database().execute_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'desks_appointment'")
    ]
    assert "desks_appointment_one_per_slot" in indexes
    ctx = demo.load_core()
    counts = desks_demo.load(ctx)
    assert counts["desks"] == 10
    closed = {c.date for c in SiteClosure.select()}
    assert not any(local_date(s.starts_at) in closed for s in Slot.select())

    desk = Desk.get(Desk.name == "Sportello legale")
    Desk.update(max_open_per_person=1).where(Desk.id == desk.id).execute()
    desk = Desk.get_by_id(desk.id)
    person = User.create_account("Paola Postgres", "password123", phone="+393401234567")
    free = services.free_slots([desk.id])[desk.id]
    with pg_app.test_request_context():
        appointment = services.book(desk, free[0].id, user=person, subject="Segreta")
        with pytest.raises(Refusal):  # the slot is taken
            services.book(desk, free[0].id, guest_name="Altro", guest_phone="+393400000000")
        with pytest.raises(Refusal):  # one open appointment at this desk
            services.book(desk, free[1].id, user=person)
    # The reminder the day before: no e-mail, so the phone list.
    day_before = services.to_utc(local_date(appointment.slot.starts_at) - timedelta(days=1), time(18))
    with pg_app.test_request_context():
        assert desk_reminders.remind_job(day_before) >= 1
        assert desk_reminders.remind_job(day_before) == 0
    assert SentNotice.get(SentNotice.key.contains(f"appointment:{appointment.id}:")).channel == "phone"
    query = ReportQuery(today_local() - timedelta(days=40), today_local() + timedelta(days=40))
    figures = {f.key: f.value for f in reports.figures(query)}
    assert figures["desks.appointments"] > 0 and f"u{person.id}" in reports.people(query)
    assert services.run_retention(utcnow() + timedelta(days=800)) > 0

    with pg_app.test_request_context(), database().atomic():
        privacy.erase(person)
    row = Appointment.get_by_id(appointment.id)
    assert row.user_id is None and row.subject == "" and row.status == "cancelled"
    assert free[0] in services.free_slots([desk.id])[desk.id]
