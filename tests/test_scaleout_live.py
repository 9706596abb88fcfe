"""Several app servers, as deploy/compose.yaml runs them (Docker is not available on this machine):
two gunicorn servers on two ports with the production configuration (deploy/gunicorn.conf.py),
one worker, one throwaway PostgreSQL and moto's S3 server for the files, all on 127.0.0.1.

A registration race spread over both servers confirms exactly the capacity; a poster uploaded on
one server is read from the other; a flyer built on one is served to the other from the bucket.
"""

import os
import re
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from conftest import (
    FAST_HASH,
    ROOT,
    LiveServer,
    assert_statuses,
    burst,
    csrf_token_from,
    free_port,
    http_login,
    png_bytes,
    s3_settings,
)

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.s3, pytest.mark.xdist_group("postgres")]


def _wait_healthy(url, process, log_path, timeout=45):
    deadline = time.time() + timeout
    while True:
        try:
            response = requests.get(url + "/healthz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except requests.RequestException:
            pass
        if time.time() > deadline or process.poll() is not None:
            raise RuntimeError(f"{url} did not start:\n" + Path(log_path).read_text(errors="replace"))
        time.sleep(0.2)


@pytest.fixture
def cluster(pg_app, s3_server, tmp_path):
    """Two app servers and the worker on `pg_app`'s database and a fresh bucket; the servers."""
    from portal.storage import ensure_bucket

    settings = s3_settings(s3_server)
    pg_app.config.update(settings)
    pg_app.extensions.pop("binari_storage", None)
    ensure_bucket(pg_app)  # as `flask --app portal storage init` does once in the compose file
    base = dict(os.environ)
    base.update(
        {
            "BINARI_ENV": "testing",
            "SECRET_KEY": "scaleout-test-secret",  # the same on every server: sessions work on both
            "DATABASE_URL": pg_app.config["DATABASE_URL"],
            "SESSION_COOKIE_SECURE": "0",
            "PASSWORD_HASH_METHOD": FAST_HASH,
            "LOGIN_MAX_FAILURES_PER_IP": "1000",
            "GUEST_LIMIT_PER_CLIENT": "10000",
            "GUEST_LIMIT_PER_TARGET": "10000",
            **settings,
        }
    )
    ports = [free_port(), free_port()]
    servers = []
    with ExitStack() as stack:
        for number, port in enumerate(ports, 1):
            env = dict(
                base,
                BASE_URL=f"http://127.0.0.1:{ports[0]}",  # one public address, as behind Caddy
                BINARI_BIND=f"127.0.0.1:{port}",
                WEB_CONCURRENCY="2",
                BINARI_THREADS="4",
                # Each server its own local disk: nothing may be shared through it.
                UPLOAD_DIR=str(tmp_path / f"server{number}" / "uploads"),
            )
            log_path = tmp_path / f"server{number}.log"
            log = stack.enter_context(open(log_path, "w"))
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(_stop, process)
            servers.append(LiveServer(f"http://127.0.0.1:{port}", process, log_path))
        worker_log = tmp_path / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "portal", "worker"],
            cwd=ROOT,
            env=dict(base, BASE_URL=f"http://127.0.0.1:{ports[0]}", UPLOAD_DIR=str(tmp_path / "worker" / "uploads")),
            stdout=stack.enter_context(open(worker_log, "w")),
            stderr=subprocess.STDOUT,
        )
        stack.callback(_stop, worker)
        for server in servers:
            _wait_healthy(server.url, server.process, server.log_path)
        deadline = time.time() + 45  # the worker's first tick writes its heartbeat
        while requests.get(servers[1].url + "/healthz", timeout=5).json().get("worker") != "ok":
            assert worker.poll() is None and time.time() < deadline, worker_log.read_text(errors="replace")
            time.sleep(0.3)
        yield servers


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_two_app_servers_one_worker_postgresql_and_s3(cluster, pg_app, tmp_path):
    from test_events_live import make_event

    from portal import demo
    from portal.events.models import Event, Registration
    from portal.storage import s3_client

    demo.load_core()
    one, two = cluster
    for server in cluster:
        assert requests.get(server.url + "/healthz", timeout=5).json()["worker"] == "ok"

    # The race: 24 people for 5 seats, every other one on the other server.
    event = make_event(capacity=5)
    people = 24
    sessions, tokens, urls = [], [], []
    for i in range(people):
        server = cluster[i % 2]
        session = requests.Session()
        url = f"{server.url}/events/{event.id}"
        page = session.get(url, timeout=30, headers={"Connection": "close"})
        assert page.status_code == 200
        sessions.append(session)
        tokens.append(csrf_token_from(page.text))
        urls.append(url)

    def attempt(i):
        return lambda: sessions[i].post(
            f"{urls[i]}/register",
            timeout=60,
            allow_redirects=False,
            data={"csrf_token": tokens[i], "name": f"Persona {i}", "email": f"persona{i}@example.org", "phone": ""},
        )

    results = burst([attempt(i) for i in range(people)])
    for server in cluster:
        mine = [r for r in results if r.url.startswith(server.url)]
        assert_statuses(mine, server, allowed={303}, expected={303: people // 2})
    statuses = [r.status for r in Registration.select().where(Registration.event == event.id)]
    assert statuses.count("confirmed") == 5, statuses  # exactly the capacity, across both servers
    assert statuses.count("waitlist") == people - 5
    assert Event.get_by_id(event.id).taken == 5

    # A poster uploaded on server one (the staff form), read from server two.
    from test_events import event_form

    from portal.models import Site

    staff = http_login(one, "faenza@staff.binari.example", "binari2026")
    token = csrf_token_from(staff.get(f"{one.url}/staff/events/new", timeout=30).text)
    form = event_form(Site.get(Site.slug == "faenza"), title="Corso con locandina", poster_alt="Locandina del corso")
    response = staff.post(
        f"{one.url}/staff/events/new",
        data={**form, "csrf_token": token},
        files={"poster": ("poster.png", png_bytes(), "image/png")},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 303, response.text[:800]
    event = Event.get(Event.title == "Corso con locandina")
    assert event.poster
    Event.update(status="published").where(Event.id == event.id).execute()
    public = requests.get(f"{two.url}/events/{event.id}", timeout=30).text
    src = re.search(r'src="(/events/poster/[0-9a-f]{24}\.jpg)"', public).group(1)
    image = requests.get(two.url + src, timeout=30)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert image.content[:3] == b"\xff\xd8\xff"
    assert not list(tmp_path.glob("server*/uploads/**/*.jpg")), "no server kept the poster on its own disk"

    # A flyer built on server two is in the bucket; server one answers the same bytes from there.
    flyer_two = requests.get(f"{two.url}/events/{event.id}/flyer.pdf", timeout=120)
    assert flyer_two.status_code == 200 and flyer_two.content.startswith(b"%PDF")
    client = s3_client(pg_app.config)
    cached = [o.object_name for o in client.list_objects(pg_app.config["S3_BUCKET"], "cache/events/", True)]
    assert len(cached) == 1 and cached[0].endswith(".pdf")
    started = time.monotonic()
    flyer_one = requests.get(f"{one.url}/events/{event.id}/flyer.pdf", timeout=120)
    assert flyer_one.content == flyer_two.content
    assert time.monotonic() - started < 5  # read from the bucket, not built again (a build takes seconds)
