"""The volunteer races of test_volunteer_live.py on PostgreSQL, where SQLite's write lock
does not serialise anything."""

import pytest
from test_volunteer_live import races


@pytest.mark.xdist_group("postgres")
def test_concurrent_requests_on_postgres(pg_live_server):
    """The same races on PostgreSQL, where SQLite's write lock does not serialise anything."""
    from portal import demo

    demo.load_core()
    races(pg_live_server)
