"""Shell commands: `flask --app portal db upgrade|status|generate`, `create-user`, `demo`, `worker`,
`jobs run|list`."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from .db import database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

db_cli = AppGroup("db", help="Database schema: migrations in migrations/ (playhouse.migrations).")


def migration_runner():
    from playhouse.migrations import Runner

    return Runner(database().obj, directory=str(MIGRATIONS_DIR))


def upgrade_database():
    """Apply pending migrations; returns their names."""
    db = database()
    with db.connection_context():
        return migration_runner().up()


@db_cli.command("upgrade")
def upgrade_command():
    """Apply every pending migration."""
    applied = upgrade_database()
    click.echo("\n".join(f"applied: {name}" for name in applied) or "database is up to date")


@db_cli.command("status")
def status_command():
    """List migrations and when they were applied."""
    with database().connection_context():
        for migration in migration_runner().status():
            click.echo(f"{migration.name}: {migration.applied or 'pending'}")


@db_cli.command("generate")
@click.argument("name")
def generate_command(name):
    """Write a new migration for the difference between the models and the database."""
    from playhouse.migrations import template

    from .schema import schema_diff

    with database().connection_context():
        diff = schema_diff(database().obj)
        if not diff:
            click.echo("schema matches models: nothing to generate")
            return
        click.echo(migration_runner().create(name, body=template(diff)))


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["resident", "staff", "admin"]), default="resident")
@click.option("--site", "sites", multiple=True, help="Centre slug (staff): repeat for several.")
@click.option("--phone", default=None)
def create_user_command(email, name, password, role, sites, phone):
    """Create an account from the shell."""
    from .models import Site, StaffSite, User
    from .validation import normalise_phone

    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    with database().connection_context(), database().atomic():
        if User.select().where(User.email == email.lower()).exists():
            raise click.ClickException(f"an account with {email} already exists")
        site_rows = []
        for slug in sites:
            site = Site.get_or_none(Site.slug == slug)
            if site is None:
                raise click.ClickException(f"unknown site: {slug}")
            site_rows.append(site)
        user = User.create_account(
            name, password, email=email, phone=normalise_phone(phone) if phone else None, role=role
        )
        for site in site_rows:
            StaffSite.create(user=user, site=site)
    click.echo(f"created {role} {email} member code {user.member_code}")


@click.command("demo")
@click.option("--if-empty/--force", default=True, help="Only fill an empty database (default).")
def demo_command(if_empty):
    """Fill an empty database with believable demo content for the three centres."""
    from . import demo
    from .models import Site

    with database().connection_context():
        if Site.select().exists():
            if if_empty:
                click.echo("database already has data: demo not loaded")
                return
            click.echo("refusing to load demo data twice", err=True)
            sys.exit(1)
        summary = demo.load()
    click.echo("demo data loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


jobs_cli = AppGroup("jobs", help="Scheduled work (portal.jobs): what is due, run it once.")


@jobs_cli.command("run")
@click.argument("names", nargs=-1)
def jobs_run_command(names):
    """Run the due jobs once (for cron and tests); with NAMEs, run those now, due or not."""
    from . import jobs

    unknown = [name for name in names if jobs.find_job(name) is None]
    if unknown:
        raise click.ClickException(f"unknown job: {', '.join(unknown)} (see `flask jobs list`)")
    with database().connection_context():
        done = jobs.tick(names=list(names) or None, force=bool(names))
    click.echo("\n".join(f"{name}: {count}" for name, count in done.items()) or "nothing due")


@jobs_cli.command("list")
def jobs_list_command():
    """Every job, how often it runs, and its last run."""
    from . import jobs
    from .models import JobRun

    with database().connection_context():
        runs = {row.name: row for row in JobRun.select()}
    for job in jobs.all_jobs():
        row = runs.get(job.name)
        last = "never run"
        if row and row.started_at:
            last = f"last {row.started_at:%Y-%m-%d %H:%M:%S} UTC, did {row.count}"
        error = f", error: {row.error}" if row and row.error else ""
        click.echo(f"{job.name} ({job.every}): {last}{error}")


@click.command("worker")
@click.option("--workers", default=1, show_default=True, help="huey worker threads.")
def worker_command(workers):
    """Run the worker (huey consumer): mail delivery and every scheduled job, until Ctrl-C."""
    from flask import current_app

    from .jobs import make_huey

    huey, tick_task = make_huey(current_app._get_current_object())
    tick_task()  # once at start, then every minute
    huey.create_consumer(workers=workers, periodic=True, worker_type="thread").run()


@click.group("storage")
def storage_cli():
    """Where uploads and the printout cache live (local disk or an S3 bucket)."""


@storage_cli.command("init")
def storage_init_command():
    """Create the S3 bucket when missing and check a write and a read (local disk: says where)."""
    from flask import current_app

    from .storage import ensure_bucket

    click.echo(ensure_bucket(current_app._get_current_object()))


def init_app(app):
    app.cli.add_command(jobs_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(db_cli)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    from .backup import backup_command

    app.cli.add_command(backup_command)
