"""Time the library's catalogue search on PostgreSQL at 20,000 titles, without and with the
trigram index of migration 0055 (``library_title_search_trgm``).

    .venv/bin/python bench/bench_pg_search.py

Starts a throwaway PostgreSQL cluster (or uses DATABASE_URL, an empty database), fills it with
bench_library's titles, then times ``search_titles`` (the page's two queries: the page and the
count) for a few queries. Not a test: it prints figures. Target (issue 15): < 20 ms.
"""

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BINARI_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("BENCH_LOANS", "0")  # the search reads titles only

QUERIES = [
    ("one word 'perche'", {"q": "perche"}),
    ("two words 'storia mare'", {"q": "storia mare"}),
    ("common word, page 3", {"q": "casa", "page": 3}),
    ("prefix as typed 'calv'", {"q": "calv"}),
    ("author 'rodari luna' + lang=it", {"q": "rodari luna", "language": "it"}),
    ("no match 'xylofono'", {"q": "xylofono"}),
    ("short word 'yu'", {"q": "yu"}),
    ("short + long 'yu luna'", {"q": "yu luna"}),
]


def main():
    import bench_library
    from pgcluster import cluster

    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    given = os.environ.get("DATABASE_URL")
    with contextlib.nullcontext(given) if given else cluster() as url:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "UPLOAD_DIR": "/tmp/bench-up",
            }
        )
        with app.app_context():
            upgrade_database()
            started = time.perf_counter()
            bench_library.fill()
            database().execute_sql("ANALYZE")
            print(f"filled {bench_library.TITLES} titles in {time.perf_counter() - started:.1f} s (PostgreSQL)")
            (index_sql,) = (
                database()
                .execute_sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'library_title_search_trgm'")
                .fetchone()
            )
            database().execute_sql("DROP INDEX library_title_search_trgm")
            before = measure()
            database().execute_sql(index_sql)
            database().execute_sql("ANALYZE library_title")
            after = measure()
            print(f"  {'query':34s} {'LIKE scan':>10s} {'trigram':>10s}  results")
            for (label, _), (b, n), (a, _) in zip(QUERIES, before, after, strict=True):
                print(f"  {label:34s} {b:7.1f} ms {a:7.1f} ms  {n}")
            database().close()


def measure(runs=9):
    from portal.library.search import search_titles

    figures = []
    for _label, args in QUERIES:
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            _titles, total = search_titles(**args)
            timings.append(1000 * (time.perf_counter() - started))
        figures.append((statistics.median(timings), total))
    return figures


if __name__ == "__main__":
    main()
