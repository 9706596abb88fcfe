"""Volunteer area benchmark: fills a temporary SQLite database with a busy year
(3 centres, 30 opportunities, ~3,000 shifts, 2,000 volunteers, ~40,000 sign-ups) and
prints the time and the number of SQL queries of the key pages.

    .venv/bin/python bench/bench_volunteer.py
"""

import gzip
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BINARI_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")


class QueryCounter:
    def __init__(self, db):
        db = getattr(db, "obj", db)  # the Proxy's target
        self.db, self.count = db, 0
        self._orig = db.execute_sql

    def __enter__(self):
        def counting(sql, params=None, *a, **k):
            self.count += 1
            return self._orig(sql, params, *a, **k)

        self.db.execute_sql = counting
        return self

    def __exit__(self, *exc):
        self.db.execute_sql = self._orig


def main():
    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    tmp = tempfile.mkdtemp()
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SERVER_NAME": None,
            "UPLOAD_DIR": f"{tmp}/uploads",
        }
    )
    with app.app_context():
        upgrade_database()
        from portal import demo
        from portal.models import User, new_member_code, utcnow
        from portal.volunteer.models import Opportunity, Profile, Shift, Signup, csv_codes

        ctx = demo.load_core()
        rng = random.Random(1)
        t0 = time.perf_counter()
        db = database()
        with db.atomic():
            template = User.get(User.email == "maria@binari.example")
            users = []
            for i in range(2000):
                users.append(
                    dict(
                        name=f"Volontaria {i}",
                        email=f"v{i}@bench.example",
                        phone=f"+39347{2000000 + i:07d}",
                        password_hash=template.password_hash,
                        member_code=new_member_code() + str(i),
                        role="resident",
                        is_active_account=True,
                        created_at=utcnow(),
                    )
                )
            for chunk in range(0, len(users), 200):
                User.insert_many(users[chunk : chunk + 200]).execute()
            user_ids = [u.id for u in User.select(User.id).where(User.email.endswith("@bench.example"))]
            sites = list(ctx["sites"].values())
            skills, langs = ["haccp", "lifting", "homework", "sound", "elderly"], ["it", "ar", "zh", "es", "en"]
            Profile.insert_many(
                [
                    dict(
                        user=uid,
                        skills=csv_codes(rng.sample(skills, 2)),
                        languages=csv_codes(rng.sample(langs, 2)),
                        site=sites[uid % 3].id,
                        feed_token=f"tok{uid}",
                        updated_at=utcnow(),
                    )
                    for uid in user_ids
                ]
            ).execute()
            now = utcnow().replace(microsecond=0)
            shift_rows = []
            opps = [Opportunity.create(site=sites[i % 3], title=f"Opportunità {i}", activity="food") for i in range(30)]
            for opp in opps:
                for d in range(-200, 165, 4):  # ~90 shifts each, past and future
                    start = now + timedelta(days=d, hours=rng.randint(0, 8))
                    shift_rows.append(
                        dict(
                            opportunity=opp.id,
                            starts_at=start,
                            ends_at=start + timedelta(hours=3),
                            capacity=15,
                            taken=0,
                            location="",
                            note="",
                            series="",
                            created_at=now,
                        )
                    )
            for chunk in range(0, len(shift_rows), 500):
                Shift.insert_many(shift_rows[chunk : chunk + 500]).execute()
            shifts = list(Shift.select(Shift.id, Shift.starts_at, Shift.ends_at, Shift.capacity))
            signup_rows = []
            for shift in shifts:
                taken = 0
                for uid in rng.sample(user_ids, 14):
                    past = shift.ends_at < now
                    signup_rows.append(
                        dict(
                            shift=shift.id,
                            user=uid,
                            name=f"Volontaria {uid}",
                            phone="",
                            email="",
                            party=1,
                            status="active",
                            confirmed=True,
                            walk_in=False,
                            attended=True if past else None,
                            minutes_served=180 if past else 0,
                            key_user=uid,
                            lang="it",
                            nonce=f"{shift.id}x{uid}",
                            created_at=now,
                        )
                    )
                    taken += 1
                Shift.update(taken=taken).where(Shift.id == shift.id).execute()
            for chunk in range(0, len(signup_rows), 500):
                Signup.insert_many(signup_rows[chunk : chunk + 500]).execute()
        print(
            f"filled: {len(shifts)} shifts, {len(user_ids)} volunteers, {len(signup_rows)} sign-ups "
            f"in {time.perf_counter() - t0:.1f}s"
        )

        client = app.test_client()
        busy = user_ids[0]  # "v0": like every bench volunteer, ~20 sign-ups
        some_shift = shifts[len(shifts) // 2].id
        pages = [
            ("public", "/volunteer"),
            ("public", "/volunteer?site=faenza"),
            ("public", f"/volunteer/opportunities/{opps[0].id}"),
            ("public", f"/volunteer/shifts/{some_shift}"),
        ]
        run(client, db, pages)
        client.post("/login", data={"identifier": "v0@bench.example", "password": "binari2026"})
        run(
            client,
            db,
            [
                ("volunteer", "/volunteer/mine"),
                ("volunteer", f"/volunteer/feed/tok{busy}.ics"),
                ("volunteer", "/volunteer/mine/certificate.pdf"),
            ],
        )
        client.post("/logout")
        client.post("/login", data={"identifier": "coordinamento@staff.binari.example", "password": "binari2026"})
        day = Shift.get_by_id(some_shift).starts_at.date().isoformat()
        site_slug = Opportunity.get_by_id(Shift.get_by_id(some_shift).opportunity_id).site.slug
        run(
            client,
            db,
            [
                ("staff", "/staff/volunteer"),
                ("staff", f"/staff/volunteer/shifts/{some_shift}"),
                ("staff", f"/staff/volunteer/shifts/{some_shift}/roster.csv"),
                ("staff", f"/staff/volunteer/shifts/{some_shift}/roster.pdf"),
                ("staff", f"/staff/volunteer/day/{site_slug}/{day}"),
                ("staff", f"/staff/volunteer/directory?site={site_slug}"),
                ("staff", f"/staff/volunteer/directory?site={site_slug}&skill=haccp&language=ar"),
            ],
        )


def run(client, db, pages):
    for who, url in pages:
        client.get(url)  # warm-up (templates, WeasyPrint import)
        timings = []
        for _ in range(3):  # best of three: the machine is shared
            with QueryCounter(db) as counter:
                t = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t) * 1000)
        ms = min(timings)
        size = len(gzip.compress(response.data)) if response.mimetype == "text/html" else None
        print(
            f"{who:9} {response.status_code} {ms:7.1f} ms {counter.count:3d} queries"
            f"{f'  {size / 1024:5.1f} KB gz' if size else '':14}  {url}"
        )


if __name__ == "__main__":
    main()
