"""`make bench`: the load benchmark (issue 15). Prints figures; not a test.

    .venv/bin/python bench/load/run.py            # fill, serve, load: a few minutes
    BENCH_SECONDS=60 .venv/bin/python bench/load/run.py
    BENCH_DB=/tmp/bench-load-…/bench.sqlite3 …    # reuse a filled database (BENCH_DATA beside it)
    BENCH_CLIENTS="16" BENCH_ONLY="Agenda Writer" …  # fewer runs ("ColdPDF": the cold PDFs)

1. Fills a SQLite database at the issue's volumes (seed.py): 10,000 events with 300 series,
   20,000 titles, 100,000 loans, 50,000 bookings, 40,000 sign-ups, 5,000 members.
2. Serves it as `make run` does in production (BINARI_ENV=production, gunicorn with
   deploy/gunicorn.conf.py, 2 workers x 4 threads, its PDF renderer, one log line per request), and a
   minimal Flask "hello" app with the same settings (and no renderer: it draws no PDF): the baseline.
   Workers are not recycled during the run (--max-requests 0): a recycled worker's peak memory would
   be lost, and its restart counted against the page it was serving.
3. Runs locust headless (locustfile.py) against each page, then the write mix, at 16 and 64
   clients, BENCH_SECONDS each (default 15), and prints requests/s, p50/p95/p99, errors, each
   page's throughput as a share of the baseline's, and the peak RSS of every worker (VmHWM).

Event pages: before their locust run, every upcoming event page is opened once (4 threads), and that
pass is printed as its own line ("first views"): a first view renders the page and keeps it on the
server's disk (portal/pagecache.py, PageStore); the locust line that follows measures pages already
seen once since their event last changed, as on a site in use. The kept pages of an earlier run are
removed at the start, so the first views are first.

Cold PDFs: before any load, with the printout cache emptied, one request at a time: six flyers not
timed (so the PDF renderer has imported WeasyPrint and both workers have served a PDF), then the flyers of ten
other upcoming events, the monthly programme of this month and of the next (all centres) and this
month's for one centre, each built cold; then this month's programme again, from the cache.
"""

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SECONDS = int(os.environ.get("BENCH_SECONDS", 15))
CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "16 64").split()]
SCENARIOS = [
    ("Home", "home /"),
    ("Agenda", "agenda /events"),
    ("AgendaFiltered", "agenda, 3 filters"),
    ("EventPage", "an event page (seen before)"),
    ("Feed", "ICS feed /events.ics"),
    ("LibrarySearch", "library search ?q="),
    ("Coworking", "co-working"),
    ("Volunteering", "volunteering"),
    ("Flyer", "a flyer (PDF)"),
    ("Writer", "write mix (register, book)"),
]
ONLY = set(os.environ.get("BENCH_ONLY", "").split())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(tmp):
    os.environ.setdefault("BINARI_ENV", "testing")
    os.environ.setdefault("SECRET_KEY", "bench")
    import seed

    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    path = Path(tmp) / "bench.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # the bench logs in; it does not time hashing
            "UPLOAD_DIR": f"{tmp}/uploads",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    started = time.perf_counter()
    with app.app_context():
        upgrade_database()
        data = seed.fill(database())
        database().execute_sql("PRAGMA optimize")
        database().execute_sql("ANALYZE")
        database().close()
    (Path(tmp) / "bench.json").write_text(json.dumps(data))
    print(f"filled {path} in {time.perf_counter() - started:.0f} s; {len(data['upcoming'])} upcoming events")
    return path


def serve(app_spec, tmp, env, chdir=ROOT, access_log=True):
    """Start gunicorn, 2 workers x 4 threads. One log line per request for both servers: the portal
    writes its own (portal/requestlog.py; deploy/gunicorn.conf.py has no gunicorn access log in
    production), the hello baseline gets gunicorn's access log instead."""
    port = free_port()
    log = open(Path(tmp) / f"gunicorn-{port}.log", "w")
    access = ["--access-logfile", str(Path(tmp) / f"access-{port}.log")] if access_log else []
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--max-requests", "0"]
        + ["--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
        + access
        + ["--chdir", str(chdir), app_spec],
        # MALLOC_ARENA_MAX as deploy/binari-web.service sets it, for the portal and the baseline alike.
        env={"MALLOC_ARENA_MAX": "2", **os.environ, **env, "BASE_URL": f"http://127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            return process, url
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{app_spec} did not start: see {log.name}") from None
            time.sleep(0.2)
    raise SystemExit(f"{app_spec} did not answer: see {log.name}")


def children(process):
    """The pids of the gunicorn master's children: its workers, and the PDF renderer if it has one."""
    return [int(pid) for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()]


def is_renderer(pid):
    return b"pdfrenderer.py" in Path(f"/proc/{pid}/cmdline").read_bytes()


def server_pss_mb(process):
    """The memory of the whole server, master and children, as the machine pays it (PSS: a page
    shared by n processes counts 1/n in each)."""
    total = 0
    for pid in [process.pid, *children(process)]:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load(url, user_class, clients, tmp, data_file):
    prefix = Path(tmp) / f"locust-{user_class}-{clients}"
    subprocess.run(
        [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary"]
        + ["-H", url, "-u", str(clients), "-r", str(clients), "-t", f"{SECONDS}s", "--csv", str(prefix)]
        + ["--loglevel", "ERROR", "--stop-timeout", "5", user_class],
        env={**os.environ, "BENCH_DATA": str(data_file)},
        stdout=subprocess.DEVNULL,
        stderr=open(f"{prefix}.err", "w"),
        check=False,
    )
    with open(f"{prefix}_stats.csv") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    asked = sorted(name for name in rows if name != "Aggregated")
    if user_class != "Writer" and len(asked) != 1:  # one page a run: its figures are that page's alone
        raise SystemExit(f"{user_class} asked for {asked}, not one page (bench/load/locustfile.py)")
    total = rows["Aggregated"]
    return {
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"] or 0),
        "p95": float(total["95%"] or 0),
        "p99": float(total["99%"] or 0),
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
    }


def first_views(url, data_file):
    """Open every upcoming event page once (4 threads): the pages' first renders. Figures as load()'s."""
    ids = json.loads(Path(data_file).read_text())["upcoming"]

    def open_page(event_id):
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(f"{url}/events/{event_id}", timeout=30) as answer:
                answer.read()
                ok = answer.status == 200
        except OSError:
            ok = False
        return time.perf_counter() - started, ok

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(open_page, ids))
    elapsed = time.perf_counter() - started
    times = sorted(seconds * 1000 for seconds, _ in answers)
    cuts = statistics.quantiles(times, n=100)
    return {
        "rps": len(ids) / elapsed,
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "requests": len(ids),
        "errors": sum(not ok for _, ok in answers),
    }


def cold_pdfs(url, data_file, tmp):
    """Time PDFs built cold, one request at a time (see the module's docstring): [(label, ms)]."""
    shutil.rmtree(Path(tmp) / "cache" / "events", ignore_errors=True)
    ids = json.loads(Path(data_file).read_text())["upcoming"]

    def timed(path):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{url}{path}", timeout=120) as answer:
            answer.read()
            assert answer.status == 200 and answer.headers["Content-Type"] == "application/pdf", path
        return (time.perf_counter() - started) * 1000

    for event_id in ids[-6:]:
        timed(f"/events/{event_id}/flyer.pdf")  # warm-up: the renderer ready, both workers through it once
    flyers = [timed(f"/events/{event_id}/flyer.pdf") for event_id in ids[:10]]
    today = datetime.now(ZoneInfo("Europe/Rome"))
    this_month, next_month = f"{today:%Y-%m}", f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"
    figures = [
        ("flyer, cold (10 events): median", statistics.median(flyers)),
        ("flyer, cold (10 events): slowest", max(flyers)),
        (f"programme {this_month}, all centres, cold", timed(f"/events/programme/{this_month}.pdf")),
        (f"programme {next_month}, all centres, cold", timed(f"/events/programme/{next_month}.pdf")),
        (f"programme {this_month}, one centre, cold", timed(f"/events/programme/{this_month}.pdf?site=faenza")),
        (f"programme {this_month}, all centres, cached", timed(f"/events/programme/{this_month}.pdf")),
    ]
    return figures


def main():
    reuse = os.environ.get("BENCH_DB")
    tmp = str(Path(reuse).parent) if reuse else tempfile.mkdtemp(prefix="bench-load-")
    path = Path(reuse) if reuse else fill(tmp)
    data_file = Path(tmp) / "bench.json"
    shutil.rmtree(Path(tmp) / "cache" / "pages", ignore_errors=True)  # first views are first
    env = {
        "BINARI_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{path}",
        "INSTANCE_PATH": tmp,
        "UPLOAD_DIR": f"{tmp}/uploads",
        "SESSION_COOKIE_SECURE": "0",  # plain http on 127.0.0.1
    }
    portal, portal_url = serve("wsgi:app", tmp, env, access_log=False)
    hello, hello_url = serve("hello:app", tmp, {"PDF_RENDER_IN_CHILD": "0"}, chdir=HERE)
    load1 = os.getloadavg()
    results = []
    try:
        pdfs = cold_pdfs(portal_url, data_file, tmp) if not ONLY or "ColdPDF" in ONLY else []
        for clients in CLIENTS:
            baseline = load(hello_url, "Hello", clients, tmp, data_file)
            results.append(("Flask hello (baseline)", clients, baseline, baseline))
            for user_class, label in SCENARIOS:
                if ONLY and user_class not in ONLY:
                    continue
                if user_class == "EventPage" and clients == CLIENTS[0]:
                    first = first_views(portal_url, data_file)
                    results.append(("event pages, first views (4 threads)", 4, first, baseline))
                results.append((label, clients, load(portal_url, user_class, clients, tmp, data_file), baseline))
        rss = {pid: peak_rss_mb(pid) for pid in children(portal) if not is_renderer(pid)}
        renderer_rss = [peak_rss_mb(pid) for pid in children(portal) if is_renderer(pid)]
        hello_rss = {pid: peak_rss_mb(pid) for pid in children(hello)}
        pss = {"portal": server_pss_mb(portal), "hello": server_pss_mb(hello)}
    finally:
        for process in (portal, hello):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    load2 = os.getloadavg()
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, {SECONDS} s a run,")
    print(f"load average {load1[0]:.1f} before, {load2[0]:.1f} after; database {path}")
    print("\n| page | clients | req/s | p50 ms | p95 ms | p99 ms | errors | share of hello |")
    print("|---|---|---|---|---|---|---|---|")
    for label, clients, r, base in results:
        share = 100 * r["rps"] / base["rps"] if base["rps"] else 0
        print(
            f"| {label} | {clients} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} "
            f"| {r['errors']}/{r['requests']} | {share:.1f} % |"
        )
    if pdfs:
        print("\n| PDF, one request at a time | ms |\n|---|---|")
        for label, ms in pdfs:
            print(f"| {label} | {ms:.0f} |")
    print("\npeak RSS per worker (VmHWM): portal " + ", ".join(f"{mb:.0f} MB" for mb in rss.values()))
    print("                             hello  " + ", ".join(f"{mb:.0f} MB" for mb in hello_rss.values()))
    print("peak RSS of the PDF renderer (one per server): " + ", ".join(f"{mb:.0f} MB" for mb in renderer_rss))
    print(f"whole server now (PSS, master and children): portal {pss['portal']:.0f} MB, hello {pss['hello']:.0f} MB")
    locked = sum("database is locked" in p.read_text(errors="replace") for p in Path(tmp).glob("gunicorn-*.log"))
    print(f"'database is locked' in the server logs: {'yes' if locked else 'no'}; logs in {tmp}")


if __name__ == "__main__":
    main()
