"""CSRF on every POST (forms and htmx), security headers, no open redirects."""

import re
from html.parser import HTMLParser

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
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

import requests  # noqa: E402
from conftest import ROOT, free_port, http_login, wait_until_healthy  # noqa: E402

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

    from portal import storage
    from portal.clock import today_local

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
    cached = storage.cache().list("events/")
    assert cached, "the flyer and programme are cached"
    for item in cached:
        data = storage.cache().read(item.key)
        text = _pdf_text(data, tmp_path) if item.key.endswith(".pdf") else data.decode(errors="replace")
        assert EVIL not in text, item.key


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
    """gunicorn started as `make run` starts it (its settings file, 2 workers, 4 threads, GUNICORN_CMD_ARGS
    from the Makefile)."""
    port = free_port()
    env = dict(os.environ, BINARI_ENV="development", SECRET_KEY="slow-test", DATABASE_URL=app.config["DATABASE_URL"])
    env["GUNICORN_CMD_ARGS"] = _make_run_gunicorn_args()
    log_path = tmp_path / "make-run.log"
    with open(log_path, "w") as log:
        command = ["-c", "deploy/gunicorn.conf.py", "--workers", "2", "--threads", "4"]
        command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, log_path)
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


# --- Guests, outbox view, input robustness (issue 11 items 3, 4, 9, 10, 11, 12) ---

HUGE = 2**63


@pytest.fixture
def no_csrf(app):
    """These tests post forms directly: CSRF (on in this module) is tested above."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _int_rules(app, methods=("GET",)):
    """Every rule with an <int:…> argument, with its endpoint and argument names."""
    for rule in app.url_map.iter_rules():
        ints = [name for name, conv in rule._converters.items() if conv.__class__.__name__ == "BoundedIntegerConverter"]
        if ints and set(methods) & (rule.methods or set()):
            yield rule, ints


def _build(rule, value):
    """The rule's path with every int argument `value` and every other one a plain word."""
    path = rule.rule
    for name, conv in rule._converters.items():
        kind = conv.__class__.__name__
        placeholder = str(value) if kind == "BoundedIntegerConverter" else ("2026-01" if name == "ym" else "x")
        path = re.sub(r"<[^>]*\b" + name + ">", placeholder, path)
    return path


@pytest.mark.parametrize("who", ["anonymous", "admin@binari.example"])
def test_item10_huge_ids_are_not_found_on_every_int_route(client, seed, auth, who):
    app = client.application
    if who != "anonymous":
        app.config["WTF_CSRF_ENABLED"] = False
        assert auth.login(who).status_code == 302
    rules = list(_int_rules(app, ("GET", "POST")))
    assert len(rules) >= 30
    bad = []
    for rule, _ints in rules:
        for value in (HUGE, 10**30):
            path = _build(rule, value)
            method = "get" if "GET" in rule.methods else "post"
            status = getattr(client, method)(path).status_code
            if status not in (404, 405):
                bad.append((method, path, status))
    assert not bad


FAR_DAYS = ("0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "1800-01-01")


@pytest.mark.parametrize("day", FAR_DAYS)
def test_item10_far_dates_on_staff_and_public_pages_answer_400(client, seed, auth, day):
    client.application.config["WTF_CSRF_ENABLED"] = False
    assert auth.login("admin@binari.example").status_code == 302
    ym = day.rsplit("-", 1)[0]
    refused = [
        f"/staff/volunteer/day/faenza/{day}",
        f"/staff/volunteer/day/faenza/{day}.pdf",
        f"/staff/volunteer/day/faenza/{day}.csv",
        f"/staff/bookings/daily.pdf?day={day}",
    ]
    statuses = {path: client.get(path).status_code for path in refused}
    assert set(statuses.values()) <= {400, 404}, statuses
    page = client.get(f"/staff/volunteer/day/faenza/{day}").get_data(as_text=True)
    assert "AAAA-MM-GG" in page or "non trovata" in page.lower()
    tolerant = [f"/events/month/{ym}", f"/events/month/2026-11?day={day}", f"/events/programme/{ym}.pdf"]
    tolerant += [f"/staff/reports?period=custom&first={day}&last={day}", f"/staff/bookings?day={day}"]
    statuses = {path: client.get(path).status_code for path in tolerant}
    assert all(status < 500 for status in statuses.values()), statuses


class _FormFields(HTMLParser):
    """The named fields of the first POST form with fields on a page, as the browser would send them."""

    def __init__(self):
        super().__init__()
        self.fields, self._in_form, self._done, self._select, self._textarea = {}, False, False, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done and (a.get("method") or "").lower() == "post":
            self._in_form = True
        if not self._in_form or not a.get("name"):
            return
        name = a["name"]
        if tag == "input" and a.get("type") not in ("submit", "file", "checkbox", "radio"):
            self.fields[name] = a.get("value") or ""
        elif tag == "input" and "checked" in a:
            self.fields[name] = a.get("value") or "on"
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._in_form and len(self.fields) > 2:
            self._in_form, self._done = False, True


def form_fields(html):
    parser = _FormFields()
    # selected options: the first <option selected> (or the first option) of each select
    for match in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        options = re.findall(r'<option([^>]*)value="([^"]*)"', match.group(2))
        chosen = [v for attrs, v in options if "selected" in attrs] or [v for _a, v in options[:1]]
        parser.fields[match.group(1)] = chosen[0] if chosen else ""
    parser.feed(html)
    return parser.fields


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


def test_item10_edit_forms_with_a_field_missing_answer_the_form_not_500(demo, client, auth):
    from portal.events.models import Event, Series
    from portal.library.models import Title

    client.application.config["WTF_CSRF_ENABLED"] = False
    assert auth.login("admin@binari.example").status_code == 302
    event = Event.select().where(Event.series.is_null() & (Event.status == "published")).first()
    Event.update(poster="0" * 24, poster_alt="Locandina").where(Event.id == event.id).execute()  # with a poster
    series = Series.select().first()
    title = Title.select().first()
    pages = [f"/staff/events/{event.id}/edit", f"/staff/events/series/{series.id}", f"/staff/library/titles/{title.id}"]
    bad = {}
    for page in pages:
        fields = form_fields(client.get(page).get_data(as_text=True))
        assert len(fields) > 3, (page, fields)
        fields.pop("csrf_token", None)
        for missing in fields:
            data = {k: v for k, v in fields.items() if k != missing}
            status = client.post(page, data=data).status_code
            if status >= 500:
                bad[(page, missing)] = status
    assert not bad


# Item 12: every CSV export neutralises formulas.
CSV_EVIL = ["=1+2", "+SUM(1)", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\tx", "\rx"]


def test_item12_csv_helper_escapes_formula_starts_and_keeps_numbers():
    import io

    from portal import csvout

    for text in CSV_EVIL:
        assert csvout.safe_cell(text) == "'" + text
    for plain in ("-3", "+2.5", "1,5", 7, -4, None, "Maria", "a=b"):
        assert csvout.safe_cell(plain) == plain
    out = io.StringIO()
    csvout.writer(out, delimiter=";").writerow(["=x", "-1", "ok"])
    assert out.getvalue().strip() == "'=x;-1;ok"


def _csv_cells(response):
    import csv
    import io

    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def _no_formula(cells):
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[+-]?\d+", c)]


def test_item12_events_registrations_csv(client, seed, auth):
    from test_events import make_event

    from portal.events.models import Registration

    event = make_event(capacity=20)
    for i, text in enumerate(CSV_EVIL):
        Registration.create(event=event, name=text, email=f"{text[:1]}x{i}@example.org", status="confirmed")
    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("faenza@staff.binari.example")
    cells = _csv_cells(client.get(f"/staff/events/{event.id}/registrations.csv"))
    assert "'=1+2" in cells and "'=x0@example.org" in cells and "'-2+3+cmd|' /C calc'!A0" in cells
    assert not _no_formula(cells)


def test_item12_volunteer_roster_and_day_csv(client, seed, auth):
    from portal.clock import local_date
    from portal.models import Site
    from portal.volunteer.models import Opportunity, Shift, Signup

    site = Site.get(Site.slug == "faenza")
    opp = Opportunity.create(site=site, title="=cmd|x", activity="food", description="d")
    start = utcnow_plus(days=3)
    shift = Shift.create(opportunity=opp, starts_at=start, ends_at=start.replace(hour=start.hour + 1), capacity=20)
    for i, text in enumerate(CSV_EVIL):
        Signup.create(shift=shift, name=text, companions=text, email=f"{text[:1]}y{i}@example.org", phone="")
    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("faenza@staff.binari.example")
    day = local_date(start).isoformat()
    for path in (f"/staff/volunteer/shifts/{shift.id}/roster.csv", f"/staff/volunteer/day/faenza/{day}.csv"):
        cells = _csv_cells(client.get(path))
        assert "'=1+2" in cells and "'=cmd|x" in cells, path
        assert not _no_formula(cells), path


def test_item12_reports_csv(client, seed, auth):
    from portal.models import Site

    Site.update(name='=HYPERLINK("http://evil.example")').where(Site.slug == "faenza").execute()
    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("admin@binari.example")
    cells = _csv_cells(client.get("/staff/reports/report.csv?site=faenza"))
    assert '\'=HYPERLINK("http://evil.example")' in cells
    assert not _no_formula(cells)


def utcnow_plus(days):
    from datetime import time, timedelta

    from portal.clock import to_utc, today_local

    return to_utc(today_local() + timedelta(days=days), time(10))


# Item 11: images.
def png_bomb(width=6000, height=6600, truncate=None):
    """An RGBA PNG of zeros (about 150 KB for 6000×6600), built row by row so the test stays small."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 4)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return data[:truncate] if truncate else data


def jpeg_with_comment_and_exif():
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x0131] = "GPS-at-home"  # Software
    buffer = io.BytesIO()
    Image.effect_noise((900, 600), 60).convert("RGB").save(
        buffer, "JPEG", quality=90, comment=b"<script>alert(1)</script>", exif=exif.tobytes()
    )
    return buffer.getvalue()


def _upload_poster(client, seed, data, name="p.png"):
    import io

    from test_events import event_form

    form = event_form(seed["sites"]["faenza"], poster=(io.BytesIO(data), name), poster_alt="Locandina del corso")
    return client.post("/staff/events/new", data=form, content_type="multipart/form-data")


def test_item11_bomb_and_truncated_images_are_refused_before_decoding(client, seed, auth):
    from PIL import ImageFile

    from portal.events.models import Event

    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("faenza@staff.binari.example")
    bomb = png_bomb()
    assert len(bomb) < 200_000
    response = _upload_poster(client, seed, bomb)
    assert response.status_code == 422 and "troppi pixel" in response.get_data(as_text=True)
    response = _upload_poster(client, seed, bomb[:69])  # the 69-byte header of the same bomb
    assert response.status_code == 422
    # A truncated image of an acceptable size: refused, even after WeasyPrint was imported by a PDF.
    # A web process imports it only to draw in-process (PDF_RENDER_IN_CHILD off; otherwise the PDF
    # renderer draws), and WeasyPrint's import turns the acceptance of truncated images on.
    from conftest import png_bytes

    half = png_bytes()[:20_000]
    assert _upload_poster(client, seed, half).status_code == 422
    from portal.clock import today_local

    client.application.config["PDF_RENDER_IN_CHILD"] = False
    # This month's programme: one more than two years away from today is a 404, not a PDF.
    assert client.get(f"/events/programme/{today_local():%Y-%m}.pdf").status_code == 200
    assert "weasyprint" in sys.modules
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    response = _upload_poster(client, seed, half)
    assert response.status_code == 422 and "immagine valida" in response.get_data(as_text=True)
    assert Event.select().count() == 0


def test_item11_reencoding_drops_jpeg_comment_and_exif(client, seed, auth):
    from portal.events.models import Event
    from portal.events.posters import poster_bytes

    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("faenza@staff.binari.example")
    original = jpeg_with_comment_and_exif()
    assert b"<script>" in original and b"SecretCamera" in original and b"Exif" in original
    assert _upload_poster(client, seed, original, "p.jpg").status_code == 303
    key = Event.get().poster
    for printable in (False, True):
        stored = poster_bytes(key, printable=printable)
        assert b"<script>" not in stored and b"SecretCamera" not in stored and b"Exif" not in stored
        assert b"\xff\xfe" not in stored.split(b"\xff\xda", 1)[0]  # no COM segment before the scan


# Item 9: control characters.
NASTY_TITLE = "Corso\r\nBcc: everyone@example.org\x0b\x1b[31m fine"


def test_item9_every_form_cleans_control_characters_in_one_place(app):
    from flask_wtf import FlaskForm
    from wtforms import PasswordField, StringField, TextAreaField

    from portal.formbase import Form, multi_line, one_line

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("portal.")]
    assert len(forms) >= 30
    outside = [f"{cls.__module__}.{cls.__name__}" for cls in forms if not issubclass(cls, Form)]
    assert not outside
    with app.test_request_context("/", method="POST", data={}):
        checked = 0
        for cls in forms:
            if cls is Form:
                continue
            try:
                form = cls(meta={"csrf": False})
            except TypeError:
                continue  # a form that needs arguments to be built
            for field in form:
                if isinstance(field, PasswordField):
                    assert one_line not in field.filters
                elif isinstance(field, TextAreaField):
                    assert field.filters[-1] is multi_line, (cls, field.name)
                elif isinstance(field, StringField):
                    assert field.filters[-1] is one_line, (cls, field.name)
                    checked += 1
        assert checked > 50


def test_item9_resident_proposal_and_staff_event_titles_are_one_line(client, seed, auth):
    from test_events import event_form

    from portal.events.models import Event

    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("faenza@staff.binari.example")
    data = event_form(seed["sites"]["faenza"], title=NASTY_TITLE, description="Riga uno\r\nRiga\x0b due\x07")
    assert client.post("/staff/events/new", data=data).status_code == 303
    event = Event.get()
    assert event.title == "Corso Bcc: everyone@example.org [31m fine"
    assert event.description == "Riga uno\r\nRiga due"
    auth.logout()
    auth.login("maria@binari.example")
    data = event_form(seed["sites"]["faenza"], title="Festa\ndel\x0bquartiere", partner="0")
    assert client.post("/events/propose", data=data).status_code == 303
    assert Event.get(Event.proposed_by.is_null(False)).title == "Festa del quartiere"


def test_item9_feeds_and_mail_survive_a_title_stored_before_the_fix(client, seed):
    from xml.dom import minidom

    from test_events import make_event

    from portal.events.models import Registration
    from portal.models import OutboxMessage

    client.application.config["WTF_CSRF_ENABLED"] = False
    event = make_event(title=NASTY_TITLE, capacity=5)
    assert client.get(f"/events/{event.id}.ics").status_code == 200
    ics = client.get("/events.ics")
    assert ics.status_code == 200 and b"\x0b" not in ics.data
    atom = client.get("/events.atom")
    assert atom.status_code == 200
    minidom.parseString(atom.data)  # well-formed XML for everyone
    response = client.post(
        f"/events/{event.id}/register", data={"name": "Lia", "email": "lia@example.org", "phone": ""}
    )
    assert response.status_code == 303
    assert Registration.select().count() == 1
    for message in OutboxMessage.select():
        assert "\n" not in message.subject and "\r" not in message.subject


# Item 4: the outbox view.
def test_item4_outbox_shows_staff_only_their_centres_mail_with_links_masked(client, seed, auth):
    from test_events import make_event

    from portal.models import OutboxMessage

    client.application.config["WTF_CSRF_ENABLED"] = False
    visconti = make_event(site_slug="visconti", title="Corso a Visconti", capacity=5)
    faenza = make_event(site_slug="faenza", title="Corso a Faenza", capacity=5)
    for event, who in ((visconti, "vis"), (faenza, "fae")):
        response = client.post(
            f"/events/{event.id}/register", data={"name": "Ospite", "email": f"{who}@example.org", "phone": ""}
        )
        assert response.status_code == 303
    from portal.mail import send_mail

    send_mail("someone@example.org", "Reimposta la password", "Apri https://binari.example/password/reset/abc")
    assert OutboxMessage.select().where(OutboxMessage.site.is_null(False)).count() >= 2

    auth.login("faenza@staff.binari.example")
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert "fae@example.org" in html and "Corso a Faenza" in html
    assert "vis@example.org" not in html and "Corso a Visconti" not in html
    assert "someone@example.org" not in html  # mail about no centre: admins only
    assert "/events/registration/" not in html and "http" not in html.split("<main", 1)[1].split("</main>")[0]
    assert "[link nascosto]" in html
    auth.logout()
    auth.login("admin@binari.example")
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert "fae@example.org" in html and "vis@example.org" in html and "someone@example.org" in html
    assert "/events/registration/" in html and "[link nascosto]" not in html


def test_item4_mask_links_hides_urls_and_tokens(app):
    from portal.text import mask_links

    with app.test_request_context():
        text = mask_links("Conferma: https://x.example/v/c/eyJyIjo1LCJ0IjoiMjAyNiJ9.abc_DEF-123 poi www.evil.example/a")
        assert "https" not in text and "www." not in text and text.count("[link nascosto]") == 2
        assert mask_links("Il tuo codice: eyJyIjo1LCJ0IjoiMjAyNiJ9abcDEF123") == "Il tuo codice: [codice nascosto]"
        assert mask_links("Ciao Maria, sabato 21 novembre alle 10:00") == "Ciao Maria, sabato 21 novembre alle 10:00"


# Item 3: guest registrations and sign-ups.
def run_job(app, name):
    """Run a registered job as the scheduler would (inside the app, where links are built from BASE_URL)."""
    from portal.areas import jobs
    from portal.clock import utcnow

    job = next(job for _area, job in jobs() if job.name == name)
    with app.test_request_context():
        return job.run(utcnow())


def _guest_post(client, event, address="10.0.0.1", **data):
    data = {"name": "Ospite", "email": "", "phone": "", **data}
    return client.post(f"/events/{event.id}/register", data=data, environ_base={"REMOTE_ADDR": address})


def test_item3_guest_limits_per_client_and_per_event_held_in_the_database(no_csrf, client, seed):
    from test_events import make_event
    from test_volunteer import guest

    from portal.guests import GuestAction
    from portal.volunteer.models import Opportunity, Shift

    app = client.application
    app.config.update(GUEST_LIMIT_PER_CLIENT=3, GUEST_LIMIT_PER_TARGET=4)
    events = [make_event(title=f"Corso {i}", capacity=50) for i in range(3)]
    for i, event in enumerate(events):
        assert _guest_post(client, event, email=f"g{i}@example.org").status_code == 303
    over = _guest_post(client, events[0], name="Quarta Persona", email="g9@example.org")
    assert over.status_code == 429
    page = over.get_data(as_text=True)
    assert "Troppe iscrizioni" in page and 'value="Quarta Persona"' in page  # the form back, input kept
    assert _guest_post(client, events[0], address="10.0.0.2", email="other@example.org").status_code == 303
    # per event: four requests from anywhere in the window, then 429 for everyone
    for n, address in enumerate(("10.0.0.3", "10.0.0.4")):
        assert _guest_post(client, events[0], address=address, email=f"h{n}@example.org").status_code in (303, 429)
    assert _guest_post(client, events[0], address="10.0.0.9", email="late@example.org").status_code == 429
    # the limits live in the database (every worker sees them); no raw address is stored
    assert GuestAction.select().count() >= 6
    assert not GuestAction.select().where(GuestAction.client.contains("10.0.0")).exists()
    # volunteer sign-ups share the per-client limit
    site = seed["sites"]["faenza"]
    opp = Opportunity.create(site=site, title="Spesa", activity="food", description="d")
    start = utcnow_plus(days=3)
    shift = Shift.create(opportunity=opp, starts_at=start, ends_at=start.replace(hour=start.hour + 2), capacity=9)
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    response = guest(client, shift, name="Volontaria", phone="333 765 4321")
    assert response.status_code == 429 and "Troppe iscrizioni" in response.get_data(as_text=True)
    client.environ_base["REMOTE_ADDR"] = "10.0.0.77"
    assert guest(client, shift, name="Volontaria", phone="333 765 4321").status_code == 303


def test_item3_guest_actions_are_forgotten_by_the_retention_job(app, seed, frozen_clock):
    from datetime import timedelta

    from portal.areas import jobs
    from portal.clock import utcnow
    from portal.guests import GuestAction, admit

    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        admit("event", 1)
    frozen_clock.shift(timedelta(hours=25))
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        admit("event", 1)
    job = next(job for _area, job in jobs() if job.name == "guest-actions-retention")
    assert job.run(utcnow()) == 1 and job.run(utcnow()) == 0  # idempotent
    assert GuestAction.select().count() == 1


def test_item3_guest_place_is_held_until_confirmed_by_post_then_expires(no_csrf, client, seed, frozen_clock):
    from datetime import timedelta

    from test_events import make_event

    from portal.events.models import Event, Registration
    from portal.events.tokens import cancel_token
    from portal.models import OutboxMessage

    event = make_event(capacity=1)
    spam = "Hai vinto un buono! Ritiralo su https://evil.example/claim"
    assert _guest_post(client, event, name=spam, email="victim@example.net").status_code == 303
    vera = _guest_post(client, event, address="10.0.0.2", name="Persona Vera", email="vera@example.org")
    assert vera.status_code == 303
    first, second = Registration.select().order_by(Registration.id)
    assert (first.status, second.status) == ("confirmed", "waitlist") and first.unconfirmed
    # the public page counts the held seat as taken
    assert "Completo" in client.get(f"/events/{event.id}").get_data(as_text=True)
    # the mail to an address nobody proved carries only fixed text and the staff's title
    mail = OutboxMessage.get(OutboxMessage.to_address == "victim@example.net")
    assert "evil.example" not in mail.body + mail.subject and "Hai vinto" not in mail.body
    assert "Ginnastica dolce" in mail.subject and "/events/registration/" in mail.body
    # opening the link never writes; the POST behind its button confirms
    link = f"/events/registration/{cancel_token(second)}"
    assert "Confermo" in client.get(link).get_data(as_text=True)
    assert Registration.get_by_id(second.id).unconfirmed
    assert client.post(f"{link}/confirm").status_code == 303
    assert not Registration.get_by_id(second.id).unconfirmed
    # nobody confirms the first place: after the window the job frees it and the waitlist moves up
    frozen_clock.shift(timedelta(minutes=121))
    name = "events-expire-unconfirmed-guests"
    assert run_job(client.application, name) == 1 and run_job(client.application, name) == 0  # idempotent
    assert Registration.get_by_id(first.id).status == "cancelled"
    assert Registration.get_by_id(second.id).status == "confirmed" and Event.get_by_id(event.id).taken == 1
    frozen_clock.shift(timedelta(hours=30))
    assert run_job(client.application, name) == 0 and Registration.get_by_id(second.id).status == "confirmed"


def test_item3_phone_only_guest_is_on_the_call_list_and_staff_confirm(no_csrf, client, seed, auth, frozen_clock):
    from datetime import timedelta

    from test_events import make_event

    from portal.events.models import Registration

    event = make_event(capacity=3, days=5)
    response = _guest_post(client, event, name="Karim Mansour", phone="333 765 4321")
    assert response.status_code == 303 and response.headers["Location"].endswith("via=phone")
    assert _guest_post(client, event, address="10.0.0.5", name="Jun Li", phone="347 111 2222").status_code == 303
    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("faenza@staff.binari.example")
    calls = client.get("/staff/phone?area=events").get_data(as_text=True)  # the one phone list
    assert "Karim Mansour" in calls and "da confermare per telefono" in calls
    karim = Registration.get(Registration.name == "Karim Mansour")
    assert client.post(f"/staff/events/registrations/{karim.id}/confirm", data={"back": "calls"}).status_code == 303
    assert not Registration.get_by_id(karim.id).unconfirmed
    assert "Karim Mansour" not in client.get("/staff/phone?area=events").get_data(as_text=True).split("<h1>", 1)[1]
    # Visconti staff cannot confirm Faenza's guests
    jun = Registration.get(Registration.name == "Jun Li")
    auth.logout()
    auth.login("visconti@staff.binari.example")
    assert client.post(f"/staff/events/registrations/{jun.id}/confirm").status_code == 403
    # Jun is never called: after the phone window the seat is freed, and Jun stays on the list to be told
    frozen_clock.shift(timedelta(hours=25))
    assert run_job(client.application, "events-expire-unconfirmed-guests") == 1
    jun = Registration.get_by_id(jun.id)
    assert jun.status == "cancelled" and jun.call_reason == "expired"
    auth.logout()
    auth.login("faenza@staff.binari.example")
    assert "Jun Li" in client.get("/staff/phone?area=events").get_data(as_text=True)


def test_item3_duplicate_contact_gets_the_same_answer_and_the_mail_says_it(no_csrf, client, seed):
    from test_events import make_event

    from portal.events.models import Registration
    from portal.models import OutboxMessage

    event = make_event(capacity=5)
    first = _guest_post(client, event, name="Maria", email="maria.rossi@example.org")
    again = _guest_post(client, event, address="10.9.9.9", name="Curioso", email="Maria.Rossi@example.org")
    assert (first.status_code, first.headers["Location"]) == (again.status_code, again.headers["Location"])
    # The same page, but for the CSRF token, which carries the second it was signed in.
    tokens = re.compile(r'(name="csrf_token" value="|value="|"X-CSRFToken": ")[\w.-]{40,}"')
    pages = [tokens.sub(r'\1"', client.get(r.headers["Location"]).get_data(as_text=True)) for r in (first, again)]
    assert pages[0] == pages[1]
    assert Registration.select().count() == 1
    mails = list(OutboxMessage.select().where(OutboxMessage.to_address == "maria.rossi@example.org"))
    assert len(mails) == 2 and "già iscritt" in mails[1].subject + mails[1].body and "Curioso" not in mails[1].body


def test_item3_account_holder_wins_over_a_guest_with_her_address(no_csrf, client, seed, auth):
    from test_events import make_event

    from portal.events.models import Event, Registration
    from portal.events.services import confirm_registration

    event = make_event(capacity=1)
    assert _guest_post(client, event, name="Squatter", email="wei@binari.example").status_code == 303
    client.application.config["WTF_CSRF_ENABLED"] = False
    auth.login("wei@binari.example")
    assert client.post(f"/events/{event.id}/register").status_code == 303
    squat, wei = Registration.select().order_by(Registration.id)
    assert squat.status == "cancelled" and wei.status == "confirmed" and wei.user_id is not None
    assert Event.get_by_id(event.id).taken == 1
    assert "Sei iscritta/o" in client.get(f"/events/{event.id}").get_data(as_text=True)
    # a guest row she confirmed herself (her address, proved) becomes her account's registration
    other = make_event(capacity=2, title="Altro corso")
    auth.logout()
    _guest_post(client, other, name="Wei", email="wei@binari.example")
    confirm_registration(Registration.get(Registration.event == other.id))
    auth.login("wei@binari.example")
    assert client.post(f"/events/{other.id}/register").status_code == 303
    rows = list(Registration.select().where(Registration.event == other.id))
    assert len(rows) == 1 and rows[0].user_id == wei.user_id and Event.get_by_id(other.id).taken == 1


def test_item3_volunteer_guest_expires_and_duplicate_is_neutral(no_csrf, client, seed, frozen_clock):
    from datetime import timedelta

    from test_volunteer import guest

    from portal.models import OutboxMessage
    from portal.volunteer.models import Opportunity, Shift, Signup

    site = seed["sites"]["faenza"]
    opp = Opportunity.create(site=site, title="Spesa solidale", activity="food", description="d")
    start = utcnow_plus(days=3)
    shift = Shift.create(opportunity=opp, starts_at=start, ends_at=start.replace(hour=start.hour + 2), capacity=1)
    first = guest(client, shift, name="Spam https://evil.example", phone="", email="someone@example.org")
    assert first.status_code == 303, first.get_data(as_text=True)
    # (the shift is full now: a stranger and the same person both see "full"; asking for the waitlist:)
    again = guest(client, shift, name="Curioso", phone="", email="someone@example.org", waitlist="1")
    assert first.headers["Location"] == again.headers["Location"]
    assert Signup.select().count() == 1
    bodies = " ".join(m.body for m in OutboxMessage.select())
    assert "evil.example" not in bodies and "Curioso" not in bodies and "già iscritt" in bodies
    assert guest(client, shift, name="In coda", phone="", email="coda@example.org", waitlist="1").status_code == 303
    from portal.volunteer.services import confirm_guest

    confirm_guest(Signup.get(Signup.email == "coda@example.org"))  # she opened her link and pressed the button
    frozen_clock.shift(timedelta(minutes=125))
    assert run_job(client.application, "volunteer-expire-unconfirmed-guests") >= 1
    statuses = {s.email: s.status for s in Signup.select()}
    assert statuses == {"someone@example.org": "cancelled", "coda@example.org": "active"}
    assert Shift.get_by_id(shift.id).taken == 1


def test_item9_a_mail_failure_never_breaks_the_registration(no_csrf, client, seed):
    from conftest import free_port
    from test_events import make_event

    from portal.events.models import Event, Registration
    from portal.models import OutboxMessage

    client.application.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)  # refused
    event = make_event(title=NASTY_TITLE, capacity=3)
    response = _guest_post(client, event, name="Lia", email="lia@example.org")
    assert response.status_code == 303
    assert Registration.select().count() == 1 and Event.get_by_id(event.id).taken == 1
    message = OutboxMessage.get(OutboxMessage.to_address == "lia@example.org")
    assert message.sent_at is None and "\n" not in message.subject  # kept in the outbox (with the error), for staff


@pytest.fixture
def five_per_client(app):
    """The live server below starts with a guest limit of 5 per client address (read from the app's settings)."""
    app.config["GUEST_LIMIT_PER_CLIENT"] = 5


@pytest.fixture
def five_per_client_pg(pg_app):
    pg_app.config["GUEST_LIMIT_PER_CLIENT"] = 5


def test_item3_guest_limit_holds_across_workers_at_a_live_server(five_per_client, live_server, seed):
    _limit_burst(live_server)


@pytest.mark.xdist_group("postgres")
def test_item3_guest_limit_holds_across_workers_on_postgres(five_per_client_pg, pg_live_server):
    from portal import demo

    demo.load_core()
    _limit_burst(pg_live_server)


def _limit_burst(live_server):
    import threading

    import requests
    from conftest import assert_statuses, csrf_token_from
    from test_events_live import make_event

    from portal.events.models import Registration
    from portal.guests import GuestAction

    event = make_event(capacity=50)
    url = f"{live_server.url}/events/{event.id}"
    people = 12
    sessions, tokens = [], []
    for _i in range(people):
        session = requests.Session()
        page = session.get(url, timeout=30, headers={"Connection": "close"})
        sessions.append(session)
        tokens.append(csrf_token_from(page.text))
    barrier = threading.Barrier(people)
    results = [None] * people

    def attempt(i):
        barrier.wait()
        data = {"csrf_token": tokens[i], "name": f"Bot {i}", "email": f"bot{i}@example.org", "phone": ""}
        results[i] = sessions[i].post(f"{url}/register", data=data, timeout=60, allow_redirects=False)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 4 workers x 4 threads, one client address: the database lets exactly five through
    assert_statuses([r for r in results if r is not None], live_server, expected={303: 5, 429: 7})
    assert Registration.select().where(Registration.event == event.id).count() == 5
    assert GuestAction.select().count() == 5
