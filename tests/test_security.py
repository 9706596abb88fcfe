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
