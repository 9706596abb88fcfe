"""Sessions: Flask's signed cookies, opened more cheaply, and never on a static file.

Every request opens the session: a page served from the micro-cache (portal/pagecache.py) needs the
visitor's CSRF token from it. Flask builds a new signing serializer for each request (which
serialises an empty dict once to see what kind of serializer it is) and checks the cookie's HMAC and
decodes its JSON again, though a visitor sends the same cookie on every request until it changes:
together about 60 µs of a 470 µs cache hit (bench/README.md). Here the serializer is built once per
set of keys, and a cookie already verified in this process is not verified again: its contents are
kept, by the cookie's exact text, with the time it was signed, and are served only while that
signature would still be accepted (the same age limit Flask gives itsdangerous).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .i18n import vary_also

# Kept only when every value is immutable, so the copy each request gets shares nothing with the kept
# one (an anonymous visitor's session: a CSRF token, a language, Flask-Login's flags).
PLAIN = (str, int, float, bool, type(None))
MAX_COOKIES = 4096  # recent visitors of one worker; a few hundred bytes each


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the serializer and the verified cookies of this process kept.

    A static file never carries the session either: Flask-Login looks at the session after every
    response, and Flask then adds `Vary: Cookie`; on a fingerprinted CSS or JS file, cached for a
    year, that only splits shared caches per visitor (interop review, item 15). A static file never
    needs to set or refresh the cookie."""

    def __init__(self, max_cookies: int = MAX_COOKIES) -> None:
        self.max_cookies = max_cookies
        self.lock = threading.Lock()
        self.serializers: dict[tuple, URLSafeTimedSerializer] = {}
        # (serializer's keys, cookie text) -> (contents, time signed)
        self.verified: OrderedDict[tuple, tuple[dict, int]] = OrderedDict()

    def get_signing_serializer(self, app) -> URLSafeTimedSerializer | None:
        """Flask's serializer for the app's current keys, built once per set of keys."""
        if not app.secret_key:
            return None
        keys = _keys(app)
        serializer = self.serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self.serializers[keys] = serializer  # type: ignore[assignment]
        return serializer

    def open_session(self, app, request) -> SecureCookieSession | None:
        """The session in the request's cookie, verified once per cookie text and worker (see the module's note)."""
        if not app.secret_key:
            return None  # as Flask: no key, no session
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (_keys(app), value)  # a new secret key never accepts a cookie the old one signed
        with self.lock:
            kept = self.verified.get(key)
            if kept is not None:
                self.verified.move_to_end(key)
        if kept is not None:
            contents, signed = kept
            # itsdangerous's own test (TimestampSigner.unsign): neither too old nor from the future.
            if 0 <= int(time.time()) - signed <= max_age:
                return self.session_class(contents)
            return self.session_class()
        serializer = self.get_signing_serializer(app)  # built only to verify a cookie not seen before
        assert serializer is not None  # there is a secret key
        try:
            contents, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(contents, dict) and all(isinstance(item, PLAIN) for item in contents.values()):
            with self.lock:
                self.verified[key] = (dict(contents), int(signed_at.timestamp()))
                while len(self.verified) > self.max_cookies:
                    self.verified.popitem(last=False)
        return self.session_class(contents)

    def save_session(self, app, session, response) -> None:
        """Flask's, except for a static file: it never sets or refreshes the cookie."""
        if request.endpoint == "static":
            return
        if not session.modified and not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            # Flask's answer when nothing is to be written (most requests): only "Vary: Cookie" if the
            # session was read. Without the seven cookie settings Flask reads first and werkzeug's
            # parse-and-rewrite of Vary: 3 % of a page served from the page cache (py-spy, 3 December).
            if session.accessed:
                vary_also(response, "Cookie")
            return
        super().save_session(app, session, response)


def _keys(app) -> tuple:
    """The app's signing keys as Flask passes them to itsdangerous: the fallbacks, then the current one."""
    return (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
