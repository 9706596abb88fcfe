"""Binari — the portal of BINARI – KALEIDOSCOPI METROPOLITANI (Milano).

`create_app()` builds the Flask application; `wsgi.py` serves it with gunicorn.
"""

import logging
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from . import config as config_module
from .db import flask_db, open_database
from .visitors import signed_in

csrf = CSRFProtect()
htmx = Htmx()
compress = Compress()


def _only_trusted_hosts(wsgi_app, trusted_hosts):
    """A request for a host that is not ours gets a plain 400 before the app sees it (no page is
    rendered, no link built, nothing cached for a forged Host)."""
    from werkzeug.exceptions import BadRequest, SecurityError
    from werkzeug.sansio.utils import get_host

    def guarded(environ, start_response):
        try:
            get_host(
                environ.get("wsgi.url_scheme", "http"),
                environ.get("HTTP_HOST"),
                (environ.get("SERVER_NAME", ""), environ.get("SERVER_PORT", "")),
                trusted_hosts,
            )
        except SecurityError:
            return BadRequest("Unknown host.")(environ, start_response)
        return wsgi_app(environ, start_response)

    return guarded


class Portal(Flask):
    """Flask, told once which of the app's own functions are plain functions.

    Why: Flask asks `inspect.iscoroutinefunction` of every hook and view it calls, on every request:
    13 times for a page served from the micro-cache (portal/pagecache.py), about 13 µs of it. The
    portal has no async function, and a function's kind never changes. The hooks, views and error
    handlers registered by the end of `create_app` are looked up here (`know_plain_functions`);
    anything else (a hook a test adds later, a one-off `after_this_request`) is asked as Flask asks.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plain_functions: dict = {}

    def ensure_sync(self, func):
        """Flask's answer, from `plain_functions` when `func` is one of the app's own."""
        try:
            known = self.plain_functions.get(func)
        except TypeError:  # an unhashable callable: not one of ours
            known = None
        return known if known is not None else super().ensure_sync(func)

    def know_plain_functions(self) -> None:
        """Record Flask's answer for every registered hook, view and error handler (see the class's note)."""
        registered: list = [*self.view_functions.values()]
        for table in (self.before_request_funcs, self.after_request_funcs, self.teardown_request_funcs):
            for functions in table.values():
                registered += functions
        registered += self.teardown_appcontext_funcs
        for by_code in self.error_handler_spec.values():
            for handlers in by_code.values():
                registered += handlers.values()
        self.plain_functions = {func: Flask.ensure_sync(self, func) for func in registered}


def create_app(test_config=None):
    """Create and configure the application."""
    app = Portal(__name__, instance_path=str(config_module.INSTANCE_DIR))
    app.config.update(config_module.from_environment())
    if test_config:
        app.config.update(test_config)
    if app.config.get("TRUSTED_PROXY_COUNT"):
        # X-Forwarded-For/-Proto are believed only from this many proxies in front (the client
        # address for login throttling); without proxies the socket peer is the client.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if app.config.get("TRUSTED_HOSTS"):
        app.wsgi_app = _only_trusted_hosts(app.wsgi_app, app.config["TRUSTED_HOSTS"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO if app.config.get("BINARI_ENV") != "testing" else logging.WARNING)
    for noisy in ("weasyprint", "fontTools"):  # page-by-page progress is not news
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from . import requestlog

    requestlog.init_app(app)  # one line per request, with its X-Request-Id

    # Each request borrows a connection from the pool on its first query and gives it back at the end.
    flask_db._db = open_database(app.config["DATABASE_URL"], app.config.get("DATABASE_POOL_SIZE", 0))
    flask_db.init_app(app)

    from . import robust

    robust.init_app(app)  # bounded <int:> ids, before any rule is added
    htmx.init_app(app)
    from .incoming import PortalRequest

    app.request_class = PortalRequest  # htmx-aware, NUL characters dropped from input
    csrf.init_app(app)
    # Metered phone data: compress HTML, CSS, JS, feeds (gzip; brotli where the browser asks).
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "text/calendar",
            "application/atom+xml",
            "text/csv",
            "image/svg+xml",
        ],
    )
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    from .compressed import CompressedBodies, cache_key

    # Bodies fixed by a key (the calendar feed) are compressed once per worker, not per request.
    app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedBodies)
    app.config.setdefault("COMPRESS_CACHE_KEY", cache_key)
    compress.init_app(app)
    from .compressed import static_files_compressed_once
    from .sessions import CookieSessions

    app.session_interface = CookieSessions()  # static files without cookies; each cookie verified once

    # Registered after Flask-Compress, so it runs before it (after_request hooks run in reverse).
    app.after_request(static_files_compressed_once)
    # htmx sends the token in this header (set on <body> with data-hx-headers).
    app.config.setdefault("WTF_CSRF_HEADERS", ["X-CSRFToken"])

    from . import i18n, templating

    i18n.init_app(app)
    templating.init_app(app)
    from . import a11y, pagecache

    pagecache.init_app(app)  # the anonymous public pages' micro-cache

    a11y.init_app(app)  # text size, accessibility statement, legal notes, CSRF fields without id

    from .auth import login_manager

    login_manager.init_app(app)

    from . import account, auth, main, mythings, pwa, reports, sites, staff

    for module in (main, auth, account, mythings, pwa, sites, staff, reports):
        app.register_blueprint(module.bp)
    from .areas import load_areas

    load_areas(app, app.config["AREAS"])
    from . import phone, reminders

    reminders.init_app(app)
    app.register_blueprint(phone.bp)

    from . import cli

    cli.init_app(app)

    @app.before_request
    def refuse_nul_in_path():
        """A NUL character in an address is never one of ours (and PostgreSQL refuses it)."""
        if "\x00" in request.path:
            from flask import abort

            abort(404)

    # Conservative headers; no third-party anything, so a strict CSP is possible. The same for every
    # response: worked out once here, not on each request.
    constant_headers = [
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'self'; form-action 'self'; base-uri 'self'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ]
    if app.config["BASE_URL"].startswith("https://") and app.config.get("HSTS_MAX_AGE"):
        constant_headers.append(("Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}"))

    @app.after_request
    def security_headers(response):
        """The constant headers, unless the view set its own; Cache-Control by who is asking."""
        present = {name.lower() for name in response.headers.keys()}
        for name, value in constant_headers:
            if name.lower() not in present:
                response.headers.add(name, value)
        if "cache-control" not in present and request.endpoint != "static":
            # What a signed-in person gets is theirs: never kept by a shared cache, and their
            # downloads (card, sign-in sheets, CSV, receipts) not kept at all. Pages stay
            # "no-cache" (not no-store), so the phone's back button still shows them at once.
            member = signed_in()
            # The media type as response.mimetype gives it, without parsing the parameters (~2 µs).
            if response.headers.get("Content-Type", "").partition(";")[0].strip().lower() == "text/html":
                response.headers["Cache-Control"] = "private, no-cache" if member else "no-cache"
            elif member:
                response.headers["Cache-Control"] = "private, no-store"
        return response

    app.know_plain_functions()
    return app
