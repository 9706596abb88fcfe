# PostgreSQL: a trigram index (pg_trgm, GIN) on the folded search column, so the catalogue search's
# LIKE '%word%' reads the index instead of every title. SQLite searches through FTS5 and gets nothing.
from peewee import PostgresqlDatabase


def _postgres(db):
    database = getattr(db, "obj", db)
    return isinstance(database, PostgresqlDatabase)


def up(migrator, db):
    if _postgres(db):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql(
            "CREATE INDEX IF NOT EXISTS library_title_search_trgm ON library_title USING gin (search_text gin_trgm_ops)"
        )


def down(migrator, db):
    if _postgres(db):
        db.execute_sql("DROP INDEX IF EXISTS library_title_search_trgm")
