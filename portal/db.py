"""The database: one peewee database behind FlaskDB, chosen by DATABASE_URL.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so several
gunicorn workers can write without "database is locked" errors and a killed
process never loses a committed transaction. PostgreSQL works through the
same URL setting (``postgresql://user:pass@host/db``).
"""

import sqlite3
import weakref

from flask import g
from peewee import ModelTupleCursorWrapper, SqliteDatabase
from playhouse.db_url import connect
from playhouse.flask_utils import FlaskDB


class PortalFlaskDB(FlaskDB):
    """FlaskDB that opens the connection only when a request first uses it.

    A request that never touches the database (a page served from the micro-cache,
    portal/pagecache.py; a static file) pays nothing: peewee connects on the first query
    (autoconnect) and the request closes that connection at the end, as FlaskDB does (with
    DATABASE_POOL_SIZE, "closing" gives it back to the pool).
    When the caller already holds one (a CLI command, a test), the request uses it and
    leaves it open instead of closing it under the caller's feet.
    """

    def connect_db(self):
        g._portal_db_was_open = not self.database.is_closed()

    def close_db(self, exc):
        if not g.pop("_portal_db_was_open", True) and not self.database.is_closed():
            close_cursors = getattr(self.database.connection(), "close_cursors", None)
            if close_cursors is not None:
                close_cursors()  # on this thread, before another request can have the connection
            self.database.close()


class TrackedConnection(sqlite3.Connection):
    """A SQLite connection that can close every cursor it handed out (`close_cursors`).

    Why: a request that ends leaves cursors behind in reference cycles (an IntegrityError's
    traceback holds the frames that hold them). Python's cyclic garbage collector frees them later,
    on whichever thread allocates at that moment, and freeing a cursor resets its statement, which
    takes its connection's mutex. If the connection is by then another request's, waiting in
    BEGIN IMMEDIATE for the write lock (SQLite holds the mutex while its busy handler sleeps), and
    the collecting thread is the one holding the write lock, neither moves until the 10 s busy
    timeout: "database is locked" (seen with gdb in test_bookings_live's staff-move race).
    A closed cursor has no statement left to reset, so the collector never needs the mutex.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cursors = weakref.WeakSet()

    def cursor(self, *args, **kwargs):
        """A cursor, remembered (weakly) so that `close_cursors` can close it."""
        cursor = super().cursor(*args, **kwargs)
        self._cursors.add(cursor)
        return cursor

    def close_cursors(self):
        """Close the cursors still alive: their statements are reset now, on the owning thread."""
        for cursor in list(self._cursors):
            cursor.close()
        self._cursors.clear()


flask_db = PortalFlaskDB()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    # WAL + NORMAL is durable against a killed process (only a power cut can lose
    # the last transactions), and much faster than FULL on a small VPS disk.
    "synchronous": "normal",
    "busy_timeout": 10000,
    # 2 MB of page cache per connection (SQLite's default); pooled connections keep theirs, and with
    # 8 MB each a worker's four grew by 30 MB on the benchmark database. The OS caches the file too.
    "cache_size": -2000,
}


# How long a pooled connection is kept before it is replaced (seconds), and how long a request waits
# for a free one when all are in use before it fails.
POOL_STALE_SECONDS = 300
POOL_WAIT_SECONDS = 30


def pooled_url(url):
    """The URL of peewee's pooled database for `url` (``sqlite://`` -> ``sqlite+pool://``)."""
    scheme, sep, rest = url.partition("://")
    return url if scheme.endswith("+pool") or not sep else f"{scheme}+pool://{rest}"


def open_database(url, pool_size=0):
    """Create the peewee database object for a URL (not yet connected).

    With `pool_size` (DATABASE_POOL_SIZE), peewee's connection pool (playhouse.pool) keeps up to
    that many connections open and hands one to each request: a new SQLite connection parses the
    schema and starts with an empty page cache, a new PostgreSQL one costs a login; together about
    half of an event page's time on the large benchmark database (bench/README.md). A connection
    left inside a transaction is rolled back when it comes back to the pool.
    """
    kwargs = {}
    if pool_size:
        url = pooled_url(url)
        kwargs = {"max_connections": pool_size, "stale_timeout": POOL_STALE_SECONDS, "timeout": POOL_WAIT_SECONDS}
        if url.startswith("sqlite"):
            # A pooled connection serves one request at a time, but not always on the thread that opened it.
            kwargs["check_same_thread"] = False
    if url.startswith("sqlite"):
        # timeout: seconds the sqlite3 module waits for a lock before failing.
        # lock_type IMMEDIATE: every transaction takes the write lock at BEGIN, so
        # two requests never both read a count and then race to write (and a
        # read->write upgrade never fails with "database is locked").
        # With the pool, `timeout` is the pool's wait for a free connection instead; the lock wait
        # is then busy_timeout's alone (the same 10 s).
        db = connect(
            url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", factory=TrackedConnection, **{"timeout": 10, **kwargs}
        )
        # Searches compare text without case and accents: SQLite has no such function, so Python's.
        from .text import fold

        db.register_function(fold, "binari_fold", 1, deterministic=True)
        return db
    return connect(url, **kwargs)


class BaseModel(flask_db.Model):  # type: ignore[name-defined]  # FlaskDB makes the class at run time
    """Base class of every model: bound to the application's database."""


def database():
    """The live database (the Proxy's target)."""
    return flask_db.database


def is_sqlite():
    """True when the configured database is SQLite (FTS5, pragmas)."""
    return isinstance(database().obj, SqliteDatabase)


def lock_row(model, row_id):
    """Serialise writers on one parent row for the rest of the transaction.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the row, so a sequence computed from it (the next
    place in a queue) cannot be computed twice at once. SQLite needs nothing: its transactions
    take the write lock at BEGIN (IMMEDIATE).
    """
    if not is_sqlite():
        list(model.select(model.id).where(model.id == row_id).for_update())


class CompiledSelect:
    """A peewee select whose SQL is built once per database dialect, then run with new values.

    peewee builds a query's SQL every time it runs; for a select of four joined models (an event with
    its centre, room and partner) that takes 0.5 ms, five times what SQLite takes to answer it. `build`
    receives placeholder values and returns the query; its parameters must be exactly those values,
    in order (checked when it is built). Rows come back as the query would give them (models with
    their joined models, or tuples with `.tuples()`)."""

    def __init__(self, build, arity=1):
        self.build, self.arity = build, arity
        self.compiled = {}  # database param style ("?" or "%s") -> (query, sql)
        self.converters = {}  # database param style -> a `.tuples()` query's column converters

    def _compiled(self, db):
        entry = self.compiled.get(db.param)
        if entry is None:
            placeholders = [-7_654_321 - number for number in range(self.arity)]
            query = self.build(*placeholders)
            sql, params = query.sql()
            if [str(value) for value in params] != [
                str(value) for value in placeholders
            ]:  # a text field gives "-7654321"
                raise ValueError(f"CompiledSelect: the query has other parameters than its placeholders: {params}")
            entry = self.compiled.setdefault(db.param, (query, sql))
        return entry

    def first(self, *values):
        """The first row for these values, or None.

        A `.tuples()` query's row is converted here with the converters peewee chose for its first row:
        peewee's cursor wrapper works them out again for every query (a third of the 100 µs an event
        page's stamp took, portal/pagecache.py)."""
        db = database()
        query, sql = self._compiled(db)
        cursor = db.execute_sql(sql, values)
        converters = self.converters.get(db.param)
        if converters is not None:
            row = cursor.fetchone()
            cursor.close()
            if row is None:
                return None
            return tuple(
                value if convert is None else convert(value) for convert, value in zip(converters, row, strict=True)
            )
        rows = query._get_cursor_wrapper(cursor)
        row = next(iter(rows), None)
        if row is not None and type(rows) is ModelTupleCursorWrapper:
            self.converters.setdefault(db.param, list(rows.converters))
        return row
