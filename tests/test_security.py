"""CSRF on every POST (forms and htmx), security headers, no open redirects."""

import pytest
from conftest import csrf_token_from


@pytest.fixture
def app_settings():
    return {"WTF_CSRF_ENABLED": True}


def test_post_without_csrf_token_is_refused(client, seed):
    response = client.post("/login", data={"identifier": "maria@binari.example", "password": "binari2026"})
    assert response.status_code == 400
    assert "Il modulo è scaduto" in response.get_data(as_text=True)
    assert client.post("/register", data={"name": "X"}).status_code == 400
    assert client.post("/language", data={"lang": "en"}).status_code == 400


def test_post_with_form_token_works(client, seed):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"identifier": "maria@binari.example", "password": "binari2026", "csrf_token": token}
    )
    assert response.status_code == 302


def test_htmx_request_sends_token_in_header(client, seed):
    html = client.get("/").get_data(as_text=True)
    assert 'data-hx-headers=\'{"X-CSRFToken": "' in html
    token = html.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    client.post("/login", data={"identifier": "maria@binari.example", "password": "binari2026", "csrf_token": token})
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers or "HttpOnly" in response.headers["Set-Cookie"]


def test_production_refuses_to_start_without_secret(monkeypatch):
    from portal import create_app
    from portal.config import ConfigError

    monkeypatch.setenv("BINARI_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


# --- secacc: links, accounts and the server (issue 11 items 1, 2, 5, 6, 7, 8, 13, 14, 15, 16) ---------
# docs/security.md has the table "item -> test". The module runs with CSRF on, as in production.

import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402
from conftest import ROOT, free_port, http_login  # noqa: E402

from portal.models import AuditEntry, LoginAttempt, OutboxMessage, User  # noqa: E402

EVIL = "evil.example"


def form_post(client, url, data=None, **kwargs):
    """POST with the session's CSRF token (taken from the login page's form)."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def login(client, identifier="maria@binari.example", password="binari2026", follow_redirects=False, **extra):
    data = {"identifier": identifier, "password": password, **extra}
    return form_post(client, "/login", data, follow_redirects=follow_redirects)


def production_app(monkeypatch, tmp_path, **env):
    """A production-mode app (BASE_URL https://binari.example.org) on a migrated throwaway database."""
    from portal import create_app
    from portal.cli import upgrade_database

    settings = {
        "BINARI_ENV": "production",
        "SECRET_KEY": "prod-test-secret",
        "BASE_URL": "https://binari.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        **env,
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    app = create_app()
    with app.app_context():
        upgrade_database()
    return app


# Item 1: BASE_URL, trusted hosts, HSTS -----------------------------------------------------------
def test_production_refuses_to_start_without_base_url(monkeypatch):
    from portal import create_app
    from portal.config import ConfigError

    monkeypatch.setenv("BINARI_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="BASE_URL"):
        create_app()
    monkeypatch.setenv("BASE_URL", "binari.example.org")  # not an absolute address
    with pytest.raises(ConfigError):
        create_app()


def test_development_and_tests_default_to_local_base_url(app):
    assert app.config["BASE_URL"] == "http://127.0.0.1:8000"
    assert app.config["TRUSTED_HOSTS"] is None


def test_production_refuses_unknown_hosts_and_sends_hsts(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path, TRUSTED_HOSTS="localhost")
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": EVIL}).status_code == 400
    assert client.get("/password/forgot", headers={"Host": "binari.example.org.evil.example"}).status_code == 400
    ok = client.get("/healthz", headers={"Host": "binari.example.org"}, base_url="https://binari.example.org")
    assert ok.status_code == 200
    assert ok.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200  # the extra list


def test_no_hsts_without_https(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_reset_link_comes_from_base_url_not_from_the_host_header(client, seed, app):
    app.config["WTF_CSRF_ENABLED"] = False  # the test client keeps cookies per host: no session under EVIL
    response = client.post("/password/forgot", data={"email": "maria@binari.example"}, headers={"Host": EVIL})
    assert response.status_code == 200
    body = OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example").body
    assert EVIL not in body and "http://127.0.0.1:8000/password/reset/" in body


def test_production_reset_link_uses_the_configured_address(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path)
    with app.app_context():
        User.create_account("Prod", "a-long-passphrase", email="prod@example.org")
        client = app.test_client()
        page = client.get("/password/forgot", base_url="https://binari.example.org")
        token = csrf_token_from(page.get_data(as_text=True))
        client.post(
            "/password/forgot",
            data={"email": "prod@example.org", "csrf_token": token},
            base_url="https://binari.example.org",
            headers={"Referer": "https://binari.example.org/password/forgot"},  # Flask-WTF's HTTPS check
        )
        body = OutboxMessage.get(OutboxMessage.to_address == "prod@example.org").body
    assert "https://binari.example.org/password/reset/" in body


def test_no_absolute_link_is_built_from_the_request():
    """Every absolute link goes through portal.urls.external_url (BASE_URL): nothing in the code or
    the templates asks Flask for an external URL or reads the request's host."""
    forbidden = re.compile(r"_external\s*=\s*True|url_root|host_url|request\.host\b|request\.url\b|request\.base_url")
    offenders = []
    for path in (ROOT / "portal").rglob("*"):
        if path.suffix in {".py", ".html", ".xml", ".txt"} and path.name != "urls.py":
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if forbidden.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_external_url_outside_a_request(app):
    from portal.urls import external_url

    app.config["BASE_URL"] = "https://binari.example.org/portale"
    with app.app_context():
        assert external_url("events.event_page", event_id=7) == "https://binari.example.org/portale/events/7"
        assert external_url("auth.login", _anchor="x") == "https://binari.example.org/portale/login#x"


# Item 2: the cache never holds request-derived text ---------------------------------------------
def _pdf_text(data, tmp_path):
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(data)
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_forged_host_never_reaches_the_cached_flyer_programme_and_feeds(client, seed, app, tmp_path):
    from test_events import make_event

    from portal.clock import today_local
    from portal.events.printouts import cache_dir

    event = make_event(days=5, title="Tombola di quartiere")
    month = today_local().replace(day=1) + timedelta(days=5)
    urls = [
        f"/events/{event.id}/flyer.pdf",
        f"/events/programme/{(today_local() + timedelta(days=5)).strftime('%Y-%m')}.pdf?site=faenza",
        "/events.ics",
        f"/events/{event.id}.ics",
        "/events.atom",
        "/events/embed",
    ]
    assert month  # the programme of the event's month
    forged = {url: client.get(url, headers={"Host": EVIL}) for url in urls}
    later = {url: client.get(url) for url in urls}
    for url in urls:
        assert forged[url].status_code == later[url].status_code == 200, url
        for response in (forged[url], later[url]):
            data = response.get_data()
            text = _pdf_text(data, tmp_path) if url.split("?")[0].endswith(".pdf") else data.decode()
            assert EVIL not in text, url
            assert "127.0.0.1:8000" in text, url
    cached = list(cache_dir().glob("*"))
    assert cached, "the flyer and programme are cached"
    for path in cached:
        data = path.read_bytes()
        text = _pdf_text(data, tmp_path) if path.suffix == ".pdf" else data.decode(errors="replace")
        assert EVIL not in text, path.name


# Item 5: staff powers: desk resets, reset links, the audit log, tied people ----------------------
def _tie(member, staff_email):
    User.update(created_by=User.get(User.email == staff_email)).where(User.id == member.id).execute()


def test_desk_reset_only_without_email_and_staff_send_a_link_instead(client, seed):
    maria = User.get(User.email == "maria@binari.example")
    _tie(maria, "faenza@staff.binari.example")
    old_hash = maria.password_hash
    login(client, "faenza@staff.binari.example")
    response = form_post(client, f"/staff/members/{maria.id}/reset-password")
    assert response.status_code == 303
    assert User.get_by_id(maria.id).password_hash == old_hash  # nothing changed
    assert not AuditEntry.select().exists()
    page = client.get(f"/staff/members/{maria.id}").get_data(as_text=True)
    assert "Invia il link per una nuova password" in page and "Genera una nuova password" not in page
    response = form_post(client, f"/staff/members/{maria.id}/send-reset-link")
    assert response.status_code == 303
    mail = OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example")
    assert mail.sensitive and "http://127.0.0.1:8000/password/reset/" in mail.body
    entry = AuditEntry.get()
    assert (entry.action, entry.subject_user_id, entry.actor.email) == (
        "reset_link_sent",
        maria.id,
        "faenza@staff.binari.example",
    )
    assert entry.site.slug == "faenza"


def test_desk_reset_is_recorded_and_the_person_told_once(client, seed):
    ahmed = User.get(User.phone == "+393331234567")
    _tie(ahmed, "visconti@staff.binari.example")
    login(client, "visconti@staff.binari.example")
    html = form_post(client, f"/staff/members/{ahmed.id}/reset-password").get_data(as_text=True)
    password = re.search(r"Password temporanea: <strong class=\"code\">([a-z0-9-]+)</strong>", html).group(1)
    entry = AuditEntry.get()
    assert entry.action == "desk_password_reset" and entry.subject_user_id == ahmed.id
    assert password not in entry.detail + entry.record
    form_post(client, "/logout")
    response = login(client, "+39 333 1234567", password, follow_redirects=True)
    assert "La tua password è stata cambiata allo sportello" in response.get_data(as_text=True)
    form_post(client, "/logout")
    response = login(client, "+39 333 1234567", password, follow_redirects=True)
    assert "cambiata allo sportello" not in response.get_data(as_text=True)  # once


def test_staff_see_only_people_tied_to_their_centres(client, seed):
    from test_events import make_event

    from portal.events.models import Registration

    wei = User.get(User.email == "wei@binari.example")
    login(client, "faenza@staff.binari.example")
    assert "Wei Chen" not in client.get("/staff/members?q=wei").get_data(as_text=True)
    assert client.get(f"/staff/members/{wei.id}").status_code == 404
    assert client.get(f"/staff/members/{wei.id}/card.pdf").status_code == 404
    # the member code on the card she hands over finds her, and opens her page and its actions
    assert "Wei Chen" in client.get(f"/staff/members?q={wei.member_code}").get_data(as_text=True)
    assert client.get(f"/staff/members/{wei.id}?code={wei.member_code}").status_code == 200
    assert client.get(f"/staff/members/{wei.id}?code=BNAAAAAA").status_code == 404
    response = form_post(client, f"/staff/members/{wei.id}/send-reset-link?code={wei.member_code.lower()}")
    assert response.status_code == 303 and AuditEntry.get().subject_user_id == wei.id
    # a registration at a Faenza event ties her to Faenza
    Registration.create(event=make_event("faenza"), user=wei, name=wei.name, email=wei.email, status="confirmed")
    assert "Wei Chen" in client.get("/staff/members?q=wei").get_data(as_text=True)
    assert client.get(f"/staff/members/{wei.id}").status_code == 200
    # a Visconti event does not tie anyone to Faenza
    sara = User.create_account("Sara Nessuno", "a-long-passphrase", email="sara@example.org")
    Registration.create(event=make_event("visconti"), user=sara, name=sara.name, email=sara.email, status="confirmed")
    assert "Sara Nessuno" not in client.get("/staff/members?q=sara").get_data(as_text=True)


def test_audit_page_is_for_admins_with_filters_and_pages(client, seed):
    from portal import audit

    admin = User.get(User.role == "admin")
    maria = User.get(User.email == "maria@binari.example")
    faenza = User.get(User.email == "faenza@staff.binari.example")
    for n in range(55):
        entry = audit.record("reset_link_sent", subject_user=maria, actor=faenza, record=f"user:{maria.id}")
        AuditEntry.update(at=datetime(2026, 11, 1, 9) + timedelta(hours=n)).where(AuditEntry.id == entry.id).execute()
    audit.record("desk_password_reset", subject_user=admin, actor=admin)
    login(client, "faenza@staff.binari.example")
    assert client.get("/staff/audit").status_code == 403
    form_post(client, "/logout")
    login(client, admin.email)
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "Pagina 1 di 2" in page and page.count("Link per la password inviato") == 50  # 49 + the filter option
    assert "Pagina 2 di 2" in client.get("/staff/audit?page=2").get_data(as_text=True)
    assert client.get("/staff/audit?page=99999999999999999999").status_code == 200
    only = client.get("/staff/audit?action=desk_password_reset").get_data(as_text=True)
    assert "Pagina" not in only and only.count("Password cambiata allo sportello") == 2  # entry + option
    days = client.get("/staff/audit?start=2026-11-01&end=2026-11-01").get_data(as_text=True)
    assert days.count("Link per la password inviato") == 14 + 1  # 09:00-22:00 UTC: Rome's 1 November ends 23:00 UTC
    person = client.get(f"/staff/audit?person={admin.member_code}").get_data(as_text=True)
    assert person.count("Password cambiata allo sportello") == 2
    assert client.get("/staff/audit?start=0001-01-01").status_code == 422
    assert client.get("/staff/audit?action=nope").status_code == 422


# Item 6: progressive delays, not lockout; per account and per client; register and reset -----------
def test_right_password_works_after_the_delay(client, seed, app, frozen_clock):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "maria@binari.example", "wrong-password").status_code == 422
    response = login(client, "MARIA@binari.example", "binari2026")
    assert response.status_code == 429
    assert "Aspetta 2 secondi" in response.get_data(as_text=True)
    frozen_clock.shift(timedelta(seconds=2.5))
    assert login(client, "maria@binari.example", "binari2026").status_code == 302


def test_delays_double_and_are_capped(client, seed, app, frozen_clock):
    app.config["THROTTLE_MAX_DELAY"] = 8
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        login(client, "wei@binari.example", "nope-nope")
    waits = []
    for _ in range(5):
        html = login(client, "wei@binari.example", "nope-nope").get_data(as_text=True)
        waits.append(int(re.search(r"Aspetta (\d+) second", html).group(1)))
        frozen_clock.shift(timedelta(seconds=waits[-1] + 0.1))
        assert login(client, "wei@binari.example", "nope-nope").status_code == 422  # looked at, wrong
    assert waits == [2, 4, 8, 8, 8]


def test_per_client_delay_counts_every_account(client, seed, app, frozen_clock):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 4
    for n in range(4):
        assert login(client, f"nobody{n}@example.org", "whatever1").status_code == 422
    assert login(client, "maria@binari.example", "binari2026").status_code == 429
    frozen_clock.shift(timedelta(seconds=3))
    assert login(client, "maria@binari.example", "binari2026").status_code == 302


def test_proxy_headers_are_believed_only_from_configured_proxies(app, seed):
    from portal import create_app
    from portal.throttle import client_ip

    with app.test_request_context(headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert client_ip() == "10.0.0.1"  # TRUSTED_PROXY_COUNT = 0: the header is ignored
    proxied = create_app({**app.config, "TRUSTED_PROXY_COUNT": 1})

    @proxied.route("/_ip")
    def _ip():
        return client_ip()

    answer = proxied.test_client().get(
        "/_ip", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert answer.get_data(as_text=True) == "203.0.113.9"  # the one hop we trust, not the forged first


def test_reset_mails_are_limited_per_address(client, seed, app, frozen_clock):
    limit = app.config["RESET_MAX_PER_ADDRESS"]
    answers = [form_post(client, "/password/forgot", {"email": "wei@binari.example"}) for _ in range(limit + 3)]
    assert [r.status_code for r in answers] == [200] * limit + [429] * 3
    assert OutboxMessage.select().where(OutboxMessage.to_address == "wei@binari.example").count() == limit
    # an address without an account is answered the same way
    unknown = [form_post(client, "/password/forgot", {"email": "nessuno@example.org"}) for _ in range(limit + 1)]
    assert [r.status_code for r in unknown] == [200] * limit + [429]
    frozen_clock.shift(timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1))
    assert form_post(client, "/password/forgot", {"email": "wei@binari.example"}).status_code == 200


def test_sign_ups_are_limited_per_client(client, app, frozen_clock):
    limit = app.config["REGISTER_MAX_PER_IP"]
    statuses = []
    for n in range(limit + 2):
        data = {"name": f"Bot {n}", "email": "", "phone": f"33300000{n:02d}", "password": "girasole-blu-7"}
        statuses.append(form_post(client, "/register", {**data, "password_confirm": data["password"]}).status_code)
        form_post(client, "/logout")
    assert statuses == [302] * limit + [429, 429]
    assert User.select().count() == limit


# Item 7: enumeration -------------------------------------------------------------------------------
def test_login_takes_as_long_for_unknown_accounts(app, seed, client):
    """A real hash is checked for unknown accounts too (a dummy one): the two medians are close."""
    slow = "pbkdf2:sha256:200000"
    app.config["PASSWORD_HASH_METHOD"] = slow
    maria = User.get(User.email == "maria@binari.example")
    maria.set_password("binari2026")
    maria.save()

    def timed(identifier):
        LoginAttempt.delete().execute()
        started = time.perf_counter()
        assert login(client, identifier, "wrong-password").status_code == 422
        return time.perf_counter() - started

    timed("nobody@example.org")  # warm up: the dummy hash is made once per process
    known = statistics.median(timed("maria@binari.example") for _ in range(7))
    unknown = statistics.median(timed("nobody@example.org") for _ in range(7))
    assert 0.6 < unknown / known < 1.6, (known, unknown)


def test_throttle_answer_is_the_same_for_existing_and_unknown_accounts(client, seed, app):
    answers = {}
    for who in ("wei@binari.example", "nobody@example.org"):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            login(client, who, "wrong-password")
        response = login(client, who, "wrong-password")
        answers[who] = (response.status_code, response.get_data(as_text=True).replace(who, "X"))
        LoginAttempt.delete().execute()
    assert answers["wei@binari.example"][0] == 429
    strip_token = re.compile(r'value="[^"]{40,}"|"X-CSRFToken": "[^"]+"')
    existing, unknown = (strip_token.sub("", answers[w][1]) for w in answers)
    assert existing == unknown


def test_register_page_does_not_say_the_address_exists(client, seed):
    data = {"name": "Qualcuno", "phone": "", "password": "girasole-blu-7", "password_confirm": "girasole-blu-7"}
    taken = form_post(client, "/register", {**data, "email": "maria@binari.example"})
    free = form_post(client, "/register", {**data, "email": "libera@example.org"})
    assert taken.status_code == free.status_code == 200
    assert "Esiste già" not in taken.get_data(as_text=True)
    assert "hai già un account" in OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example").body
    assert "/register/confirm/" in OutboxMessage.get(OutboxMessage.to_address == "libera@example.org").body


# Item 14: common passwords ---------------------------------------------------------------------------
@pytest.mark.parametrize("weak", ["12345678", "password", "password123", "qwertyuiop", "aaaaaaaa", "luciarossi"])
def test_common_passwords_are_refused(client, weak):
    data = {"name": "Lucia Rossi", "email": "lucia.rossi@example.org", "phone": "", "password": weak}
    response = form_post(client, "/register", {**data, "password_confirm": weak})
    assert response.status_code == 422
    assert "troppo comune" in response.get_data(as_text=True)
    assert 'value="Lucia Rossi"' in response.get_data(as_text=True)  # the input is kept


def test_common_password_message_in_english_and_on_every_password_form(client, seed):
    form_post(client, "/language", {"lang": "en"})
    data = {"name": "Lucia", "email": "", "phone": "3331239876", "password": "12345678", "password_confirm": "12345678"}
    assert "too common" in form_post(client, "/register", data).get_data(as_text=True)
    login(client)
    response = form_post(
        client,
        "/account/password",
        {"current_password": "binari2026", "password": "password", "password_confirm": "password"},
    )
    assert response.status_code == 422 and "too common" in response.get_data(as_text=True)


# Item 15: e-mail change --------------------------------------------------------------------------
def test_email_change_needs_the_password_and_tells_the_old_address(client, seed):
    login(client)
    data = {"name": "Maria Rossi", "email": "nuova@example.org", "phone": ""}
    response = form_post(client, "/account/details", data)
    assert response.status_code == 422 and User.get(User.name == "Maria Rossi").email == "maria@binari.example"
    response = form_post(client, "/account/details", {**data, "current_password": "wrong-one"})
    assert response.status_code == 422
    assert form_post(client, "/account/details", {**data, "current_password": "binari2026"}).status_code == 302
    assert User.get(User.name == "Maria Rossi").email == "nuova@example.org"
    told = OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example")
    assert "è stato cambiato" in told.body and "nuova@example.org" not in told.body
    # the name alone changes without the password
    assert form_post(client, "/account/details", {**data, "name": "Maria R."}).status_code == 302


def test_email_change_is_no_search_for_taken_addresses(client, seed, app):
    login(client)
    statuses = []
    for n in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        data = {"name": "Maria Rossi", "email": f"probe{n}@example.org", "phone": "", "current_password": "wrong"}
        statuses.append(form_post(client, "/account/details", data).status_code)
    assert statuses == [422] * app.config["LOGIN_MAX_FAILURES"] + [429]


# Item 13: sessions end on the server; remember-me cookie ---------------------------------------------
def test_remember_cookie_is_samesite_lax(client, seed):
    response = login(client, remember="y")
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("remember_token=")]
    assert cookies and "SameSite=Lax" in cookies[0] and "HttpOnly" in cookies[0]


def test_copied_session_cookie_dies_at_logout_on_a_live_server(live_server, seed):
    session = http_login(live_server, "maria@binari.example", "binari2026")
    stolen = dict(session.cookies)
    assert requests.get(live_server.url + "/account", cookies=stolen, allow_redirects=False).status_code == 200
    token = csrf_token_from(session.get(live_server.url + "/account").text)
    assert (
        session.post(live_server.url + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302
    )
    answer = requests.get(live_server.url + "/account", cookies=stolen, allow_redirects=False)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_password_change_ends_remembered_sessions_on_a_live_server(live_server, seed):
    other = requests.Session()
    token = csrf_token_from(other.get(live_server.url + "/login").text)
    other.post(
        live_server.url + "/login",
        data={"identifier": "wei@binari.example", "password": "binari2026", "remember": "y", "csrf_token": token},
    )
    remembered = {"remember_token": other.cookies["remember_token"]}
    assert requests.get(live_server.url + "/account", cookies=remembered, allow_redirects=False).status_code == 200
    me = http_login(live_server, "wei@binari.example", "binari2026")
    token = csrf_token_from(me.get(live_server.url + "/account").text)
    data = {"current_password": "binari2026", "password": "girasole-blu-7", "password_confirm": "girasole-blu-7"}
    assert me.post(live_server.url + "/account/password", data={**data, "csrf_token": token}).status_code == 200
    assert requests.get(live_server.url + "/account", cookies=remembered, allow_redirects=False).status_code == 302
    assert me.get(live_server.url + "/account", allow_redirects=False).status_code == 200  # this one stays


# Item 6 on a live server: the owner gets in after the delay, whatever others did -------------------
def test_owner_gets_in_after_the_delay_on_a_live_server(live_server, seed):
    session = requests.Session()
    url = live_server.url + "/login"

    def attempt(password, forwarded):
        token = csrf_token_from(session.get(url).text)
        data = {"identifier": "wei@binari.example", "password": password, "csrf_token": token}
        return session.post(url, data=data, headers={"X-Forwarded-For": forwarded}, allow_redirects=False)

    for n in range(5):  # a forged X-Forwarded-For changes nothing without a trusted proxy
        assert attempt("wrong-password", f"198.51.100.{n}").status_code == 422
    assert attempt("binari2026", "198.51.100.99").status_code == 429
    deadline = time.time() + 10
    while (status := attempt("binari2026", "198.51.100.99").status_code) == 429 and time.time() < deadline:
        time.sleep(0.25)
    assert status == 302


def _burst_of_guesses(live_server):
    """20 wrong passwords for one account at the same instant, on 4 workers: only as many are looked
    at as the limit allows (each attempt is written, under a lock, before the earlier ones are counted)."""
    from conftest import assert_statuses, burst

    sessions, tokens = [], []
    for _ in range(20):
        session = requests.Session()
        tokens.append(csrf_token_from(session.get(live_server.url + "/login", headers={"Connection": "close"}).text))
        sessions.append(session)

    def guess(i):
        data = {"identifier": "wei@binari.example", "password": f"guess-{i}", "csrf_token": tokens[i]}
        return sessions[i].post(live_server.url + "/login", data=data, allow_redirects=False, timeout=60)

    responses = burst([lambda i=i: guess(i) for i in range(20)])
    assert_statuses(responses, live_server, allowed={422, 429}, expected={422: 5, 429: 15})


def test_a_burst_of_guesses_gets_no_more_than_the_limit_on_a_live_server(live_server, seed):
    _burst_of_guesses(live_server)


@pytest.mark.xdist_group("postgres")
def test_a_burst_of_guesses_gets_no_more_than_the_limit_on_postgres(pg_app, pg_live_server):
    from portal import demo

    demo.load_core()
    _burst_of_guesses(pg_live_server)


# Item 8: slow clients cannot take `make run` down ------------------------------------------------
def _make_run_gunicorn_args():
    text = (ROOT / "Makefile").read_text()
    return re.search(r"^run: export GUNICORN_CMD_ARGS \?= (.+)$", text, re.M).group(1).strip()


@pytest.fixture
def make_run_server(app, tmp_path):
    """gunicorn started as `make run` starts it (2 workers, 4 threads, GUNICORN_CMD_ARGS from the Makefile)."""
    port = free_port()
    env = dict(os.environ, BINARI_ENV="development", SECRET_KEY="slow-test", DATABASE_URL=app.config["DATABASE_URL"])
    env["GUNICORN_CMD_ARGS"] = _make_run_gunicorn_args()
    log_path = tmp_path / "make-run.log"
    with open(log_path, "w") as log:
        command = ["--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        if time.time() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("server did not start:\n" + Path(log_path).read_text())
        time.sleep(0.2)
    yield port, url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.live
def test_slow_clients_do_not_take_make_run_down(make_run_server):
    port, url = make_run_server
    sockets = []
    try:
        for _ in range(40):  # headers and 12 bytes of a 100 kB body, then nothing
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(
                b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\nidentifier=a"
            )
            sockets.append(s)
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            assert requests.get(url + "/healthz", timeout=1).status_code == 200
            timings.append(time.perf_counter() - started)
        assert max(timings) < 1.0, timings
    finally:
        for s in sockets:
            s.close()


@pytest.mark.xdist_group("postgres")
def test_staff_scope_throttle_and_audit_on_postgres(pg_app):
    """The scoping unions, the throttle's aggregates and the audit page's joins on PostgreSQL."""
    from test_events import make_event

    from portal import demo
    from portal.events.models import Registration

    demo.load_core()
    client = pg_app.test_client()
    wei = User.get(User.email == "wei@binari.example")

    def sign_in(identifier, password="binari2026"):
        return client.post("/login", data={"identifier": identifier, "password": password})

    assert sign_in("faenza@staff.binari.example").status_code == 302
    assert "Wei Chen" not in client.get("/staff/members?q=wei").get_data(as_text=True)
    Registration.create(event=make_event("faenza"), user=wei, name=wei.name, email=wei.email, status="confirmed")
    assert "Wei Chen" in client.get("/staff/members?q=wei").get_data(as_text=True)
    assert client.post(f"/staff/members/{wei.id}/send-reset-link").status_code == 303
    client.post("/logout")
    for _ in range(pg_app.config["LOGIN_MAX_FAILURES"]):
        assert sign_in("wei@binari.example", "wrong-password").status_code == 422
    assert sign_in("wei@binari.example").status_code == 429
    assert sign_in("admin@binari.example").status_code == 302
    page = client.get("/staff/audit?person=wei").get_data(as_text=True)
    assert "Link per la password inviato" in page and "Marco Ferri" in page
