"""Configuration read from the environment.

Every setting a deployment may change has an environment variable of the same
name; nothing secret lives in the code.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

# The service areas this installation offers: packages whose init_app(app) registers an
# `portal.areas.Area`. A deployment may drop one (BINARI_AREAS="portal.events portal.library").
DEFAULT_AREAS = ("portal.events", "portal.bookings", "portal.library", "portal.volunteer", "portal.desks")
# The interface languages: Italian (the source) first, then one catalogue each (portal/i18n.py names them).
LANGUAGES = ("it", "en", "ar", "es", "zh")


# Where `make run` and the tests answer: the base of every absolute link outside production.
DEV_BASE_URL = "http://127.0.0.1:8000"

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
    base_url = os.environ.get("BASE_URL", "").strip().rstrip("/")
    if not base_url:
        if production:
            raise ConfigError(
                "BASE_URL is not set. Binari refuses to start in production without its public address "
                "(e.g. BASE_URL=https://binari.example.org): every link in mail, PDFs and feeds is built from it."
            )
        base_url = DEV_BASE_URL
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"BASE_URL must be an absolute http(s) address, not {base_url!r}.")
    s3_endpoint = os.environ.get("S3_ENDPOINT", "").strip()
    if s3_endpoint and (
        urlsplit(s3_endpoint).scheme not in ("http", "https")
        or not os.environ.get("S3_ACCESS_KEY")
        or not os.environ.get("S3_SECRET_KEY")
    ):
        raise ConfigError(
            "S3_ENDPOINT must be an http(s) address (e.g. http://minio:9000), with S3_ACCESS_KEY and S3_SECRET_KEY set."
        )
    # Production answers only for BASE_URL's host and the hosts listed in TRUSTED_HOSTS (400 otherwise).
    extra_hosts = os.environ.get("TRUSTED_HOSTS", "").replace(",", " ").split()
    trusted_hosts = [parts.hostname, *extra_hosts] if production else None
    return {
        "BINARI_ENV": env,
        "AREAS": tuple(os.environ.get("BINARI_AREAS", " ".join(DEFAULT_AREAS)).split()),
        # The public address of the portal (https://binari.example.org): every absolute link and UID
        # (portal.urls.external_url), never the request's Host header. Required in production.
        "BASE_URL": base_url,
        "TRUSTED_HOSTS": trusted_hosts,
        # Number of reverse proxies in front whose X-Forwarded-For/-Proto are believed (ProxyFix); 0 = none.
        "TRUSTED_PROXY_COUNT": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
        # Strict-Transport-Security max-age, sent when BASE_URL is https (0 turns it off).
        "HSTS_MAX_AGE": int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600))),
        "SECRET_KEY": secret,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'binari.sqlite3'}"),
        # Connections each process keeps open and lends to requests (portal/db.py); 0 = a new one per request.
        # More than the threads (or busy greenlets) of a worker is never needed.
        "DATABASE_POOL_SIZE": int(os.environ.get("DATABASE_POOL_SIZE", "16")),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production or parts.scheme == "https"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production or parts.scheme == "https"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SERVER_NAME": os.environ.get("SERVER_NAME") or None,
        # Mail: with no SMTP_HOST, mail is written to the log and the outbox table only.
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Binari <noreply@binari.example>"),
        # Delivery by the worker (portal.outbox): seconds for connect and each SMTP command, attempts
        # before a message is marked failed (shown to admins), days sent messages are kept.
        "SMTP_TIMEOUT": float(os.environ.get("SMTP_TIMEOUT", "20")),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", "8")),
        "OUTBOX_RETENTION_DAYS": int(os.environ.get("OUTBOX_RETENTION_DAYS", "90")),
        # /healthz says "worker": "stale" when the worker's last tick is older than this.
        "WORKER_STALE_SECONDS": int(os.environ.get("WORKER_STALE_SECONDS", "300")),
        # Logos printed on flyers, programmes and cards (programme, Comune, centre): comma-separated
        # image files, absolute or relative to portal/static, each optionally `=its text alternative`
        # (tagged PDFs need one: "loghi/comune.png=Comune di Milano"). The Comune's logo is the deployment's to add.
        "PRINT_LOGOS": [
            p.strip() for p in os.environ.get("BINARI_PRINT_LOGOS", "brand/binari-mark.svg").split(",") if p.strip()
        ],
        # WeasyPrint draws each PDF in the server's renderer process (portal/pdfrenderer.py), in a child
        # that ends after the document: web workers never load WeasyPrint. Off: in the worker itself.
        # A document still drawing after PDF_RENDER_TIMEOUT seconds is killed and the request fails (500, logged).
        "PDF_RENDER_IN_CHILD": _flag("PDF_RENDER_IN_CHILD", True),
        "PDF_RENDER_TIMEOUT": float(os.environ.get("PDF_RENDER_TIMEOUT", "60")),
        # Logos on the web pages, files under portal/static. The header shows the programme's mark small beside
        # the name (decoration: the name is written next to it); the footer shows each logo with its alt text,
        # written "file|alt text" and comma-separated (programme, Comune, centres). Missing files are left out.
        "HEADER_LOGO": os.environ.get("BINARI_HEADER_LOGO", "brand/binari-mark.svg"),
        "FOOTER_LOGOS": [
            p.strip()
            for p in os.environ.get(
                "BINARI_FOOTER_LOGOS", "brand/binari-mark.svg|Binari – Kaleidoscopi Metropolitani"
            ).split(",")
            if p.strip()
        ],
        # Login throttling: failures allowed per identifier / per address in the window.
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_MAX_FAILURES_PER_IP": int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "30")),
        "LOGIN_WINDOW_MINUTES": int(os.environ.get("LOGIN_WINDOW_MINUTES", "15")),
        # Beyond the allowed failures each further attempt waits twice as long (2, 4, 8 s … up to this).
        "THROTTLE_MAX_DELAY": int(os.environ.get("THROTTLE_MAX_DELAY", "60")),
        # Sign-ups and reset mails per client address / per e-mail address in the window before delays start.
        "REGISTER_MAX_PER_IP": int(os.environ.get("REGISTER_MAX_PER_IP", "5")),
        "RESET_MAX_PER_ADDRESS": int(os.environ.get("RESET_MAX_PER_ADDRESS", "3")),
        "RESET_MAX_PER_IP": int(os.environ.get("RESET_MAX_PER_IP", "10")),
        # Guests (no account) on event registrations and volunteer sign-ups: see portal/guests.py.
        "GUEST_LIMIT_PER_CLIENT": int(os.environ.get("GUEST_LIMIT_PER_CLIENT", "5")),
        "GUEST_LIMIT_PER_TARGET": int(os.environ.get("GUEST_LIMIT_PER_TARGET", "30")),
        "GUEST_LIMIT_WINDOW_MINUTES": int(os.environ.get("GUEST_LIMIT_WINDOW_MINUTES", "60")),
        "GUEST_CONFIRM_MINUTES": int(os.environ.get("GUEST_CONFIRM_MINUTES", "120")),
        "GUEST_PHONE_CONFIRM_HOURS": int(os.environ.get("GUEST_PHONE_CONFIRM_HOURS", "24")),
        "GUEST_ACTIONS_KEPT_HOURS": int(os.environ.get("GUEST_ACTIONS_KEPT_HOURS", "24")),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", str(2 * 3600))),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(12 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": "it",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Rome",
        "LANGUAGES": list(LANGUAGES),
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session: forms filled slowly still submit
        # scrypt in production; tests and the live-test server may ask for a faster one.
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
        # Public pages kept this many seconds for anonymous visitors (portal/pagecache.py); 0 = off.
        # On in production only: tests and a local run see every change at once.
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS", "10" if production else "0")),
        # The longest a page kept on disk with its stamp (an event page) is served again: 0 keeps none.
        "PAGE_STORE_SECONDS": int(os.environ.get("PAGE_STORE_SECONDS", "600" if production else "0")),
        # Several app servers: uploads and the printout cache in one S3-compatible bucket (MinIO or a
        # provider) instead of UPLOAD_DIR; see portal/storage.py. Unset: local disk.
        "S3_ENDPOINT": s3_endpoint,  # http(s)://host:port
        "S3_BUCKET": os.environ.get("S3_BUCKET", "binari"),
        "S3_ACCESS_KEY": os.environ.get("S3_ACCESS_KEY", ""),
        "S3_SECRET_KEY": os.environ.get("S3_SECRET_KEY", ""),
        "S3_REGION": os.environ.get("S3_REGION", "us-east-1"),
        # Help desks: notes and "what it is about" are emptied this many months after the appointment.
        "DESK_NOTE_RETENTION_MONTHS": int(os.environ.get("DESK_NOTE_RETENTION_MONTHS", "12")),
    }
