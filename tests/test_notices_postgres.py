"""Reminder jobs racing on PostgreSQL: two workers running every job at the same moment send each
reminder once (the unique `SentNotice.key`, inserted in the outbox message's transaction)."""

import threading
from datetime import date, time, timedelta

import pytest


@pytest.mark.xdist_group("postgres")
@pytest.mark.clock("2026-11-18T10:00")
def test_two_workers_send_each_reminder_once_on_postgres(pg_app):
    from portal import areas, demo
    from portal.clock import to_utc, utcnow
    from portal.db import database, is_sqlite
    from portal.events import services
    from portal.events.models import Event, Registration
    from portal.models import OutboxMessage, SentNotice

    assert not is_sqlite()
    seed = demo.load_core()
    start = to_utc(date(2026, 11, 19), time(18))
    event = Event.create(
        site=seed["sites"]["faenza"],
        title="Cena sociale",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=40,
    )
    for n in range(12):
        services.register(event.id, f"Persona {n}", email=f"p{n}@example.org")
    services.register(event.id, "Solo Telefono", phone="+393331112233")
    Registration.update(created_at=utcnow() - timedelta(days=3)).execute()
    if not database().is_closed():
        database().close()
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def worker():
        try:
            with pg_app.app_context():
                barrier.wait(timeout=10)
                # every job runs, as the scheduler would; the reminders are what is counted
                counts.append(sum(job.run(utcnow()) for _area, job in areas.jobs() if "remind" in job.name))
                database().close()
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(counts) == 13
    mails = [m.to_address for m in OutboxMessage.select().where(OutboxMessage.kind == "reminder")]
    assert sorted(mails) == sorted(f"p{n}@example.org" for n in range(12))
    assert SentNotice.select().where(SentNotice.channel == "phone").count() == 1

    # The day, the phone list and the daily sheet read the same on PostgreSQL (grouped counts, joins).
    client = pg_app.test_client()
    client.post("/login", data={"identifier": "coordinamento@staff.binari.example", "password": "binari2026"})
    day = client.get("/staff?site=faenza&day=2026-11-19").get_data(as_text=True)
    assert "Cena sociale" in day and "13/40 iscritti" in day
    phone = client.get("/staff/phone?area=events").get_data(as_text=True)
    assert "Solo Telefono" in phone
    key = f"reminder:{SentNotice.get(SentNotice.channel == 'phone').id}"
    assert client.post("/staff/phone/done", data={"area": "events", "key": key, "outcome": "told"}).status_code == 303
    assert "Sara Colombo" in client.get("/staff/phone").get_data(as_text=True)
    assert client.get("/staff/day.pdf?site=faenza&day=2026-11-19").data.startswith(b"%PDF")
