"""Installable and usable offline: the web app manifest, the service worker, the offline page.

The worker (`/sw.js`, served from the root so its scope is the whole site) keeps only two pages
for offline use, the membership card (`/account/tessera`, with its QR code) and "Le mie cose"
(`/account`), plus the static files and a fallback page without personal data. It caches nothing
else: only same-origin GETs of those pages, network first, so online the page is always fresh.
When such a page answers with a redirect (logged out), and on logout (`Clear-Site-Data`), the
cached copies go. Only those two pages load the small script that registers it
(`static/sw-register.js`); every other page carries no script for it.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _

from .i18n import html_lang, text_direction
from .templating import STATIC, static_url

bp = Blueprint("pwa", __name__)

THEME_COLOUR = "#0a5a9c"  # the favicon's blue, the header's --brand
#: The pages kept for offline use (endpoints): no other page is ever cached.
OFFLINE_PAGES = ("account.card_page", "account.index")
#: Static files fetched when the worker installs (the offline page and the two pages need them).
PRECACHE_STATIC = ("style.css", "vendor/htmx.min.js", "a11y.js", "sw-register.js", "favicon.svg")


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest: name, icons, start page, colours, language and direction."""
    body = {
        "id": url_for("account.index"),
        "name": "Binari – Kaleidoscopi Metropolitani",
        "short_name": "Binari",
        "description": _("La tessera e i tuoi impegni nei centri Binari, anche senza connessione."),
        "start_url": url_for("account.index"),
        "scope": url_for("sites.home"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "lang": html_lang(),
        "dir": text_direction(),
        "icons": [
            {"src": static_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static_url("icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def worker_version() -> str:
    """Changes whenever the worker's code or a precached static file changes (a new cache)."""
    digest = hashlib.sha256((STATIC.parent / "templates" / "pwa" / "sw.js").read_bytes())
    for name in PRECACHE_STATIC:
        digest.update(static_url(name).encode())
    digest.update(url_for("pwa.offline").encode())
    digest.update(url_for("auth.logout").encode())
    return digest.hexdigest()[:12]


@bp.route("/sw.js")
def service_worker():
    """The service worker, from the root so that its scope covers the account pages."""
    body = render_template(
        "pwa/sw.js",
        version=worker_version(),
        pages=[url_for(endpoint) for endpoint in OFFLINE_PAGES],
        offline=url_for("pwa.offline"),
        static_prefix=url_for("static", filename=""),
        precache=[static_url(name) for name in PRECACHE_STATIC],
        logout=url_for("auth.logout"),
    )
    response = current_app.response_class(body, mimetype="text/javascript")
    # The browser checks for a new worker at each visit; never serve it from a cache.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def offline():
    """What the worker shows for any other page when there is no connection (nothing personal)."""
    return render_template("pwa/offline.html")
