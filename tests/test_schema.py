"""Schema changes only through migrations: an empty database migrated to the
latest version has exactly the models' tables, columns and indexes."""

import pytest
from peewee import SqliteDatabase
from playhouse.migrations import Runner

from portal.cli import MIGRATIONS_DIR
from portal.db import SQLITE_PRAGMAS, database
from portal.schema import all_models, schema_diff


def test_migrating_an_empty_database_gives_the_models_schema(tmp_path):
    db = SqliteDatabase(str(tmp_path / "empty.sqlite3"), pragmas=SQLITE_PRAGMAS)
    with db.connection_context():
        applied = Runner(db, directory=str(MIGRATIONS_DIR)).up()
        assert applied and applied[0] == "0001_initial"
        models = all_models()
        with db.bind_ctx(models):
            diff = schema_diff(db, models)
        assert not diff, f"models and migrations disagree:\n{diff}"
        # running again applies nothing
        assert Runner(db, directory=str(MIGRATIONS_DIR)).up() == []


@pytest.mark.sqlite_only("SQLite's pragmas")
def test_sqlite_runs_in_wal_with_foreign_keys(app):
    db = database()
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
