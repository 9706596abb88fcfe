"""The scheduler: one worker runs the outbox delivery and every area's jobs.

`tick(now)` is the whole schedule: it touches the worker's heartbeat, then runs each job that is
due (its last start at least ``every`` ago, `portal.areas.JOB_INTERVALS`). A run is claimed with a
conditional UPDATE of its `JobRun` row, so two workers (or the worker and a cron
``flask jobs run``) never run the same job at the same time; jobs are idempotent anyway.

The worker is huey (`huey.contrib.sql_huey`) over the app's own database, SQLite or PostgreSQL:
``flask --app portal worker`` starts its consumer, which enqueues `tick` once a minute (and once at
start). ``flask --app portal jobs run [NAME]`` runs the due jobs once (or NAME now): for cron and
tests. Core jobs: ``core-outbox`` (deliver due mail, every minute) and ``core-purge`` (old login
failures and old sent mail, daily).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_request_context

from . import areas
from .areas import Job
from .clock import utcnow
from .db import database, open_database
from .models import JobRun, LoginAttempt
from .outbox import deliver_due, purge_sent

log = logging.getLogger("portal.jobs")

HEARTBEAT = "worker"  # the JobRun row the worker touches on every tick
#: A job whose interval has almost passed runs: ticks are a minute apart, give or take.
SLACK = timedelta(seconds=10)
LOGIN_ATTEMPT_RETENTION = timedelta(days=1)


def purge(now: datetime) -> int:
    """Retention: failed logins older than a day, sent mail older than OUTBOX_RETENTION_DAYS."""
    with database().atomic():
        logins = LoginAttempt.delete().where(LoginAttempt.created_at < now - LOGIN_ATTEMPT_RETENTION).execute()
    return logins + purge_sent(now)


CORE_JOBS = (
    Job("core-outbox", deliver_due, every="minute"),
    Job("core-purge", purge, every="daily"),
)


def all_jobs() -> list[Job]:
    """The core's jobs, then every area's, in order."""
    return list(CORE_JOBS) + [job for _area, job in areas.jobs()]


def find_job(name: str) -> Job | None:
    return next((job for job in all_jobs() if job.name == name), None)


def _ensure_row(name: str) -> None:
    with database().atomic():
        JobRun.insert(name=name).on_conflict_ignore().execute()


def claim(job: Job, now: datetime, force: bool = False) -> bool:
    """Take the job's run at `now`: True when it was due (or forced) and nobody else took it."""
    _ensure_row(job.name)
    condition = JobRun.name == job.name
    if not force:
        last = now - timedelta(seconds=job.seconds) + SLACK
        condition &= JobRun.started_at.is_null() | (JobRun.started_at <= last)
    with database().atomic():
        return JobRun.update(started_at=now).where(condition).execute() == 1


def run_job(job: Job, now: datetime) -> int:
    """Run one job (already claimed) and record what it did or how it failed."""
    try:
        count = job.run(now)
    except Exception as exc:  # one broken job must not stop the others; the row keeps the error
        log.exception("job %s failed", job.name)
        with database().atomic():
            JobRun.update(finished_at=utcnow(), error=f"{type(exc).__name__}: {exc}"[:500]).where(
                JobRun.name == job.name
            ).execute()
        return 0
    with database().atomic():
        JobRun.update(finished_at=utcnow(), count=count, error="").where(JobRun.name == job.name).execute()
    if count:
        log.info("job %s: %d", job.name, count)
    return count


def heartbeat(now: datetime) -> None:
    _ensure_row(HEARTBEAT)
    with database().atomic():
        JobRun.update(started_at=now, finished_at=now).where(JobRun.name == HEARTBEAT).execute()


def link_context() -> Any:
    """A request context at BASE_URL, so absolute links in a job's mail build
    the portal's public address (never a request's Host); a no-op inside a request."""
    if has_request_context():
        return nullcontext()
    base = current_app.config.get("BASE_URL") or "http://localhost"
    return current_app.test_request_context("/", base_url=base)


def tick(now: datetime | None = None, names: list[str] | None = None, force: bool = False) -> dict[str, int]:
    """Run every due job (or only `names`; `force` ignores the interval). Returns {job: count}."""
    now = now or utcnow()
    heartbeat(now)
    done = {}
    with link_context():
        for job in all_jobs():
            if names is not None and job.name not in names:
                continue
            if claim(job, now, force=force):
                done[job.name] = run_job(job, now)
    return done


def worker_status(now: datetime | None = None) -> dict[str, Any]:
    """The worker's heartbeat for /healthz: "ok", "stale" (older than WORKER_STALE_SECONDS) or "never"."""
    row = JobRun.get_or_none(JobRun.name == HEARTBEAT)
    if row is None or row.started_at is None:
        return {"worker": "never"}
    age = int(((now or utcnow()) - row.started_at).total_seconds())
    stale = age > current_app.config["WORKER_STALE_SECONDS"]
    return {"worker": "stale" if stale else "ok", "worker_heartbeat_age_s": age}


# --- the huey worker --------------------------------------------------------------------------


def _storage_class() -> type:
    from huey.contrib.sql_huey import BytesBlobField, SqlStorage
    from peewee import CharField, CompositeKey, FloatField, IntegerField, Model, TimestampField

    class PortalSqlStorage(SqlStorage):
        """huey's SQL storage with its tables named huey_* beside the portal's (same columns)."""

        def create_models(self):
            class Base(Model):
                class Meta:
                    database = self.database

            class KV(Base):
                queue = CharField()
                key = CharField()
                value = BytesBlobField()

                class Meta:
                    table_name = "huey_kv"
                    primary_key = CompositeKey("queue", "key")

            class Schedule(Base):
                queue = CharField()
                data = BytesBlobField()
                timestamp = TimestampField(resolution=1000)

                class Meta:
                    table_name = "huey_schedule"
                    indexes = ((("queue", "timestamp"), False),)

            class Task(Base):
                queue = CharField()
                data = BytesBlobField()
                priority = FloatField(default=0.0)

                class Meta:
                    table_name = "huey_task"

            Task.add_index(Task.priority.desc(), Task.id)

            class Counter(Base):
                queue = CharField()
                key = CharField()
                value = IntegerField()

                class Meta:
                    table_name = "huey_counter"
                    primary_key = CompositeKey("queue", "key")

            return (KV, Schedule, Task, Counter)

    return PortalSqlStorage


def make_huey(app: Flask) -> tuple[Any, Any]:
    """A huey instance over the app's database and its periodic `tick` task."""
    from huey import Huey, crontab

    huey = Huey(
        "binari",
        storage_class=_storage_class(),
        database=open_database(app.config["DATABASE_URL"]),
        results=False,
        utc=True,
    )

    @huey.periodic_task(crontab(minute="*"), name="tick")
    def tick_task():
        with app.app_context(), database().connection_context():
            tick()

    return huey, tick_task
