"""Names every template can use."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user

from .validation import display_phone

STATIC = Path(__file__).resolve().parent / "static"
WEEKDAYS = (_l("lunedì"), _l("martedì"), _l("mercoledì"), _l("giovedì"), _l("venerdì"), _l("sabato"), _l("domenica"))
ROLE_LABELS = {"resident": _l("Residente"), "staff": _l("Personale"), "admin": _l("Amministrazione")}
AREA_ENDPOINTS = {"events": "events.agenda", "coworking": "bookings.coworking", "equipment": "bookings.equipment",
                  "library": "library.search", "volunteer": "volunteer.index"}


@lru_cache(maxsize=64)
def _static_version(filename, mtime):
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:10]


def static_url(filename):
    """A static file's URL with a content hash, so it can be cached for a year."""
    path = STATIC / filename
    try:
        version = _static_version(filename, path.stat().st_mtime)
    except FileNotFoundError:
        version = "missing"
    return url_for("static", filename=filename, v=version)


def current_lang():
    return str(get_locale() or "it")


def area_endpoint(area):
    endpoint = AREA_ENDPOINTS.get(area)
    return endpoint if endpoint in current_app.view_functions else None


def area_args(area, site):
    return {"site": site.slug} if area in ("events", "volunteer") else {}


def init_app(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["phone"] = display_phone
    # Static URLs carry a content hash (static_url), so browsers may keep them a year.
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 24 * 3600

    @app.context_processor
    def portal_names():
        from .models import Site

        return {
            "static_url": static_url,
            "current_lang": current_lang,
            "all_sites": lambda: list(Site.ordered()),
            "view_functions": current_app.view_functions,
            "weekday_name": lambda day: WEEKDAYS[day],
            "role_label": lambda role: ROLE_LABELS.get(role, role),
            "area_endpoint": area_endpoint,
            "area_args": area_args,
            "account_links": current_app.extensions.get("binari_account_links", []),
        }
