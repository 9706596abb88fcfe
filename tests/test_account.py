"""The member's page, the membership card PDF, the language switch."""

import subprocess

import pytest

from portal.models import User


def test_account_requires_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=/account" in response.headers["Location"]


def test_account_page_shows_code_and_forms(client, seed, auth):
    auth.login()
    html = client.get("/account").get_data(as_text=True)
    user = User.get(User.email == "maria@binari.example")
    assert user.member_code in html
    assert 'action="/logout"' in html and 'action="/account/details"' in html


def test_membership_card_pdf_holds_member_code(client, seed, auth, tmp_path):
    auth.login()
    response = client.get("/account/card.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    user = User.get(User.email == "maria@binari.example")
    assert user.member_code in text and "Maria Rossi" in text


def test_update_details_validates_and_refuses_taken_email(client, seed, auth):
    auth.login()
    response = client.post(
        "/account/details",
        data={"name": "Maria R.", "email": "wei@binari.example", "phone": "", "current_password": "binari2026"},
    )
    assert response.status_code == 422
    assert "Esiste già un account" in response.get_data(as_text=True)
    data = {"name": "Maria R.", "email": "", "phone": "347 000 1111"}
    response = client.post("/account/details", data=data)  # the e-mail changes: the password is asked
    assert response.status_code == 422 and "scrivi la password attuale" in response.get_data(as_text=True)
    response = client.post("/account/details", data={**data, "current_password": "binari2026"})
    assert response.status_code == 302
    user = User.get(User.name == "Maria R.")
    assert user.email is None and user.phone == "+393470001111"


def test_change_password_needs_current_one(client, seed, auth):
    auth.login()
    response = client.post(
        "/account/password",
        data={"current_password": "nope", "password": "girasole-blu-7", "password_confirm": "girasole-blu-7"},
    )
    assert response.status_code == 422
    assert "La password attuale non è corretta." in response.get_data(as_text=True)


def test_language_switch_for_visitor_and_member(client, seed, auth):
    assert 'lang="it"' in client.get("/").get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": "/sites/faenza"})
    assert response.status_code == 302 and response.headers["Location"] == "/sites/faenza"
    html = client.get("/sites/faenza").get_data(as_text=True)
    assert 'lang="en"' in html and "How to get here" in html and "Opening hours" in html
    auth.login()
    client.post("/language", data={"lang": "en", "next": "https://evil.example"})
    assert User.get(User.email == "maria@binari.example").language == "en"
    assert "My account" in client.get("/account").get_data(as_text=True)
    client.post("/language", data={"lang": "xx"})  # unknown language: ignored
    assert User.get(User.email == "maria@binari.example").language == "en"


def test_browser_language_is_honoured(client, seed):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in html
    html = client.get("/", headers={"Accept-Language": "ar,fr;q=0.5"}).get_data(as_text=True)
    assert 'lang="it"' in html


def test_dates_are_italian_style_in_rome_time(app):
    from datetime import datetime

    from flask_babel import force_locale

    with app.test_request_context("/"):
        with force_locale("it"):
            # 17:30 UTC on 5 December is 18:30 in Rome (winter time)
            text = app.jinja_env.filters["datetime_long"](datetime(2026, 12, 5, 17, 30))
    assert text == "sabato 5 dicembre 2026, 18:30"


@pytest.mark.parametrize("path", ["/account", "/account/card.pdf"])
def test_member_pages_need_login(client, path):
    assert client.get(path).status_code == 302


def test_export_my_data(client, seed, auth):
    auth.login()
    response = client.get("/account/export.json")
    assert response.status_code == 200
    data = response.json
    assert data["account"]["email"] == "maria@binari.example"
    assert "password" not in str(data).lower()


def test_delete_my_account(client, seed, auth):
    auth.login()
    user = User.get(User.email == "maria@binari.example")
    response = client.post("/account/delete", data={"delete-password": "wrong", "delete-confirm": "y"})
    assert response.status_code == 422
    assert "La password non è corretta." in response.get_data(as_text=True)
    response = client.post("/account/delete", data={"delete-password": "binari2026"})
    assert response.status_code == 422  # the box must be ticked
    response = client.post("/account/delete", data={"delete-password": "binari2026", "delete-confirm": "y"})
    assert response.status_code == 302
    gone = User.get_by_id(user.id)
    assert gone.email is None and gone.phone is None and gone.name == "Account cancellato"
    assert not gone.is_active
    assert auth.login("maria@binari.example", "binari2026").status_code == 422
