"""Configuration read from the environment.

Every setting a deployment may change has an environment variable of the same
name; nothing secret lives in the code.
"""

import os
from pathlib import Path

# The service areas this installation offers: packages whose init_app(app) registers an
# `portal.areas.Area`. A deployment may drop one (BINARI_AREAS="portal.events portal.library").
DEFAULT_AREAS = ("portal.events", "portal.bookings", "portal.library", "portal.volunteer")
# The interface languages: Italian (the source) first, then one catalogue each (portal/i18n.py names them).
LANGUAGES = ("it", "en", "ar", "es", "zh")

INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", Path(__file__).resolve().parent.parent / "instance"))


def _flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a safe start."""


def from_environment():
    """Return the settings dictionary for `create_app`."""
    env = os.environ.get("BINARI_ENV", "production").lower()
    production = env == "production"
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. Binari refuses to start in production without it "
                "(set BINARI_ENV=development for a local run)."
            )
        secret = "dev-only-not-secret"
    return {
        "BINARI_ENV": env,
        "AREAS": tuple(os.environ.get("BINARI_AREAS", " ".join(DEFAULT_AREAS)).split()),
        # The public address of the portal (https://binari.example.org): absolute links and UIDs.
        "BASE_URL": os.environ.get("BASE_URL", "").rstrip("/"),
        "SECRET_KEY": secret,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'binari.sqlite3'}"),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        # Mail: with no SMTP_HOST, mail is written to the log and the outbox table only.
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Binari <noreply@binari.example>"),
        # Login throttling: failures allowed per identifier / per address in the window.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_MAX_FAILURES_PER_IP": int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "30")),
        "LOGIN_WINDOW_MINUTES": int(os.environ.get("LOGIN_WINDOW_MINUTES", "15")),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", str(2 * 3600))),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(12 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": "it",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Rome",
        "LANGUAGES": list(LANGUAGES),
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session: forms filled slowly still submit
        # scrypt in production; tests and the live-test server may ask for a faster one.
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
    }
