"""Bench the impact reports on the large benchmark database: a year for the three centres.

    .venv/bin/python bench/bench_reports.py

Fills a temporary SQLite database (or DATABASE_URL=postgresql://... for an empty PostgreSQL
database) with the library's and the bookings' bench data (their own fill functions), plus a
year of events with registrations at the three centres, then times the report page, the CSV and
the PDF through the test client and counts their SQL queries. Not a test: it prints figures.
Targets (issue 16): the page < 300 ms, the PDF < 3 s. "cpu" is the process's CPU time (the
database is SQLite in the same process): on a busy machine it is steadier than the wall clock.
The database stays in /tmp/bench-reports-*/: BENCH_DB=/tmp/bench-reports-…/bench.sqlite3 times it
again without filling (it is migrated first).
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BINARI_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")

EVENTS = int(os.environ.get("BENCH_EVENTS", 3000))
REGISTRATIONS_PER_EVENT = int(os.environ.get("BENCH_REGS", 12))


def main():
    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    tmp = tempfile.mkdtemp(prefix="bench-reports-")
    reuse = os.environ.get("BENCH_DB")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{reuse or tmp + '/bench.sqlite3'}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "UPLOAD_DIR": f"{tmp}/uploads",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        upgrade_database()
        if reuse:
            print(f"reusing {reuse}")
        else:
            started = time.perf_counter()
            fill(database())
            print(f"filled in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        measure(app, database())
        database().close()


def fill(db):
    """The other bench scripts' fill functions (the core is loaded once), then events."""
    import bench_bookings
    import bench_library

    from portal import demo

    load_core = demo.load_core
    loaded = {}

    def load_core_once():
        if "ctx" not in loaded:
            loaded["ctx"] = load_core()
        return loaded["ctx"]

    demo.load_core = load_core_once
    try:
        bench_library.fill()
        bench_bookings.fill(db)
    finally:
        demo.load_core = load_core
    fill_events(db, loaded["ctx"])


def fill_events(db, ctx):
    """A year and a half of events at the three centres, with registrations (guests and accounts)."""
    from portal.clock import to_utc, today_local, utcnow
    from portal.events.models import Event, Registration
    from portal.models import User

    rnd = random.Random(16)
    rooms = list(ctx["rooms"].values())
    partners = list(ctx["partners"].values())
    categories = ["cultura", "sport", "formazione", "lavoro", "bambini", "anziani", "cibo", "salute"]
    today = today_local()
    now = utcnow()
    users = [u for (u,) in User.select(User.id).tuples()]
    rows = []
    for i in range(EVENTS):
        start = to_utc(today - timedelta(days=rnd.randint(0, 540)), clock_time(rnd.randint(9, 20)))
        room = rnd.choice(rooms)
        rows.append(
            dict(
                site=room.site_id,
                room=room.id,
                partner=rnd.choice(partners).id,
                title=f"Evento {i}",
                description="Un evento del quartiere.",
                category=rnd.choice(categories),
                audience=rnd.choice(["tutti", "bambini", "adulti"]),
                is_free=True,
                price="",
                capacity=30,
                poster="",
                poster_alt="",
                sign_language=False,
                subtitles=False,
                access_notes="",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                status=rnd.choice(["published"] * 9 + ["cancelled"]),
                taken=0,
                created_at=now,
                updated_at=now,
                detached=False,
                cancel_reason="",
                moderation_note="",
            )
        )
    with db.atomic():
        for n in range(0, len(rows), 200):
            Event.insert_many(rows[n : n + 200]).execute()
    fields = {f.name for f in Registration._meta.sorted_fields}
    regs = []
    for (event_id,) in Event.select(Event.id).tuples():
        guests = rnd.sample(range(4000), REGISTRATIONS_PER_EVENT)  # one registration per e-mail and event
        for k in range(REGISTRATIONS_PER_EVENT):
            row = {"event": event_id, "created_at": now}
            if k % 2 and users:
                row["user"] = users[(event_id * 7 + k) % len(users)]
            for name, value in (
                ("name", f"Ospite {k}"),
                ("email", f"g{guests[k]}@bench.example"),
                ("status", rnd.choice(["confirmed"] * 8 + ["waitlist", "cancelled"])),
                ("attended", rnd.choice([True, True, True, False, None])),
            ):
                if name in fields:
                    row[name] = value
            regs.append({key: value for key, value in row.items() if key in fields or key == "event"})
    try:
        with db.atomic():
            for n in range(0, len(regs), 500):
                Registration.insert_many(regs[n : n + 500]).execute()
    except Exception as error:  # the registration model may need fields this script does not know
        print(f"registrations not filled: {error}")
    print(f"events {Event.select().count()}, registrations {Registration.select().count()}")


def measure(app, db):
    from portal.clock import today_local

    counter = {"n": 0}
    raw = db.obj
    original = raw.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        counter["n"] += 1
        return original(sql, params, *args, **kwargs)

    raw.execute_sql = counting
    # The app context stays pushed (for the fill), so Flask reuses it, and its `g`, for every
    # request: start each request with a fresh `g`, as in production (and as tests/conftest.py does).
    from flask import g

    def fresh_g():
        g.__dict__.clear()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_g)
    client = app.test_client()
    client.post("/login", data={"identifier": "admin@binari.example", "password": "binari2026"})
    year = today_local().year
    last = f"start={year - 1}-01-01"
    pages = [
        ("page: year, all centres", f"/staff/reports?site=all&period=year&{last}", 7),
        ("page: quarter, one centre", f"/staff/reports?site=erlembaldo&period=quarter&{last}", 7),
        ("page: month, all (12 bars)", "/staff/reports?site=all&period=month", 7),
        ("CSV: year, all centres", f"/staff/reports/report.csv?site=all&period=year&{last}", 3),
        ("PDF: year, all centres", f"/staff/reports/report.pdf?site=all&period=year&{last}", 3),
        ("partner page: year", f"/staff/reports/partners/1?period=year&{last}", 5),
        ("partner PDF: year", f"/staff/reports/partners/1.pdf?period=year&{last}", 3),
    ]
    client.get(pages[0][1])  # compile the templates first
    client.get(pages[4][1])  # import WeasyPrint once (about a second, not per request)
    for label, url, runs in pages:
        timings, cpu = [], []
        for _ in range(runs):
            counter["n"] = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append(1000 * (time.perf_counter() - started))
            cpu.append(1000 * (time.process_time() - started_cpu))
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"  {label:30s} median {statistics.median(timings):7.1f} ms  max {max(timings):7.1f} ms  "
            f"cpu {statistics.median(cpu):7.1f} ms  "
            f"{counter['n']:4d} queries  {len(response.data) / 1024:6.1f} KB"
        )


if __name__ == "__main__":
    main()
