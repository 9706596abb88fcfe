"""The scheduler (`portal.jobs`): what is due, each job idempotent, the heartbeat in /healthz, the
CLI, and the huey worker delivering a queued mail to a real SMTP server."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from portal import jobs
from portal.areas import JOB_INTERVALS, AreaContractError, Job
from portal.db import database
from portal.mail import send_mail
from portal.models import JobRun, LoginAttempt, OutboxMessage, utcnow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_data(app):
    from portal import demo

    demo.load()


def outbox_rows():
    return OutboxMessage.select().count()


def test_every_job_has_a_known_interval_and_a_unique_name(app):
    names = [job.name for job in jobs.all_jobs()]
    assert len(names) == len(set(names))
    assert {"core-outbox", "core-purge", "events-remind-day-before", "library-expire-holds"} <= set(names)
    assert {"bookings-release-no-shows", "bookings-extend-overdue", "library-open"} <= set(names)
    assert all(job.every in JOB_INTERVALS for job in jobs.all_jobs())
    with pytest.raises(AreaContractError):
        Job("x", lambda now: 0, every="sometimes")


@pytest.mark.parametrize("days", [0, 1, 3, 7, 8])
def test_every_job_run_twice_sends_nothing_twice(app, demo_data, frozen_clock, days):
    """On the demo data, at several moments: the second run of every job queues nothing and
    changes nothing (the outbox job then only delivers what the first run queued)."""
    frozen_clock.shift(timedelta(days=days))
    first = jobs.tick(force=True)
    assert set(first) == {job.name for job in jobs.all_jobs()}
    rows = outbox_rows()
    second = jobs.tick(force=True)
    assert outbox_rows() == rows, "a job queued mail again"
    assert all(count == 0 for name, count in second.items() if name != "core-outbox"), second
    assert jobs.tick(force=True)["core-outbox"] == 0  # everything queued went out once
    assert not JobRun.select().where(JobRun.error != "").exists()
    assert not OutboxMessage.select().where(OutboxMessage.sent_at.is_null()).exists()


def test_reminders_are_queued_once_even_from_two_workers(app, seed):
    from portal.events.models import Event, Registration
    from portal.models import Site

    start = utcnow() + timedelta(hours=20)
    event = Event.create(
        site=Site.get(Site.slug == "faenza"), title="Cena", starts_at=start, ends_at=start + timedelta(hours=2),
        status="published", capacity=30,
    )  # fmt: skip
    for i in range(20):
        Registration.create(
            event=event, name=f"P{i}", email=f"p{i}@example.org", status="confirmed",
            created_at=utcnow() - timedelta(days=3),
        )  # fmt: skip
    done = []
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        with app.app_context(), database().connection_context():
            barrier.wait()
            try:
                done.append(
                    jobs.tick(names=["events-remind-day-before"], force=True).get("events-remind-day-before", 0)
                )
            except Exception as exc:  # a failed thread must fail the test, not vanish
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(done) == 20
    assert OutboxMessage.select().where(OutboxMessage.subject.contains("promemoria")).count() == 20


def test_tick_runs_what_is_due_once_per_interval(app, seed, frozen_clock):
    first = jobs.tick()
    assert "core-outbox" in first and "core-purge" in first
    assert jobs.tick() == {}  # nothing is due a moment later
    frozen_clock.shift(timedelta(seconds=61))
    again = jobs.tick()
    assert "core-outbox" in again and "core-purge" not in again
    frozen_clock.shift(timedelta(days=1))
    assert "core-purge" in jobs.tick()


def test_a_failing_job_is_recorded_and_the_others_run(app, seed, monkeypatch):
    def broken(now):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "CORE_JOBS", (Job("core-broken", broken, every="minute"),) + jobs.CORE_JOBS)
    done = jobs.tick()
    assert done["core-broken"] == 0 and "core-outbox" in done
    assert "disk full" in JobRun.get(JobRun.name == "core-broken").error


def test_healthz_reports_the_worker_heartbeat(app, client, seed, frozen_clock):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "worker": "never"}
    jobs.tick()
    body = client.get("/healthz").get_json()
    assert body["worker"] == "ok" and body["worker_heartbeat_age_s"] < 5
    frozen_clock.shift(timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["worker"] == "stale"


def test_login_failures_are_purged_by_the_job_not_by_the_login(app, client, seed, frozen_clock):
    LoginAttempt.record_failure("old@example.org", "10.0.0.1")
    frozen_clock.shift(timedelta(days=2))
    LoginAttempt.record_failure("new@example.org", "10.0.0.1")
    assert LoginAttempt.select().count() == 2  # recording one deletes nothing
    assert jobs.tick(names=["core-purge"], force=True) == {"core-purge": 1}
    assert [a.identifier for a in LoginAttempt.select()] == ["new@example.org"]


def test_cli_jobs_run_and_list(app, runner, seed):
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0 and "core-outbox: 0" in result.output
    assert runner.invoke(args=["jobs", "run"]).output.strip() == "nothing due"
    result = runner.invoke(args=["jobs", "run", "core-outbox"])
    assert result.exit_code == 0 and result.output.strip() == "core-outbox: 0"
    result = runner.invoke(args=["jobs", "run", "nope"])
    assert result.exit_code != 0 and "unknown job: nope" in result.output
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "core-outbox (minute): last" in listing and "library-expire-holds (15 minutes)" in listing


@pytest.mark.live
def test_worker_command_delivers_a_queued_mail(app, seed, smtp_server, mail_worker):
    """`flask --app portal worker` (the huey consumer, as `make run` starts it) against the file
    database sends a mail queued by the app to aiosmtpd, once, and keeps the heartbeat."""
    with database().atomic():
        send_mail("rosa@example.org", "Dal worker", "Consegnato dal worker.")
    worker = mail_worker(app, smtp_server)
    try:
        assert smtp_server.wait_for(1, timeout=60), worker.log()
    finally:
        returncode = worker.stop()
    recipients, mail = smtp_server.messages[0]
    assert recipients == ["rosa@example.org"] and mail["Subject"] == "Dal worker"
    assert len(smtp_server.messages) == 1
    database().close()  # read what the worker wrote through a fresh connection
    database().connect()
    assert OutboxMessage.get().sent_at is not None
    assert JobRun.get(JobRun.name == jobs.HEARTBEAT).started_at is not None
    assert returncode == 0, worker.log()


def test_links_in_a_jobs_mail_come_from_base_url(app, seed):
    """A job runs outside any request: its absolute links are built from BASE_URL."""
    from portal.events.models import Event, Registration
    from portal.models import Site

    app.config["BASE_URL"] = "https://binari.example.org"
    start = utcnow() + timedelta(hours=20)
    event = Event.create(
        site=Site.get(Site.slug == "faenza"), title="Cena", starts_at=start, ends_at=start + timedelta(hours=2),
        status="published", capacity=30,
    )  # fmt: skip
    Registration.create(
        event=event, name="Rosa", email="rosa@example.org", status="confirmed", created_at=utcnow() - timedelta(days=3)
    )
    assert jobs.tick(names=["events-remind-day-before"], force=True) == {"events-remind-day-before": 1}
    body = OutboxMessage.get().body
    assert "https://binari.example.org/events/registration/" in body and "localhost" not in body
