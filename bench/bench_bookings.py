"""Benchmark of the bookings area: 50,000 desk and room bookings (past and future),
5,000 equipment loans, 2,000 members; times and query counts of the key pages.

    .venv/bin/python bench/bench_bookings.py            # SQLite in a temporary directory
    DATABASE_URL=postgresql://... .venv/bin/python bench/bench_bookings.py

Not a test: it prints a table. Data is bulk-inserted (claims included) so the
unique indexes hold exactly as in production.
"""

import os
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BINARI_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")

BOOKINGS = int(os.environ.get("BENCH_BOOKINGS", "50000"))
LOANS = int(os.environ.get("BENCH_LOANS", "5000"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "2000"))


def main():
    tmp = tempfile.mkdtemp(prefix="bench-bookings-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "UPLOAD_DIR": f"{tmp}/up",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        upgrade_database()
        started = clock.perf_counter()
        fill(database())
        print(f"filled in {clock.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        measure(app, database())


def fill(db):
    from portal import demo
    from portal.bookings import services
    from portal.bookings.models import (
        HALVES,
        Booking,
        Item,
        ItemClaim,
        Kit,
        KitItem,
        Loan,
        LoanItem,
        Policy,
        Resource,
        SlotClaim,
    )
    from portal.clock import to_utc, today_local
    from portal.models import Site, User

    random.seed(4)
    ctx = demo.load_core()
    site = ctx["sites"]["visconti"]
    with db.atomic():
        Policy.create(
            site=site,
            kind="desk",
            advance_days=60,
            max_per_week=50,
            cancel_cutoff_hours=2,
            checkin_minutes=30,
            buffer_days=0,
            max_loan_days=1,
        )
        Policy.create(
            site=site,
            kind="equipment",
            advance_days=120,
            max_per_week=50,
            cancel_cutoff_hours=24,
            checkin_minutes=0,
            buffer_days=1,
            max_loan_days=7,
        )
        resources = [Resource.create(site=site, kind="desk", name=f"Postazione {n}", position=n) for n in range(1, 9)]
        resources.append(Resource.create(site=site, kind="room", name="Sala riunioni", position=20))
        # The other centres added their own rooms and desks as data.
        for other in ("faenza", "erlembaldo"):
            for n in range(1, 12):
                resources.append(Resource.create(site=ctx["sites"][other], kind="desk", name=f"Tavolo {n}", position=n))
        items = [Item.create(site=site, name=f"Oggetto {n}", deposit=20) for n in range(15)]
        kits = []
        for k in range(3):
            kit = Kit.create(site=site, name=f"Kit {k}")
            for item in items[k * 5 : (k + 1) * 5]:
                KitItem.create(kit=kit, item=item)
            kits.append(kit)
        password = User.create_account("x", "benchpass1").password_hash
        rows = [
            {
                "name": f"Persona {n}",
                "email": f"p{n}@bench.example",
                "password_hash": password,
                "member_code": f"BQ{n:06d}",
                "role": "resident",
            }
            for n in range(MEMBERS)
        ]
        for i in range(0, len(rows), 500):
            User.insert_many(rows[i : i + 500]).execute()
    member_ids = [u.id for u in User.select(User.id).where(User.email.endswith("@bench.example"))]

    today = today_local()
    spans = {s.id: services.opening_spans(s.id) for s in Site.select()}
    # Every (resource, day, half) is taken once at most: enumerate the slots from the
    # future backwards until 50,000 bookings exist (a few weeks ahead, years behind).
    bookings, claims = [], []
    day = today + timedelta(days=45)
    booking_id = 0
    while len(bookings) < BOOKINGS:
        for resource in resources:
            if len(bookings) >= BOOKINGS:
                break
            slots = services.day_slots(spans[resource.site_id].get(day.weekday(), []))
            if not slots or random.random() < 0.15:
                continue
            slot = random.choice(["am", "pm", "day"] if "day" in slots else list(slots))
            start, end = slots[slot]
            past = day < today
            status = (
                random.choice(["checked_in"] * 6 + ["no_show", "cancelled"])
                if past
                else random.choice(["booked"] * 9 + ["cancelled"])
            )
            booking_id += 1
            user = random.choice(member_ids)
            bookings.append(
                {
                    "id": booking_id,
                    "user": user,
                    "resource": resource.id,
                    "day": day,
                    "slot": slot,
                    "starts_at": to_utc(day, start),
                    "ends_at": to_utc(day, end),
                    "status": status,
                    "created_at": to_utc(day, start) - timedelta(days=3),
                }
            )
            if status in ("booked", "checked_in"):
                claims += [
                    {
                        "resource": resource.id,
                        "day": day,
                        "half": h,
                        "booking": booking_id,
                        "user": user,
                        "kind": resource.kind,
                    }
                    for h in HALVES[slot]
                ]
        day -= timedelta(days=1)
    with db.atomic():
        for i in range(0, len(bookings), 1000):
            Booking.insert_many(bookings[i : i + 1000]).execute()
        # A person holds one desk per half day: drop the rare random duplicates.
        seen, unique_claims = set(), []
        for c in claims:
            key = (c["user"], c["kind"], c["day"], c["half"])
            if key not in seen:
                seen.add(key)
                unique_claims.append(c)
        for i in range(0, len(unique_claims), 1000):
            SlotClaim.insert_many(unique_claims[i : i + 1000]).execute()

    # Loans: back to back per kit, past ones returned, a handful out and overdue, future ones approved.
    loans, lines, item_claims = [], [], []
    loan_id = 0
    for k, kit in enumerate(kits):
        kit_items = items[k * 5 : (k + 1) * 5]
        day = today + timedelta(days=60)
        while loan_id < LOANS * (k + 1) // 3:
            pickup = day - timedelta(days=2)
            loan_id += 1
            past = day < today
            status = "returned" if day < today - timedelta(days=3) else ("out" if past else "approved")
            loans.append(
                {
                    "id": loan_id,
                    "user": random.choice(member_ids),
                    "site": site.id,
                    "kit": kit.id,
                    "pickup_at": to_utc(pickup, time(15)),
                    "return_at": to_utc(day, time(17)),
                    "status": status,
                    "created_at": to_utc(pickup, time(9)) - timedelta(days=7),
                }
            )
            for item in kit_items:
                lines.append(
                    {
                        "loan": loan_id,
                        "item": item.id,
                        "out_checked": status != "approved",
                        "returned_at": to_utc(day, time(17)) if status == "returned" else None,
                    }
                )
                for d in range(4):
                    item_claims.append({"item": item.id, "day": pickup + timedelta(days=d), "loan": loan_id})
            day = pickup - timedelta(days=2)
    with db.atomic():
        for i in range(0, len(loans), 1000):
            Loan.insert_many(loans[i : i + 1000]).execute()
        for i in range(0, len(lines), 1000):
            LoanItem.insert_many(lines[i : i + 1000]).execute()
        for i in range(0, len(item_claims), 1000):
            ItemClaim.insert_many(item_claims[i : i + 1000]).execute()
    if db.__class__.__name__.startswith("Postgres") or "postgres" in str(type(db.obj)).lower():
        for model in (Booking, Loan, LoanItem):
            table = model._meta.table_name
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    db.execute_sql("ANALYZE")
    print(
        f"bookings {Booking.select().count()}, slot claims {SlotClaim.select().count()}, "
        f"loans {Loan.select().count()}, item claims {ItemClaim.select().count()}, members {len(member_ids)}"
    )


class QueryCounter:
    def __init__(self, db):
        self.db, self.count = db.obj, 0
        original = self.db.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return original(sql, params, *args, **kwargs)

        self.db.execute_sql = counting


def measure(app, db):
    from portal.bookings import bulk
    from portal.bookings.models import Booking, Item, Kit, Resource
    from portal.clock import today_local
    from portal.models import User

    counter = QueryCounter(db)
    resident = app.test_client()
    resident.post("/login", data={"identifier": "p7@bench.example", "password": "benchpass1"})
    staff = app.test_client()
    staff.post("/login", data={"identifier": "visconti@staff.binari.example", "password": "binari2026"})
    anon = app.test_client()
    kit, item = Kit.select().first(), Item.select().first()
    pages = [
        ("anonymous /coworking", anon, "/coworking"),
        ("member /coworking", resident, "/coworking?site=visconti"),
        ("member /coworking (all days)", resident, "/coworking?site=visconti&tutti=1"),
        ("/equipment", resident, "/equipment"),
        ("kit page + calendar", resident, f"/equipment/kits/{kit.id}"),
        ("item page + calendar", resident, f"/equipment/items/{item.id}"),
        ("/account/bookings", resident, "/account/bookings"),
        ("staff desk today", staff, "/staff/bookings?site=visconti"),
        ("staff member by code", staff, "/staff/bookings?site=visconti&code=BQ000007"),
        ("staff requests", staff, "/staff/bookings/requests?site=visconti"),
        ("staff overdue", staff, "/staff/bookings/overdue"),
    ]
    import gzip

    print(f"{'page':34} {'median ms':>9} {'max ms':>7} {'queries':>7} {'KB':>6} {'KB gz':>6}")
    for label, client, url in pages:
        times = []
        for _ in range(7):
            counter.count = 0
            started = clock.perf_counter()
            response = client.get(url)
            times.append((clock.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"{label:34} {statistics.median(times):9.1f} {max(times):7.1f} {counter.count:7d} "
            f"{len(response.data) / 1024:6.1f} {len(gzip.compress(response.data)) / 1024:6.1f}"
        )
    # Booking: the write path (quota + claims), then cancelling it.
    site_id = Resource.select().first().site_id
    day = bulk.next_open_days(site_id, today_local() + timedelta(days=50), 1)[0]
    counter.count = 0
    started = clock.perf_counter()
    response = resident.post(
        "/coworking/book?site=visconti", data={"kind": "desk", "day": day.isoformat(), "slot": "am"}
    )
    elapsed = (clock.perf_counter() - started) * 1000
    print(f"{'POST /coworking/book':34} {elapsed:9.1f} {'':7} {counter.count:7d} ({response.status_code})")
    if response.status_code != 302:
        import re

        print("   ", re.findall(r"flash error[^>]*>([^<]+)", response.get_data(as_text=True)))
    counter.count = 0
    started = clock.perf_counter()
    response = staff.get("/staff/bookings/daily.pdf?site=visconti")
    print(
        f"{'daily sheet PDF':34} {(clock.perf_counter() - started) * 1000:9.1f} {'':7} {counter.count:7d} "
        f"({response.status_code}, first PDF includes WeasyPrint import)"
    )
    del User, Booking


if __name__ == "__main__":
    main()
