"""Shell commands: `flask --app portal db upgrade|status|generate`, `create-user`, `demo`."""

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


def init_app(app):
    app.cli.add_command(db_cli)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
