"""Shell commands: migrations, create-user, demo."""

from portal.models import Site, StaffSite, User


def test_create_user_command(runner, seed):
    result = runner.invoke(
        args=[
            "create-user",
            "nuova@example.org",
            "--name",
            "Nuova Staff",
            "--password",
            "password123",
            "--role",
            "staff",
            "--site",
            "faenza",
            "--site",
            "visconti",
        ]
    )
    assert result.exit_code == 0, result.output
    user = User.get(User.email == "nuova@example.org")
    assert user.role == "staff" and user.check_password("password123")
    assert StaffSite.select().where(StaffSite.user == user).count() == 2
    again = runner.invoke(args=["create-user", "nuova@example.org", "--name", "X", "--password", "password123"])
    assert again.exit_code != 0 and "already exists" in again.output
    bad = runner.invoke(
        args=[
            "create-user",
            "b@example.org",
            "--name",
            "X",
            "--password",
            "password123",
            "--role",
            "staff",
            "--site",
            "atlantide",
        ]
    )
    assert bad.exit_code != 0 and not User.select().where(User.email == "b@example.org").exists()


def test_demo_fills_only_an_empty_database(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert Site.select().count() == 3
    assert User.select().where(User.role == "admin").count() == 1
    accounts = User.select().count()
    result = runner.invoke(args=["demo"])
    assert "already has data" in result.output
    assert User.select().count() == accounts


def test_db_upgrade_is_idempotent(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output
