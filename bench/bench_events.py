"""Benchmark of the event calendar with the issue's volumes: 5,000 events and
200 recurring series. Prints timings and query counts of the key pages.

    .venv/bin/python bench/bench_events.py

A script, not a test: it builds a temporary SQLite database and deletes it.
"""

import os
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BINARI_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")


def main():
    tmp = tempfile.mkdtemp(prefix="bench-events-")
    os.environ["INSTANCE_PATH"] = tmp
    from peewee import Database

    from portal import create_app, demo
    from portal.cli import upgrade_database
    from portal.clock import to_utc, today_local, utcnow
    from portal.db import database
    from portal.events import series as series_rules
    from portal.events import services
    from portal.events.models import Event, Registration, Series

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "UPLOAD_DIR": f"{tmp}/uploads",
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    ctx = app.app_context()
    ctx.push()
    upgrade_database()
    core = demo.load_core()
    rnd = random.Random(3)
    rooms = list(core["rooms"].values())
    partners = list(core["partners"].values())
    categories = ["cultura", "sport", "formazione", "lavoro", "bambini", "anziani", "cibo", "salute", "sportelli"]
    today = today_local()
    started = clock.perf_counter()
    for i in range(200):
        room = rnd.choice(rooms)
        series = Series.create(
            freq=rnd.choice(["weekly", "weekly", "biweekly", "monthly"]),
            first_day=today - timedelta(days=rnd.randint(0, 60)),
            start_time=time(rnd.randint(9, 19)),
            end_time=time(20, 30),
            count=rnd.randint(12, 20),
            site=room.site_id,
            room=room,
            partner=rnd.choice(partners),
            title=f"Attività ricorrente {i}",
            description="Descrizione\nsu due righe",
            category=rnd.choice(categories),
            capacity=rnd.choice([None, 12, 20]),
        )
        series_rules.materialise(series, start_from=series.first_day)
    series_events = Event.select().count()
    rows = []
    now = utcnow()
    for i in range(5000 - series_events):
        start = to_utc(today + timedelta(days=rnd.randint(-200, 200)), time(rnd.randint(9, 20)))
        room = rnd.choice(rooms)
        rows.append(
            dict(
                site=room.site_id,
                room=room.id,
                partner=rnd.choice(partners).id,
                title=f"Evento {i}",
                description="Un evento del quartiere.",
                category=rnd.choice(categories),
                audience="tutti",
                is_free=True,
                price="",
                capacity=rnd.choice([None, 30]),
                poster="",
                poster_alt="",
                sign_language=False,
                subtitles=False,
                access_notes="",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                status="published",
                taken=0,
                created_at=now,
                updated_at=now,
                detached=False,
                cancel_reason="",
                moderation_note="",
            )
        )
    with database().atomic():
        for n in range(0, len(rows), 200):
            Event.insert_many(rows[n : n + 200]).execute()
    target = Event.select().where((Event.capacity == 30) & (Event.starts_at > now)).first()
    for i in range(40):
        services.register(target.id, f"P{i}", email=f"p{i}@example.org")
    print(
        f"database: {Event.select().count()} events, {Series.select().count()} series, "
        f"{Registration.select().count()} registrations (built in {clock.perf_counter() - started:.1f} s)"
    )

    client = app.test_client()
    month = today.strftime("%Y-%m")
    pages = [
        ("agenda", "/events"),
        ("agenda filtered (site+category+q)", "/events?site=faenza&category=sport&q=attivit"),
        ("agenda page 3 (no JS)", "/events?page=3"),
        ("agenda 'more' (htmx)", ("/events?page=3", {"HX-Request": "true", "HX-Target": "more-3"})),
        ("event page", f"/events/{target.id}"),
        ("month view", f"/events/month/{month}"),
        ("home (next events)", "/"),
        ("feed /events.ics (cold)", "/events.ics"),
        ("feed /events.ics (cached by ETag)", "/events.ics"),
        ("feed /events.ics?site= (cold)", "/events.ics?site=visconti"),
        ("feed /events.atom", "/events.atom"),
        ("one event .ics", f"/events/{target.id}.ics"),
        ("embed", "/events/embed?site=faenza"),
        ("programme PDF (cold)", f"/events/programme/{month}.pdf"),
        ("programme PDF (cached)", f"/events/programme/{month}.pdf"),
        ("flyer PDF (cold)", f"/events/{target.id}/flyer.pdf"),
    ]
    counter = {"n": 0}
    original = Database.execute_sql

    def counting(self, sql, params=None, *args, **kwargs):
        counter["n"] += 1
        return original(self, sql, params, *args, **kwargs)

    Database.execute_sql = counting
    print(f"{'page':40} {'ms (median)':>12} {'queries':>8} {'bytes':>9}")
    for label, spec in pages:
        url, headers = spec if isinstance(spec, tuple) else (spec, {})
        runs = 1 if "cold" in label else 5
        times = []
        for _r in range(runs):
            counter["n"] = 0
            t0 = clock.perf_counter()
            response = client.get(url, headers=headers)
            times.append((clock.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{label:40} {statistics.median(times):12.1f} {counter['n']:8d} {len(response.data):9d}")
    etag = client.get(f"/events/programme/{month}.pdf").headers["ETag"]
    counter["n"] = 0
    t0 = clock.perf_counter()
    response = client.get(f"/events/programme/{month}.pdf", headers={"If-None-Match": etag})
    print(
        f"{'programme PDF revalidation (304)':40} {(clock.perf_counter() - t0) * 1000:12.1f} {counter['n']:8d} "
        f"{len(response.data):9d}"
    )
    Database.execute_sql = original
    import gzip

    body = client.get("/events").data
    css = (Path(app.root_path) / "static" / "style.css").read_bytes()
    print(f"agenda HTML gzip {len(gzip.compress(body))} B + style.css gzip {len(gzip.compress(css))} B")
    ctx.pop()


if __name__ == "__main__":
    main()
