"""The same code on PostgreSQL: migrations, demo data, accounts, pages."""

import re

import pytest

from portal.db import database, is_sqlite
from portal.schema import all_models, schema_diff

pytestmark = pytest.mark.xdist_group("postgres")


def test_migrations_and_demo_on_postgres(pg_app):
    assert not is_sqlite()
    models = all_models()
    assert not schema_diff(database().obj, models)
    runner = pg_app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    client = pg_app.test_client()
    for path in ["/", "/sites/faenza", "/sites/erlembaldo", "/sites/visconti", "/healthz", "/login", "/register"]:
        assert client.get(path).status_code == 200, path
    # every page an area links from the home page answers on PostgreSQL too
    from portal.areas import tiles

    with pg_app.test_request_context("/"):
        endpoints = [tile.endpoint for tile in tiles()]
    for endpoint in endpoints:
        with pg_app.test_request_context("/"):
            from flask import url_for

            path = url_for(endpoint)
        assert client.get(path).status_code == 200, path


def test_accounts_on_postgres(pg_app):
    client = pg_app.test_client()
    response = client.post(
        "/register",
        data={
            "name": "Pg Persona",
            "email": "PG@example.org",
            "phone": "",
            "password": "postgres1",
            "password_confirm": "postgres1",
        },
    )
    assert response.status_code == 200  # an e-mail sign-up is confirmed by the mailed link
    from portal.models import OutboxMessage

    mail = OutboxMessage.get(OutboxMessage.to_address == "pg@example.org")
    link = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", mail.body).group(1)
    assert client.post(link).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"identifier": "pg@example.org", "password": "postgres1"}).status_code == 302
    assert client.get("/account/card.pdf").data.startswith(b"%PDF")
    duplicate = client.post(
        "/register",
        data={
            "name": "Altro",
            "email": "pg@example.org",
            "phone": "",
            "password": "postgres1",
            "password_confirm": "postgres1",
        },
    )
    assert duplicate.status_code in (200, 302)  # logged in -> redirected; else the same "check your mail" page
