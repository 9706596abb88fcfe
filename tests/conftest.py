"""Shared fixtures, flaskr style: `app` on a temporary database file, `client`,
`runner`, `auth`; plus `seed` (the three centres and demo accounts), `live_server`
(gunicorn on a free port, for concurrency and browser tests) and `browser`
(Playwright driving Debian's Chromium)."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("BINARI_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "test-secret-key")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FAST_HASH = "pbkdf2:sha256:1000"  # fast in tests; production uses scrypt


# --- markers and the clock -----------------------------------------------------------------
# Every in-process test runs at a chosen instant in Milan (the clock then moves on normally), so
# the suite gives the same answer on every day of the year. A test picks its own instant with
# @pytest.mark.clock("2026-12-07T10:00") (Europe/Rome wall clock); BINARI_TEST_NOW moves the
# default, to run the whole suite on another day. Tests against a real server (live, browser)
# cannot freeze that server's clock and run at the real time: they must hold on any day.
DEFAULT_NOW = os.environ.get("BINARI_TEST_NOW", "2026-11-17T10:00")
MARKER_FIXTURES = {
    "browser": {"browser", "phone_page"},
    "live": {"live_server", "pg_live_server"},
    "postgres": {"postgres_server", "pg_app", "pg_live_server"},
    "s3": {"s3_server"},
}


def pytest_collection_modifyitems(items):
    """Mark tests by what they need, so `make test-fast` can leave out the slow kinds."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in MARKER_FIXTURES.items():
            if used & fixtures and not item.get_closest_marker(marker):
                item.add_marker(marker)


def rome_instant(text):
    """An ISO date-time; without an offset it is Milan wall-clock time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Europe/Rome"))


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """Start the test at a chosen Milan instant (see DEFAULT_NOW); yields the traveller."""
    import time_machine

    marker = request.node.get_closest_marker("clock")
    if marker is None and (request.node.get_closest_marker("live") or request.node.get_closest_marker("browser")):
        yield None
        return
    instant = rome_instant(marker.args[0] if marker else DEFAULT_NOW)
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller


def test_settings(db_path, **extra):
    settings = {
        "TESTING": True,
        "BINARI_ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": f"sqlite:///{db_path}",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "UPLOAD_DIR": str(Path(db_path).parent / "uploads"),
        "SERVER_NAME": None,
        # One test client is one address: the guest limits are tested on their own (test_security.py).
        "GUEST_LIMIT_PER_CLIENT": 10_000,
        "GUEST_LIMIT_PER_TARGET": 10_000,
    }
    settings.update(extra)
    return settings


@pytest.fixture
def app_settings():
    """Override in a test module to change the app's settings (e.g. CSRF on)."""
    return {}


# `make test-postgres` (BINARI_TEST_DATABASE=postgres): the `app` fixture runs every test on its own
# PostgreSQL database, a copy of one migrated template, instead of a SQLite file.
ON_POSTGRES = os.environ.get("BINARI_TEST_DATABASE", "sqlite") == "postgres"
PG_TEMPLATE = "binari_template"


def pytest_runtest_setup(item):
    """On PostgreSQL, skip the tests that are about SQLite itself (marked ``sqlite_only``)."""
    marker = item.get_closest_marker("sqlite_only")
    if ON_POSTGRES and marker:
        pytest.skip("SQLite only: " + (marker.args[0] if marker.args else "tests SQLite itself"))


def pg_database(postgres_server, request):
    """A fresh database copied from a migrated template (made once per cluster); its URL."""
    import uuid

    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=postgres_server["port"], user="postgres", dbname="postgres")
    admin.autocommit = True
    cursor = admin.cursor()
    base = f"postgresql://postgres@127.0.0.1:{postgres_server['port']}/"
    if not postgres_server.get("template"):
        from portal import create_app
        from portal.cli import upgrade_database
        from portal.db import database

        cursor.execute(f"DROP DATABASE IF EXISTS {PG_TEMPLATE}")
        cursor.execute(f"CREATE DATABASE {PG_TEMPLATE}")
        template_app = create_app(test_settings("/nonexistent/unused.sqlite3", DATABASE_URL=base + PG_TEMPLATE))
        with template_app.app_context():
            upgrade_database()
            database().close()
            database().close_all()  # the pool's connection too: a template must have no sessions
        postgres_server["template"] = PG_TEMPLATE
    name = "binari_" + uuid.uuid4().hex[:10]
    cursor.execute(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}")

    def drop():
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    request.addfinalizer(drop)
    return base + name


@pytest.fixture
def app(tmp_path, app_settings, request):
    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    if ON_POSTGRES:
        url = pg_database(request.getfixturevalue("postgres_server"), request)
        app_settings = {"DATABASE_URL": url, **app_settings}
    app = create_app(test_settings(tmp_path / "test.sqlite3", **app_settings))
    with app.app_context():
        upgrade_database()

    # The app context below stays pushed so tests can use the models; Flask then
    # reuses it for every test request, and `g` would leak between requests
    # (Flask-Login caches the user there). Give every request a fresh `g`, as in
    # production, before any other hook runs.
    from flask import g

    def fresh_g():
        g.__dict__.clear()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_g)
    ctx = app.app_context()
    ctx.push()
    yield app
    ctx.pop()
    if not database().is_closed():
        database().close()
    if hasattr(database(), "close_all"):  # the pool's idle connections: this test's database is done
        database().close_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seed(app):
    """The three centres, rooms, partners and demo accounts (no area data)."""
    from portal import demo

    return demo.load_core()


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, identifier="maria@binari.example", password="binari2026", follow=False):
        return self._client.post(
            "/login", data={"identifier": identifier, "password": password}, follow_redirects=follow
        )

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def new_user(name="Test Person", email=None, phone=None, role="resident", sites=(), password="password123"):
    """Create an account directly (sites: Site objects for staff)."""
    from portal.models import StaffSite, User

    user = User.create_account(name, password, email=email, phone=phone, role=role)
    for site in sites:
        StaffSite.create(user=user, site=site)
    return user


@pytest.fixture
def make_user(app):
    """A factory of accounts: make_user(name, email=, phone=, role=, sites=, password=)."""
    return new_user


def csrf_token_from(html):
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url, process, log_path, seconds=30):
    """Wait until the server started as `process` answers `url`/healthz; if it ends first or never
    answers, kill it and raise RuntimeError with its log."""
    import requests

    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url + "/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("server did not start:\n" + Path(log_path).read_text())
        time.sleep(0.1)


class LiveServer:
    def __init__(self, url, process, log_path):
        self.url, self.process, self.log_path = url, process, log_path

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def lines_about(self, responses):
        """The server's log lines for these responses (access lines with their path and status)
        and every error or traceback line, for a failure message."""
        from urllib.parse import urlsplit

        wanted = {(urlsplit(r.url).path, str(r.status_code)) for r in responses}
        wanted |= {(urlsplit(r.request.url).path, str(r.status_code)) for r in responses}
        keep, in_traceback = [], False
        for line in self.log().splitlines():
            in_traceback = line.startswith("Traceback") or (in_traceback and line[:1] in (" ", "\t"))
            if in_traceback or "[ERROR]" in line or "[CRITICAL]" in line or "Exception" in line or "Error" in line:
                keep.append(line)
            elif any(f"{path} " in line and f'" {status} ' in line for path, status in wanted):
                keep.append(line)
        return "\n".join(keep[-200:]) or "(no matching lines)"


def http_login(server, identifier, password="password123"):
    """A requests.Session logged in at a live server through the real form (CSRF token included)."""
    import requests

    session = requests.Session()
    token = csrf_token_from(session.get(server.url + "/login", timeout=30).text)
    response = session.post(
        server.url + "/login",
        data={"identifier": identifier, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code in (302, 303), response.text[:500]
    return session


class count_queries:
    """Count the SQL statements sent inside the block (``with count_queries() as n: ...; n["n"]``),
    or, called as ``count_queries.of(run)``, while ``run()`` runs."""

    def __enter__(self):
        from peewee import Database

        self.counter = {"n": 0}
        self.original = Database.execute_sql
        counter, original = self.counter, self.original

        def counting(db, sql, params=None, *args, **kwargs):
            counter["n"] += 1
            return original(db, sql, params, *args, **kwargs)

        Database.execute_sql = counting
        return self.counter

    def __exit__(self, *exc):
        from peewee import Database

        Database.execute_sql = self.original
        return False

    @staticmethod
    def of(run):
        with count_queries() as counter:
            run()
        return counter["n"]


def post_fresh(session, url, **kwargs):
    """POST on a new connection. gunicorn closes keep-alive connections idle for 2 s; on a busy
    machine a pooled connection can be closed by the server just as the client reuses it
    (ConnectionResetError). Closing the pool first keeps the cookies."""
    session.close()
    return session.post(url, **kwargs)


def burst(calls):
    """Run the prepared calls at the same instant from as many threads (a barrier releases them
    together); returns their results in order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def png_bytes(size=(1000, 700)):
    """A noisy PNG (it does not compress away), for upload tests."""
    import io

    from PIL import Image

    image = Image.effect_noise(size, 80).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def status_counts(responses):
    from collections import Counter

    return dict(sorted(Counter(r.status_code for r in responses).items()))


def assert_statuses(responses, server, allowed=None, expected=None):
    """Check the answers of a burst of concurrent requests.

    `allowed`: every status must be one of these; `expected`: {status: exact count}. On failure the
    message gives the count of each status and the server's log lines for the failing requests.
    """
    counts = status_counts(responses)
    bad = [r for r in responses if allowed is not None and r.status_code not in allowed]
    wrong_counts = expected is not None and any(counts.get(code, 0) != n for code, n in expected.items())
    if bad or wrong_counts:
        if not bad and expected is not None:
            # Every status is an expected one but a count is off: show the requests with those statuses.
            wrong = {code for code in set(expected) | set(counts) if counts.get(code, 0) != expected.get(code, 0)}
            bad = [r for r in responses if r.status_code in wrong] or list(responses)
        import re

        alerts = sorted({m for r in bad for m in re.findall(r'role="alert"[^>]*>([^<]+)', r.text)})
        pytest.fail(
            f"status counts {counts}, expected {expected or sorted(allowed)}; "
            f"{len(bad)} unexpected answers, saying {alerts}, e.g. {[r.text[:300] for r in bad[:2]]}\n"
            f"server log:\n{server.lines_about(bad)}",
            pytrace=False,
        )


def _serve(app, tmp_path):
    """Run gunicorn on `app`'s database; yields a LiveServer."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "BINARI_ENV": "testing",
            "SECRET_KEY": "live-test-secret",
            "BASE_URL": f"http://127.0.0.1:{port}",  # links and redirects to this server, not to :8000
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SESSION_COOKIE_SECURE": "0",
            "UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "LOGIN_MAX_FAILURES_PER_IP": "1000",
            "GUEST_LIMIT_PER_CLIENT": str(app.config.get("GUEST_LIMIT_PER_CLIENT", 10_000)),
            "GUEST_LIMIT_PER_TARGET": str(app.config.get("GUEST_LIMIT_PER_TARGET", 10_000)),
        }
    )
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "4",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--access-logfile",
                "-",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, log_path)
    yield LiveServer(url, process, log_path)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def live_server(app, tmp_path):
    """gunicorn serving the test database on a free port: several worker processes,
    several threads each, CSRF on — a real server for concurrency and browser tests.
    Seed data through the `app` fixture's models before sending requests."""
    yield from _serve(app, tmp_path)


@pytest.fixture
def pg_live_server(pg_app, tmp_path):
    """The same real server on the `pg_app` PostgreSQL database."""
    yield from _serve(pg_app, tmp_path)


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright):
    """Debian's Chromium, headless (Playwright's own browser download is not available here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture(params=[True, False], ids=["js-on", "js-off"])
def phone_page(request, browser):
    """A page in a 360x640 phone viewport, with JavaScript on and then off."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        java_script_enabled=request.param,
        locale="it-IT",
        timezone_id="Europe/Rome",
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.js_enabled = request.param
    yield page
    context.close()


def htmx_settled(page):
    """Wait until htmx has finished swapping and settling (with JavaScript on), so the elements of a
    page that was reached by boosted navigation have their triggers attached. The URL changes before
    that: typing into a live-search box right after `wait_for_url` can beat htmx on a busy machine."""
    if page.js_enabled:
        page.wait_for_function(
            "() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        )


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster (Debian's postgresql package) on a free port.

    Proves the code runs on PostgreSQL as well as SQLite (DATABASE_URL)."""
    import glob
    import shutil
    import tempfile

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL is not installed: run `make test` (it installs Debian's postgresql)")
    bindir = Path(found[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="binari-pg-", dir="/tmp"))
    shutil.chown(data, "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    port = free_port()
    subprocess.run(
        as_postgres + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        as_postgres
        + [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(data / "log"),
            "-o",
            f"-p {port} -k {data} -c fsync=off -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    yield {"port": port, "bindir": bindir}
    subprocess.run(
        as_postgres + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
    )
    shutil.rmtree(data, ignore_errors=True)


S3_ACCESS, S3_SECRET = "binari-test", "binari-test-secret"


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3 server (real HTTP, the same minio client as against MinIO) on a free
    loopback port, for the whole session; its endpoint. No MinIO binary installs on this machine
    (not in Debian, PyPI or npm). Loopback only: no network needed."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_settings(endpoint):
    """Settings for a fresh bucket on `endpoint` (made with portal.storage.ensure_bucket)."""
    import uuid

    return {
        "S3_ENDPOINT": endpoint,
        "S3_BUCKET": f"binari-{uuid.uuid4().hex[:12]}",
        "S3_ACCESS_KEY": S3_ACCESS,
        "S3_SECRET_KEY": S3_SECRET,
    }


@pytest.fixture
def pg_app(postgres_server, tmp_path):
    """The app on a fresh, migrated PostgreSQL database."""
    import uuid

    import psycopg2

    from portal import create_app
    from portal.cli import upgrade_database
    from portal.db import database

    name = "binari_" + uuid.uuid4().hex[:10]
    admin = psycopg2.connect(host="127.0.0.1", port=postgres_server["port"], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = f"postgresql://postgres@127.0.0.1:{postgres_server['port']}/{name}"
    app = create_app(test_settings(tmp_path / "unused.sqlite3", DATABASE_URL=url))
    with app.app_context():
        upgrade_database()
    ctx = app.app_context()
    ctx.push()
    yield app
    ctx.pop()
    if not database().is_closed():
        database().close()
    if hasattr(database(), "close_all"):
        database().close_all()
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


# --- a real SMTP server in the test process (aiosmtpd) ---------------------------------------------


class SmtpSink:
    """aiosmtpd on a free port, keeping what arrives (`messages`, parsed). `stop()` takes it down
    (connections are refused), `start()` brings it back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes
                from email.policy import default

                message = message_from_bytes(envelope.content, policy=default)
                sink.messages.append((envelope.rcpt_tos, message))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count, timeout=30):
        """Wait until `count` messages have arrived (a condition, never a fixed sleep)."""
        deadline = time.time() + timeout
        while len(self.messages) < count and time.time() < deadline:
            time.sleep(0.05)
        return len(self.messages) >= count


@pytest.fixture
def smtp_sink():
    """A running aiosmtpd (see SmtpSink); point an app at it with `smtp_settings(sink)`."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def smtp_settings(sink):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.port, "SMTP_STARTTLS": False, "SMTP_TIMEOUT": 2}


@pytest.fixture
def smtp_server(app, smtp_sink):
    """A running aiosmtpd, and the app set to deliver to it (no STARTTLS, short timeout)."""
    app.config.update(smtp_settings(smtp_sink))
    return smtp_sink


@pytest.fixture
def pg_smtp_server(pg_app, smtp_sink):
    """The same for the app on PostgreSQL (`pg_app`)."""
    pg_app.config.update(smtp_settings(smtp_sink))
    return smtp_sink


class MailWorker:
    """`flask --app portal worker` (the huey consumer, as `make run` starts it) in a child process, on
    an app's database and delivering to an SmtpSink."""

    def __init__(self, app, sink, log_path):
        env = dict(
            os.environ,
            BINARI_ENV="testing",
            SECRET_KEY="worker-test",
            DATABASE_URL=app.config["DATABASE_URL"],
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(sink.port),
            SMTP_STARTTLS="0",
        )
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "portal", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log
            )

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        """SIGINT, as Ctrl-C (a graceful stop); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(2)
            self.process.wait(timeout=20)
        return self.process.returncode


@pytest.fixture
def mail_worker(tmp_path):
    """Start the worker with `mail_worker(app, sink)` (see MailWorker); it is stopped at the end."""
    started = []

    def start(app, sink):
        started.append(MailWorker(app, sink, tmp_path / f"worker{len(started)}.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()
