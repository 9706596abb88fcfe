"""The outbox worker and the scheduler on PostgreSQL: concurrent workers never send one message
twice, jobs are idempotent on the demo data, and the huey worker (SqlHuey on PostgreSQL) delivers."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from portal import jobs, outbox
from portal.db import database
from portal.mail import send_mail
from portal.models import OutboxMessage, utcnow

pytestmark = pytest.mark.xdist_group("postgres")
ROOT = Path(__file__).resolve().parent.parent


def test_concurrent_delivery_on_postgres(pg_app, pg_smtp_server):
    with database().atomic():
        for i in range(30):
            send_mail(f"p{i}@example.org", f"Messaggio {i}", "Testo")
    now = utcnow()
    barrier = threading.Barrier(3)
    errors = []
    sent = []

    def worker():
        with pg_app.app_context(), database().connection_context():
            barrier.wait()
            try:
                sent.append(outbox.deliver_due(now))
            except Exception as exc:  # a failed thread must fail the test, not vanish
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(sent) == 30 and pg_smtp_server.wait_for(30)
    ids = [mail["Message-ID"] for _to, mail in pg_smtp_server.messages]
    assert len(ids) == 30 == len(set(ids))


def test_jobs_twice_on_postgres_demo(pg_app, frozen_clock):
    from portal import demo

    demo.load()
    frozen_clock.shift(timedelta(days=7))
    jobs.tick(force=True)
    rows = OutboxMessage.select().count()
    second = jobs.tick(force=True)
    assert OutboxMessage.select().count() == rows
    assert all(count == 0 for name, count in second.items() if name != "core-outbox"), second


@pytest.mark.live
def test_worker_on_postgres_delivers(pg_app, pg_smtp_server, mail_worker):
    with database().atomic():
        send_mail("rosa@example.org", "Dal worker su PostgreSQL", "Testo")
    worker = mail_worker(pg_app, pg_smtp_server)
    try:
        assert pg_smtp_server.wait_for(1, timeout=60), worker.log()
    finally:
        returncode = worker.stop()
    assert len(pg_smtp_server.messages) == 1 and returncode == 0, worker.log()
