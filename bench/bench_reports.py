"""Bench the impact reports on the large benchmark database: a year for the three centres.

    .venv/bin/python bench/bench_reports.py

Fills a temporary SQLite database (or DATABASE_URL=postgresql://... for an empty PostgreSQL
database) with the library's and the bookings' bench data (their own fill functions), plus a
year of events with registrations at the three centres, then times the report page, the CSV and
the PDF through the test client and counts their SQL queries. Not a test: it prints figures.
Targets (issue 16): the page < 300 ms, the PDF < 3 s (every request builds it: nothing is cached).
"cpu" is the process's CPU time (the database is SQLite in the same process): on a busy machine it
is steadier than the wall clock.
The database stays in /tmp/bench-reports-*/, or at BENCH_DB=/path/bench.sqlite3 (filled when the file
does not exist yet; reused, after migrating, when it does). Each line gives the minimum and the
median of several runs (the machine is shared: the minimum is the steadiest) and the queries of
one request. BENCH_ONLY=PDF times only the lines whose label holds that text; BENCH_RUNS=n sets the
runs; BENCH_SAVE=/dir writes the CSV exports, the pages and the PDF there, to compare the figures
before and after a change.
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
#: Help desks per centre, each with a half day of 30-minute slots on three weekdays for 18 months.
DESKS_PER_SITE = int(os.environ.get("BENCH_DESKS", 2))


def main():
    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    tmp = tempfile.mkdtemp(prefix="bench-reports-")
    path = os.environ.get("BENCH_DB")
    reuse = path if path and Path(path).exists() else None
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{path or tmp + '/bench.sqlite3'}"
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
    fill_desks(db, loaded["ctx"])


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


def fill_desks(db, ctx):
    """Help desks at the three centres with a year and a half of appointments (members and guests,
    a few no-shows and cancellations), booked a few days to a few weeks ahead."""
    from portal.clock import to_utc, today_local, utcnow
    from portal.desks.models import Appointment, Desk, Slot
    from portal.models import User

    rnd = random.Random(17)
    topics = ["legal", "work", "housing", "financial", "pension", "social", "youth", "elderly"]
    partners = list(ctx["partners"].values())
    users = [u for (u,) in User.select(User.id).tuples()]
    today = today_local()
    now = utcnow()
    desks = []
    with db.atomic():
        for site in ctx["sites"].values():
            for n in range(DESKS_PER_SITE):
                desks.append(
                    Desk.create(
                        site=site,
                        partner=rnd.choice(partners),
                        name=f"Sportello {n + 1}",
                        topics=",".join(rnd.sample(topics, 2)),
                        position=n,
                    )
                )
        slots = []
        for k, desk in enumerate(desks):
            for back in range(-30, 540):
                day = today - timedelta(days=back)
                if day.weekday() not in (k % 5, (k + 2) % 5, (k + 4) % 5):
                    continue
                for m in range(8):
                    start = to_utc(day, clock_time(9 + m // 2, 30 * (m % 2)))
                    slots.append({"desk": desk.id, "starts_at": start, "ends_at": start + timedelta(minutes=30)})
        for n in range(0, len(slots), 500):
            Slot.insert_many(slots[n : n + 500]).execute()
        rows = []
        for slot_id, desk_id, starts_at in Slot.select(Slot.id, Slot.desk, Slot.starts_at).tuples():
            if rnd.random() < 0.3:
                continue
            past = starts_at <= now
            status = rnd.choice(["arrived"] * 6 + ["no_show", "cancelled"]) if past else "booked"
            user = rnd.choice(users) if rnd.random() < 0.6 else None
            guest = "" if user else f"+39333{rnd.randint(0, 2999):07d}"
            rows.append(
                {
                    "slot": slot_id,
                    "desk": desk_id,
                    "user": user,
                    "guest_name": "" if user else "Ospite",
                    "guest_phone": guest,
                    "person_key": f"u{user}" if user else f"c{guest}",
                    "status": status,
                    "created_at": min(now, starts_at - timedelta(days=rnd.randint(0, 30), minutes=rnd.randint(0, 600))),
                    "changed_at": min(now, starts_at),
                    "token": f"bench{slot_id}",
                }
            )
        for n in range(0, len(rows), 500):
            Appointment.insert_many(rows[n : n + 500]).execute()
    print(f"desks {len(desks)}, slots {len(slots)}, appointments {Appointment.select().count()}")


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
    # The first PDF of a process also imports WeasyPrint and loads its fonts (about a second, once
    # per worker): timed apart; the PDF line below is every later request (nothing is cached).
    counter["n"] = 0
    started, started_cpu = time.perf_counter(), time.process_time()
    assert client.get(pages[4][1]).status_code == 200
    print(
        f"  {'PDF: first in the process':30s} once {1000 * (time.perf_counter() - started):7.1f} ms  "
        f"cpu {1000 * (time.process_time() - started_cpu):7.1f} ms  {counter['n']:4d} queries  (WeasyPrint import)"
    )
    only = os.environ.get("BENCH_ONLY", "")
    for label, url, runs in pages:
        if only and only not in label:
            continue
        runs = int(os.environ.get("BENCH_RUNS", runs))
        timings, cpu = [], []
        for _ in range(runs):
            counter["n"] = 0
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append(1000 * (time.perf_counter() - started))
            cpu.append(1000 * (time.process_time() - started_cpu))
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"  {label:30s} min {min(timings):7.1f} ms  median {statistics.median(timings):7.1f} ms  "
            f"max {max(timings):7.1f} ms  cpu min {min(cpu):7.1f} ms  "
            f"{counter['n']:4d} queries  {len(response.data) / 1024:6.1f} KB"
        )
    save = os.environ.get("BENCH_SAVE")
    if save:  # the figures, to compare before and after a change (diff the files)
        Path(save).mkdir(parents=True, exist_ok=True)
        for name, url in (
            ("year-last.csv", f"/staff/reports/report.csv?site=all&period=year&{last}"),
            ("year-this.csv", "/staff/reports/report.csv?site=all&period=year"),
            ("quarter-one.csv", f"/staff/reports/report.csv?site=erlembaldo&period=quarter&{last}"),
            ("year-page.html", f"/staff/reports?site=all&period=year&{last}"),
            ("month-page.html", "/staff/reports?site=all&period=month"),
            ("quarter-page.html", f"/staff/reports?site=erlembaldo&period=quarter&{last}"),
            ("year.pdf", f"/staff/reports/report.pdf?site=all&period=year&{last}"),
        ):
            Path(save, name).write_bytes(client.get(url).data)
        print(f"saved the exports in {save}")


if __name__ == "__main__":
    main()
