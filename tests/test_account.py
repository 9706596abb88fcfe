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


def test_membership_card_is_card_sized_or_an_a4_sheet_with_crop_marks(client, seed, auth, tmp_path):
    """The card is one ID-1 page (85.6 x 54 mm); ?sheet=a4 puts it at real size on one A4 page."""
    auth.login()
    sizes = {}
    for query, name in (("", "card"), ("?sheet=a4", "sheet")):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(client.get(f"/account/card.pdf{query}").data)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "Pages:           1" in info
        sizes[name] = info.split("Page size:")[1].split("pts")[0].strip()
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Maria Rossi" in text and "BINARI" in text
    assert sizes == {"card": "242.646 x 153.071", "sheet": "595.276 x 841.89"}


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
    assert response.status_code == 303 and response.headers["Location"] == "/sites/faenza"
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
    html = client.get("/", headers={"Accept-Language": "fr,ar;q=0.5"}).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in html
    html = client.get("/", headers={"Accept-Language": "fr,de;q=0.5"}).get_data(as_text=True)
    assert 'lang="it" dir="ltr"' in html


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


def test_what_a_signed_in_person_gets_is_never_kept_by_a_shared_cache(client, seed, auth):
    """Interop review item 15: the card PDF and other downloads carried no Cache-Control, and
    signed-in pages said only no-cache."""
    public = client.get("/events")
    assert public.headers["Cache-Control"] == "no-cache"
    auth.login()
    assert client.get("/account").headers["Cache-Control"] == "private, no-cache"
    card = client.get("/account/card.pdf")
    assert card.status_code == 200 and card.headers["Cache-Control"] == "private, no-store"
    assert client.get("/account/export.json").headers["Cache-Control"] == "private, no-store"
    # Views that choose their own keep it (a private calendar feed may be cached by its owner's app).
    assert "max-age=31536000" in client.get("/static/style.css").headers["Cache-Control"]
