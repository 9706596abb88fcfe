"""Cursors left behind by a request are closed when it gives its connection back (portal/db.py)."""

import gc

import pytest


def test_a_request_closes_the_cursors_it_leaves_in_reference_cycles(app):
    """A half-read cursor caught in a reference cycle is closed at the end of the request, so the
    garbage collector, running later on another thread, never has to reset its statement (which takes
    the connection's mutex: a deadlock with a request waiting for the write lock on that connection)."""
    import sqlite3

    from portal.db import TrackedConnection, database, is_sqlite

    if not is_sqlite():
        pytest.skip("SQLite connections only")
    left = {}

    @app.get("/_test/leave-a-cursor")
    def leave_a_cursor():
        cursor = database().execute_sql("SELECT 1 UNION ALL SELECT 2")
        cursor.fetchone()  # half read: its statement is still running
        cycle = {"cursor": cursor}
        cycle["self"] = cycle  # only the cyclic collector can free this
        left["cursor"] = cursor
        assert isinstance(database().connection(), TrackedConnection)
        return "ok"

    database().close()  # the request opens (and gives back) its own connection, as under gunicorn
    gc.disable()
    try:
        assert app.test_client().get("/_test/leave-a-cursor").status_code == 200
        with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
            left["cursor"].fetchone()
    finally:
        gc.enable()
        database().connect(reuse_if_open=True)
