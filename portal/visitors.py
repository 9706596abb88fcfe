"""Who is asking: a signed-in member, or a visitor Flask-Login would not find.

`signed_in()` answers `current_user.is_authenticated` without loading anything when the answer can
only be no. Flask-Login finds a member in two places only, the session's `_user_id` and the
remember-me cookie (the portal registers no request or header loader: tests/test_sessions.py checks),
and loading the anonymous user still costs its session-protection digest and signals, about 20 µs of
a 470 µs page served from the micro-cache (portal/pagecache.py), which asks three times.
"""

from flask import current_app, g, request, session
from flask_login import current_user
from flask_login.config import COOKIE_NAME


def signed_in() -> bool:
    """Whether a member is signed in (current_user.is_authenticated), loading them only if one could be."""
    if "_login_user" not in g and "_user_id" not in session:
        remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
        if remember_cookie not in request.cookies:
            return False
    return bool(current_user) and current_user.is_authenticated
