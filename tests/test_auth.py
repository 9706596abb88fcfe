"""Registration, login with e-mail / phone / member code, logout, password reset, throttling."""

import re

import pytest

from portal.models import LoginAttempt, OutboxMessage, User


def register(client, **overrides):
    data = {
        "name": "Lucia Bianchi",
        "email": "lucia@example.org",
        "phone": "",
        "password": "segreta123",
        "password_confirm": "segreta123",
    }
    data.update(overrides)
    return client.post("/register", data=data)


def confirm_link(address):
    """The path of the sign-up confirmation link mailed to `address` (built from BASE_URL)."""
    message = OutboxMessage.select().where(OutboxMessage.to_address == address).order_by(OutboxMessage.id.desc()).get()
    return re.search(r"http://127\.0\.0\.1:8000(/register/confirm/\S+)", message.body).group(1)


def test_register_with_email_then_login(client, auth):
    response = register(client)
    # nothing exists until the mailed link is used: the page says "check your mail"
    assert response.status_code == 200 and "Controlla la posta" in response.get_data(as_text=True)
    assert not User.select().where(User.email == "lucia@example.org").exists()
    link = confirm_link("lucia@example.org")
    assert "Attiva il mio account" in client.get(link).get_data(as_text=True)
    assert not User.select().where(User.email == "lucia@example.org").exists()  # a GET never writes
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    assert client.post(link).status_code == 400  # single use
    user = User.get(User.email == "lucia@example.org")
    assert user.role == "resident" and re.fullmatch(r"BN[2-9A-Z]{6}", user.member_code)
    assert user.password_hash != "segreta123" and user.check_password("segreta123")
    auth.logout()
    assert client.get("/account").status_code == 302
    assert auth.login("LUCIA@example.org", "segreta123").status_code == 302
    assert "Lucia Bianchi" in client.get("/account").get_data(as_text=True)


def test_register_with_phone_only_and_login_with_any_format(client, auth):
    response = register(client, email="", phone="333 765 4321")
    assert response.status_code == 302
    user = User.get(User.phone == "+393337654321")
    assert user.email is None
    auth.logout()
    assert auth.login("+39 333 7654321", "segreta123").status_code == 302
    auth.logout()
    assert auth.login("3337654321", "segreta123").status_code == 302
    auth.logout()
    assert auth.login(user.member_code.lower(), "segreta123").status_code == 302


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": ""}, "Scrivi il tuo nome."),
        ({"email": "", "phone": ""}, "Scrivi un indirizzo e-mail oppure un numero di cellulare."),
        ({"email": "not-an-address"}, "Questo indirizzo e-mail non sembra valido."),
        ({"email": "", "phone": "12"}, "Questo numero di cellulare non sembra valido."),
        ({"name": "x" * 121}, "Al massimo 120 caratteri."),
        ({"password": "short", "password_confirm": "short"}, "La password deve avere da 8 a 128 caratteri."),
        ({"password_confirm": "different1"}, "Le due password non coincidono."),
    ],
)
def test_register_bad_input_keeps_input_and_explains(client, overrides, message):
    response = register(client, **overrides)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    if overrides.get("name", "Lucia Bianchi") == "Lucia Bianchi":
        assert 'value="Lucia Bianchi"' in html  # what the person typed comes back
    assert User.select().count() == 0  # nothing half-saved


def test_register_duplicate_email_and_phone(client, auth):
    register(client, phone="3331112222")
    client.post(confirm_link("lucia@example.org"))
    auth.logout()
    client.get("/")  # the flashed messages are shown once
    fresh = register(client, name="Altro", email="nuova@example.org", phone="")
    response = register(client, name="Altro", email="LUCIA@example.org", phone="")
    # the page is the same as for a new address; the mail says "you already have an account"
    assert response.status_code == fresh.status_code == 200
    assert response.get_data(as_text=True).replace("lucia@", "nuova@") == fresh.get_data(as_text=True)
    told = OutboxMessage.select().where(OutboxMessage.to_address == "lucia@example.org").order_by(OutboxMessage.id)
    assert "hai già un account" in told[-1].body and "/register/confirm/" not in told[-1].body
    response = register(client, name="Altro", email="altro@example.org", phone="+39 333 111 2222")
    assert response.status_code == 200
    told = OutboxMessage.get(OutboxMessage.to_address == "altro@example.org")
    assert "già collegato a un altro account" in told.body
    assert User.select().count() == 1


def test_wrong_password_and_unknown_account(client, seed, auth):
    response = auth.login("maria@binari.example", "wrong-password")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Dati di accesso non corretti" in html
    assert 'value="maria@binari.example"' in html
    assert auth.login("nobody@example.org", "whatever1").status_code == 422
    assert auth.login("", "").status_code == 422


def test_login_is_throttled(client, seed, auth, app):
    # however the account is written, the failures add up
    spellings = ["maria@binari.example", "MARIA@binari.example", "  maria@binari.example"]
    for attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        assert auth.login(spellings[attempt % 3], "wrong-password").status_code == 422
    response = auth.login("maria@binari.example", "binari2026")  # even the right one waits now
    assert response.status_code == 429
    assert "Troppi tentativi" in response.get_data(as_text=True)
    LoginAttempt.delete().execute()
    assert auth.login("maria@binari.example", "binari2026").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/staff", "/staff"),
        ("/sites/faenza?x=1", "/sites/faenza?x=1"),
        ("https://evil.example/", "/account"),
        ("//evil.example/x", "/account"),
        ("/\\evil.example", "/account"),
        ("javascript:alert(1)", "/account"),
    ],
)
def test_next_only_redirects_inside_the_site(client, seed, target, expected):
    response = client.post(
        "/login", data={"identifier": "maria@binari.example", "password": "binari2026", "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_page_carries_next(client):
    html = client.get("/login?next=/account/card.pdf").get_data(as_text=True)
    assert 'value="/account/card.pdf"' in html


def test_logout_is_post_only(client, seed, auth):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_password_reset_by_email_link(client, seed, auth):
    response = client.post("/password/forgot", data={"email": "maria@binari.example"})
    assert response.status_code == 200
    message = OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example")
    link = re.search(r"http://127\.0\.0\.1:8000(/password/reset/\S+)", message.body).group(1)
    assert message.sensitive
    assert client.post(link, data={"password": "nuovapass1", "password_confirm": "other"}).status_code == 422
    assert client.post(link, data={"password": "nuovapass1", "password_confirm": "nuovapass1"}).status_code == 302
    auth.logout()
    assert auth.login("maria@binari.example", "binari2026").status_code == 422
    assert auth.login("maria@binari.example", "nuovapass1").status_code == 302
    # single use: the link dies with the old password
    auth.logout()
    assert client.get(link).status_code == 400


def test_password_reset_mail_is_in_the_account_language(client, seed):
    """Asked from an Italian browser, the mail still goes out in the language the account chose."""
    User.update(language="en").where(User.email == "maria@binari.example").execute()
    client.post("/password/forgot", data={"email": "maria@binari.example"}, headers={"Accept-Language": "it"})
    message = OutboxMessage.get(OutboxMessage.to_address == "maria@binari.example")
    assert "password" in message.subject.lower() and "nuova" not in message.subject.lower()


def test_password_reset_unknown_address_says_the_same(client, seed):
    response = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert response.status_code == 200
    assert OutboxMessage.select().count() == 0
    assert client.post("/password/forgot", data={"email": "bad"}).status_code == 422


def test_expired_or_forged_reset_link(client, seed, app):
    from portal.auth import make_reset_token

    user = User.get(User.email == "maria@binari.example")
    token = make_reset_token(user)
    assert client.get("/password/reset/" + token[:-2] + "xx").status_code == 400
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get("/password/reset/" + token).status_code == 400


def test_unauthorized_htmx_request_gets_hx_redirect(client):
    response = client.get("/account", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=/account")


def test_changing_password_ends_other_sessions(app, seed):
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"identifier": "maria@binari.example", "password": "binari2026"})
    response = first.post(
        "/account/password",
        data={"current_password": "binari2026", "password": "altrapass9", "password_confirm": "altrapass9"},
    )
    assert response.status_code == 302
    assert first.get("/account").status_code == 200
    assert second.get("/account").status_code == 302
