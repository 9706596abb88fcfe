"""Fill a database at the load benchmark's volumes (issue 15): 10,000 events with 300 series,
20,000 titles, 100,000 loans, 50,000 bookings, 40,000 sign-ups, 5,000 members.

Reuses the area bench scripts' fill functions (bench_library: titles, copies, past loans;
bench_bookings: desks, rooms, items, bookings, members) with the core loaded once, the
volunteering and events demo data (opportunities, shifts, posters), then adds the events:
a year back and a year ahead at the three centres, 300 weekly series with their occurrences,
and four registrations an event. Bulk inserts in transactions: about a minute on SQLite."""

import os
import random
from datetime import time as clock_time
from datetime import timedelta

os.environ.setdefault("BENCH_MEMBERS", "5000")  # bench_bookings' accounts: the members who log in
EVENTS = int(os.environ.get("BENCH_EVENTS", 10000))
SERIES = int(os.environ.get("BENCH_SERIES", 300))
SIGNUPS = int(os.environ.get("BENCH_SIGNUPS", 40000))
CATEGORIES = ["cultura", "sport", "formazione", "lavoro", "bambini", "comunita"]


def fill(db):
    """Everything; returns what the load needs (upcoming event ids, member e-mails)."""
    import bench_bookings
    import bench_library

    from portal import demo
    from portal.volunteer import demo as volunteer_demo

    load_core = demo.load_core
    ctx = load_core()
    demo.load_core = lambda: ctx
    try:
        bench_library.fill()
        bench_bookings.fill(db)
    finally:
        demo.load_core = load_core
    volunteer_demo.load(ctx)
    return fill_events(db, ctx)


def fill_events(db, ctx):
    from portal.clock import to_utc, today_local, utcnow
    from portal.events.models import CATEGORIES as KNOWN
    from portal.events.models import Event, Registration, Series
    from portal.models import User

    rnd = random.Random(15)
    categories = [c for c in CATEGORIES if c in KNOWN] or list(KNOWN)
    rooms = list(ctx["rooms"].values())
    partners = list(ctx["partners"].values())
    today = today_local()
    now = utcnow()
    common = dict(
        description="Un incontro aperto a tutto il quartiere: porta chi vuoi.",
        audience="tutti",
        is_free=True,
        price="",
        capacity=30,
        poster="",
        poster_alt="",
        sign_language=False,
        subtitles=False,
        access_notes="",
        created_at=now,
        updated_at=now,
    )

    def shared(i):
        room = rnd.choice(rooms)
        return dict(
            common,
            site=room.site_id,
            room=room.id,
            partner=rnd.choice(partners).id,
            category=rnd.choice(categories),
            audience=rnd.choice(["tutti", "bambini", "adulti"]),
        )

    rows = []
    with db.atomic():
        per_series = (EVENTS // 3) // SERIES  # a third of the events are occurrences of series
        for s in range(SERIES):
            first = today - timedelta(days=rnd.randint(0, 200))
            hour = rnd.randint(9, 19)
            fields = shared(s)
            series = Series.create(
                **fields,
                title=f"Corso settimanale {s}",
                freq="weekly",
                first_day=first,
                start_time=clock_time(hour),
                end_time=clock_time(hour + 1, 30),
                count=per_series,
            )
            for k in range(per_series):
                day = first + timedelta(weeks=k)
                start = to_utc(day, clock_time(hour))
                rows.append(
                    dict(
                        fields,
                        title=series.title,
                        series=series.id,
                        occurrence_date=day,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=90),
                    )
                )
        for i in range(EVENTS - len(rows)):
            start = to_utc(today + timedelta(days=rnd.randint(-365, 365)), clock_time(rnd.randint(9, 20)))
            rows.append(dict(shared(i), title=f"Evento {i}", starts_at=start, ends_at=start + timedelta(hours=2)))
        for row in rows:
            row.update(status="published", taken=0, detached=False, cancel_reason="", moderation_note="")
        for n in range(0, len(rows), 500):
            Event.insert_many(rows[n : n + 500]).execute()
    users = [u for (u,) in User.select(User.id).where(User.email.endswith("@bench.example")).tuples()]
    event_ids = [e for (e,) in Event.select(Event.id).tuples()]
    per_event = max(1, SIGNUPS // len(event_ids))
    regs = []
    for event_id in event_ids:
        for k in range(per_event):
            user = users[(event_id * 7 + k) % len(users)] if k % 2 else None
            regs.append(
                dict(
                    event=event_id,
                    user=user,
                    name=f"Ospite {k}",
                    email=f"g{event_id}x{k}@bench.example",
                    status="confirmed",
                    created_at=now,
                )
            )
    known = {f.name for f in Registration._meta.sorted_fields}
    regs = [{key: value for key, value in row.items() if key in known} for row in regs]
    with db.atomic():
        for n in range(0, len(regs), 500):
            Registration.insert_many(regs[n : n + 500]).execute()
        Event.update(taken=per_event).execute()
    upcoming = [
        e
        for (e,) in Event.select(Event.id)
        .where((Event.starts_at > now + timedelta(days=2)) & (Event.status == "published"))
        .tuples()
    ]
    return {"upcoming": upcoming}
