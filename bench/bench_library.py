"""Bench the library at the issue's volumes: 20,000 titles, 100,000 past loans.

    .venv/bin/python bench/bench_library.py

Fills a temporary SQLite database (or DATABASE_URL=postgresql://... for an empty
PostgreSQL database), then times the key pages through the test client and
counts their SQL queries. Not a test: it prints figures for the report.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BINARI_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")

TITLES = int(os.environ.get("BENCH_TITLES", 20000))
PAST_LOANS = int(os.environ.get("BENCH_LOANS", 100000))

WORDS = (
    "storia città notte mare perché cuore viaggio bambini giardino luna casa fiume guerra amore "
    "famiglia scuola tempo sole libro lettere segreto isola montagna strada vento inverno estate "
    "memoria parole musica pane sogno amici fiabe animali stelle ragazzo ragazza padre madre"
).split()
AUTHORS = (
    "Calvino Rodari Morante Ginzburg Levi Ferrante Buzzati Pavese Sciascia Eco Baricco Ammaniti "
    "Allende Márquez Borges Cortázar Neruda Mahfouz Darwish Kanafani Yu Hua Mo Yan Lu Xun Dahl "
    "Donaldson Carle Sendak Rowling Orwell Austen Dickens Adichie Achebe Atwood Morrison"
).split()


def main():
    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    tmp = tempfile.mkdtemp(prefix="bench-library-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
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
        started = time.perf_counter()
        ids = fill()
        print(
            f"filled {TITLES} titles, {PAST_LOANS} past loans in {time.perf_counter() - started:.1f} s "
            f"({url.split(':')[0]})"
        )
        measure(app, ids)
        database().close()


def fill():
    from portal import demo
    from portal.clock import today_local, utcnow
    from portal.db import database
    from portal.library.models import Copy, Hold, Library, Loan, Title, TitleSearch, fold

    rng = random.Random(1)
    ctx = demo.load_core()
    library = Library.for_site(ctx["sites"]["erlembaldo"])
    now = utcnow()
    from portal.models import User

    members = [User.create_account(f"Lettore {i}", "x" * 12, email=f"l{i}@bench.example") for i in range(200)]
    with database().atomic():
        rows = []
        for _i in range(TITLES):
            title = " ".join(rng.sample(WORDS, rng.randint(2, 5))).capitalize()
            authors = f"{rng.choice(AUTHORS)} {rng.choice(AUTHORS)}"
            subjects = ", ".join(rng.sample(WORDS, 2))
            rows.append(
                {
                    "library": library.id,
                    "title": title,
                    "authors": authors,
                    "subjects": subjects,
                    "language": rng.choice(["it", "it", "it", "en", "ar", "es", "zh"]),
                    "age_group": rng.choice(["children", "teens", "adults"]),
                    "publisher": "Editore",
                    "search_text": fold(f"{title} {authors} {subjects}"),
                    "created_at": now,
                }
            )
        for start in range(0, len(rows), 500):
            Title.insert_many(rows[start : start + 500]).execute()
        titles = list(Title.select())
        TitleSearch.reindex(titles)
        copies = []
        n = 0
        for t in titles:
            for _ in range(1 if rng.random() < 0.6 else 2):
                n += 1
                copies.append({"title": t.id, "barcode": f"B{n:07d}", "created_at": now})
        for start in range(0, len(copies), 500):
            Copy.insert_many(copies[start : start + 500]).execute()
        copy_ids = [c for (c,) in Copy.select(Copy.id).tuples()]
        loans = []
        for _i in range(PAST_LOANS):
            issued = now - timedelta(days=rng.randrange(1, 1000), minutes=rng.randrange(1440))
            loans.append(
                {
                    "copy": rng.choice(copy_ids),
                    "member": None,  # returned without a kept history: only the pseudonymous key stays
                    "reader_key": f"bench{rng.randrange(200):029d}",
                    "library": library.id,
                    "language": "it",
                    "issued_at": issued,
                    "due_date": (issued + timedelta(days=30)).date(),
                    "returned_at": issued + timedelta(days=rng.randrange(3, 45)),
                }
            )
            if len(loans) == 1000:
                Loan.insert_many(loans).execute()
                loans = []
        if loans:
            Loan.insert_many(loans).execute()
        # 600 open loans (some overdue) and 300 holds.
        open_copies = rng.sample(copy_ids, 600)
        for i, cid in enumerate(open_copies):
            Loan.create(
                copy=cid,
                member=members[i % 200],
                library=library,
                language="it",
                issued_at=now - timedelta(days=i % 50),
                due_date=today_local() + timedelta(days=30 - i % 50),
            )
        held = Copy.select(Copy.title).where(Copy.id.in_(open_copies[:150])).distinct()  # one queue per title
        for pos, (tid,) in enumerate(held.tuples()):
            for k in range(2):
                Hold.create(title=tid, member=members[(pos + k + 7) % 200], position=k + 1)
    sample_title = Copy.get_by_id(open_copies[0]).title_id
    return {"member": members[0], "title": sample_title}


def measure(app, ids):
    from portal.db import database

    counter = {"n": 0}
    db = database().obj
    original = db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        counter["n"] += 1
        return original(sql, params, *args, **kwargs)

    db.execute_sql = counting
    client = app.test_client()
    pages = [
        ("library home (just arrived)", "/library"),
        ("search 'perche'", "/library?q=perche"),
        ("search 'storia mare'", "/library?q=storia+mare"),
        ("search common word, page 3", "/library?q=casa&page=3"),
        ("search lang=ar + available", "/library?lang=ar&available=1"),
        ("search 'calv' as typed (htmx)", "/library?q=calv", {"HX-Request": "true"}),
        ("search ISBN (none)", "/library?q=978-0-306-40615-7"),
        ("title page (on loan, holds)", f"/library/titles/{ids['title']}"),
    ]
    report(client, counter, pages)
    client.post("/login", data={"identifier": ids["member"].email, "password": "x" * 12})
    report(client, counter, [("my library /account/library", "/account/library")])
    client.post("/logout")
    client.post("/login", data={"identifier": "erlembaldo@staff.binari.example", "password": "binari2026"})
    report(
        client,
        counter,
        [
            ("staff overdue list", "/staff/library/overdue"),
            ("staff hold shelf", "/staff/library/holds"),
            ("staff figures (12 months)", "/staff/library/figures"),
            ("staff catalogue search", "/staff/library/catalogue?q=luna"),
        ],
    )
    client.get("/staff/library/desk")  # compile the template first
    for label, url, data in [
        (
            "check-out at the desk",
            "/staff/library/desk",
            {"barcode": "B0000009", "override_reason": "bench", "member_code": ids["member"].member_code},
        ),
        ("check-in at the desk", "/staff/library/checkin", {"in-barcode": "B0000009"}),
    ]:
        started = time.perf_counter()
        counter["n"] = 0
        response = client.post(url, data=data)
        print(
            f"  {label:34s} {1000 * (time.perf_counter() - started):7.1f} ms  {counter['n']:3d} queries  "
            f"[{response.status_code}]"
        )


def report(client, counter, pages, runs=7):
    for label, url, *headers in pages:
        headers = headers[0] if headers else {}
        timings = []
        for _ in range(runs):
            counter["n"] = 0
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append(1000 * (time.perf_counter() - started))
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"  {label:34s} {statistics.median(timings):7.1f} ms  {counter['n']:3d} queries  "
            f"{len(response.data) / 1024:5.1f} KB"
        )


if __name__ == "__main__":
    main()
