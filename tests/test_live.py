"""Against a real gunicorn: committed data survives a killed server; the browser path
(register, log in, reach a centre page) works at 360x640 with JavaScript on and off."""

import os
import signal

import pytest
import requests
from conftest import csrf_token_from

from portal.models import User


def test_committed_signup_survives_killed_server(live_server, seed):
    session = requests.Session()
    token = csrf_token_from(session.get(live_server.url + "/register").text)
    response = session.post(
        live_server.url + "/register",
        allow_redirects=False,
        data={
            "csrf_token": token,
            "name": "Durevole",
            "email": "",
            "phone": "3289998877",
            "password": "resiste-al-kill9",
            "password_confirm": "resiste-al-kill9",
        },
    )
    assert response.status_code == 302
    # SIGKILL the master and its workers: no clean shutdown, no checkpoint.
    os.kill(live_server.process.pid, signal.SIGKILL)
    live_server.process.wait(timeout=10)
    os.system(f"pkill -KILL -f 'bind 127.0.0.1:{live_server.url.rsplit(':', 1)[1]}' >/dev/null 2>&1")
    user = User.get_or_none(User.phone == "+393289998877")
    assert user is not None and user.name == "Durevole"


def test_live_server_refuses_post_without_csrf(live_server, seed):
    response = requests.post(
        live_server.url + "/login", data={"identifier": "maria@binari.example", "password": "binari2026"}
    )
    assert response.status_code == 400


@pytest.mark.xdist_group("browser")
def test_register_login_and_reach_a_centre(live_server, seed, phone_page):
    page = phone_page
    suffix = "on" if page.js_enabled else "off"
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "it"
    page.get_by_role("link", name="Registrati").first.click()
    page.get_by_label("Nome e cognome").fill("Prova Browser")
    page.get_by_label("Cellulare").fill(f"33355500{10 if page.js_enabled else 11}")
    page.get_by_label("Password", exact=True).fill("browser-pass1")
    page.get_by_label("Ripeti la password").fill("browser-pass1")
    page.get_by_role("button", name="Crea il mio account").click()
    page.wait_for_url("**/account")
    code = page.locator(".member .code").inner_text()
    assert code.startswith("BN")
    # log out (POST form) and back in with the member code
    page.get_by_role("button", name="Esci da Binari").click()
    page.wait_for_url(live_server.url + "/")
    page.locator(".menu summary").click()  # the phone header folds the menu (a <details>)
    page.get_by_role("link", name="Accedi").first.click()
    page.get_by_label("E-mail, cellulare o codice tessera").fill(code)
    page.get_by_label("Password").fill("wrong-pass")
    page.get_by_role("button", name="Accedi").click()
    # the 422 answer is shown (htmx swaps error responses too) and keeps what was typed
    page.get_by_text("Dati di accesso non corretti").wait_for()
    assert page.get_by_label("E-mail, cellulare o codice tessera").input_value() == code
    page.get_by_label("Password").fill("browser-pass1")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url("**/account")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Centro di Via S. Erlembaldo").click()
    page.wait_for_url("**/sites/erlembaldo")
    assert page.get_by_role("heading", name="Centro di Via S. Erlembaldo").is_visible()
    assert page.get_by_role("link", name="Apri la mappa (OpenStreetMap)").is_visible()
    # nothing wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 if page.js_enabled else True
    page.screenshot(path=f"/tmp/binari-site-{suffix}.png", full_page=False)
    assert User.select().where(User.name == "Prova Browser").count() == 1
