"""Sessions (portal/sessions.py): a cookie verified once per worker, and never trusted beyond what Flask would."""

from flask import g, request, session


def cookie_of(client, app):
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def opened(app, value):
    """The session the app opens for a request that sends `value` as its session cookie."""
    with app.test_request_context("/", headers={"Cookie": f"session={value}"}):
        return dict(app.session_interface.open_session(app, request))


def signed_cookie(app, **contents):
    """A session cookie the app itself signed now, holding `contents`."""
    with app.test_request_context("/"):
        return app.session_interface.get_signing_serializer(app).dumps(contents)


def test_a_cookie_is_verified_once_then_served_from_the_kept_copy(app):
    value = signed_cookie(app, csrf_token="abc", lang="en")
    kept = app.session_interface.verified
    assert opened(app, value) == {"csrf_token": "abc", "lang": "en"}
    assert len(kept) == 1
    contents = next(iter(kept.values()))[0]
    contents["lang"] = "zh"  # what was kept is what a second request gets, without a new HMAC check
    assert opened(app, value)["lang"] == "zh"


def test_a_forged_cookie_is_refused_even_beside_a_kept_genuine_one(app):
    value = signed_cookie(app, csrf_token="abc")
    assert opened(app, value) == {"csrf_token": "abc"}
    payload, _, signature = value.rpartition(".")
    forged = f"{payload}.{('A' if signature[0] != 'A' else 'B')}{signature[1:]}"
    assert opened(app, forged) == {}
    other_payload = signed_cookie(app, csrf_token="abc", _user_id="1").rsplit(".", 2)[0]
    stamp_and_signature = value.rsplit(".", 2)[1:]
    assert opened(app, ".".join([other_payload, *stamp_and_signature])) == {}


def test_a_kept_cookie_expires_when_flask_would_refuse_it(app, frozen_clock):
    value = signed_cookie(app, csrf_token="abc")
    assert opened(app, value) == {"csrf_token": "abc"}
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    frozen_clock.shift(lifetime - 60)
    assert opened(app, value) == {"csrf_token": "abc"}
    frozen_clock.shift(120)
    assert opened(app, value) == {}


def test_a_new_secret_key_refuses_the_cookies_the_old_one_signed(app):
    value = signed_cookie(app, csrf_token="abc")
    assert opened(app, value) == {"csrf_token": "abc"}
    app.secret_key = "another-secret-key"
    app.config["SECRET_KEY"] = "another-secret-key"
    assert opened(app, value) == {}


def test_a_session_with_a_list_is_never_kept_so_requests_never_share_it(app):
    value = signed_cookie(app, _flashes=[["message", "Fatto."]])
    first = opened(app, value)
    assert first == {"_flashes": [["message", "Fatto."]]}
    assert app.session_interface.verified == {}
    first["_flashes"].append(["message", "altro"])
    assert opened(app, value) == {"_flashes": [["message", "Fatto."]]}


def test_the_session_still_round_trips_through_a_client(app, client):
    app.add_url_rule("/_test/remember", "remember_it", lambda: session.setdefault("note", "uno") or "ok")
    app.add_url_rule("/_test/read", "read_it", lambda: session.get("note", "none"))
    client.get("/_test/remember")
    value = cookie_of(client, app)
    assert client.get("/_test/read").get_data(as_text=True) == "uno"
    assert client.get("/_test/read").get_data(as_text=True) == "uno"  # the kept copy
    assert cookie_of(client, app) == value


def test_flask_login_finds_members_only_in_the_session_and_the_remember_cookie():
    """portal.visitors.signed_in relies on it: a request or header loader would find members elsewhere."""
    from portal.auth import login_manager

    assert login_manager._request_callback is None and login_manager._header_callback is None


def test_signed_in_is_current_users_answer(app, make_user):
    from flask_login import current_user, login_user, logout_user

    from portal.visitors import signed_in

    user = make_user("Signed Person", email="signed@example.org")
    with app.test_request_context("/"):
        assert not signed_in() and "_login_user" not in g  # nothing loaded for nobody
        login_user(user)
        assert signed_in() and current_user.is_authenticated
        logout_user()
        assert not signed_in()


def test_an_unchanged_session_sets_no_cookie_but_still_varies_by_it_as_flask_would(app, client):
    """The fast path of CookieSessions.save_session gives Flask's answer when nothing is to be written."""
    from flask.sessions import SecureCookieSessionInterface

    app.add_url_rule("/_test/write", "write_it", lambda: session.setdefault("note", "uno") or "ok")
    app.add_url_rule("/_test/look", "look_it", lambda: session.get("note", "none"))
    answers = {}
    for name, interface in (("ours", app.session_interface), ("flask", SecureCookieSessionInterface())):
        app.session_interface = interface
        visitor = app.test_client()
        written = visitor.get("/_test/write")
        looked = visitor.get("/_test/look")
        answers[name] = [
            ("Set-Cookie" in r.headers, "Cookie" in r.headers.get("Vary", ""), r.get_data(as_text=True))
            for r in (written, looked)
        ]
    assert answers["ours"] == answers["flask"] == [(True, True, "uno"), (False, True, "uno")]


def test_a_cookie_header_is_parsed_once_and_shared_only_with_the_same_header(app):
    """PortalRequest.cookies: werkzeug's parse, kept per header text; immutable, so safe to share."""
    import pytest
    from werkzeug.http import parse_cookie

    header = 'session=abc.def; lang=en; quoted="a b"'
    with app.test_request_context("/", headers={"Cookie": header}):
        first = request.cookies
    with app.test_request_context("/", headers={"Cookie": header}):
        assert request.cookies is first
    assert first == parse_cookie(header)
    with app.test_request_context("/", headers={"Cookie": "lang=ar"}):
        assert request.cookies.to_dict() == {"lang": "ar"}
    with pytest.raises(TypeError):
        first["lang"] = "zh"  # type: ignore[index]
    long_header = "x=" + "y" * 2000
    with app.test_request_context("/", headers={"Cookie": long_header}):
        assert request.cookies["x"] == "y" * 2000
