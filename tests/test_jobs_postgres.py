"""The outbox worker and the scheduler on PostgreSQL: concurrent workers never send one message
twice, jobs are idempotent on the demo data, and the huey worker (SqlHuey on PostgreSQL) delivers."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import smtp_settings

from portal import jobs, outbox
from portal.db import database
from portal.mail import send_mail
from portal.models import OutboxMessage, utcnow

pytestmark = pytest.mark.xdist_group("postgres")
ROOT = Path(__file__).resolve().parent.parent


def test_concurrent_delivery_on_postgres(pg_app, smtp_sink):
    pg_app.config.update(smtp_settings(smtp_sink))
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
    assert sum(sent) == 30 and smtp_sink.wait_for(30)
    ids = [mail["Message-ID"] for _to, mail in smtp_sink.messages]
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
def test_worker_on_postgres_delivers(pg_app, smtp_sink, tmp_path):
    with database().atomic():
        send_mail("rosa@example.org", "Dal worker su PostgreSQL", "Testo")
    env = dict(
        os.environ,
        BINARI_ENV="testing",
        SECRET_KEY="worker-test",
        DATABASE_URL=pg_app.config["DATABASE_URL"],
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_sink.port),
        SMTP_STARTTLS="0",
    )
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "portal", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        assert smtp_sink.wait_for(1, timeout=60), log_path.read_text()
    finally:
        process.send_signal(2)
        process.wait(timeout=20)
    assert len(smtp_sink.messages) == 1 and process.returncode == 0, log_path.read_text()
