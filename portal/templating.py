"""Names every template can use."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from . import areas
from .validation import display_phone

STATIC = Path(__file__).resolve().parent / "static"
WEEKDAYS = (_l("lunedì"), _l("martedì"), _l("mercoledì"), _l("giovedì"), _l("venerdì"), _l("sabato"), _l("domenica"))
ROLE_LABELS = {"resident": _l("Residente"), "staff": _l("Personale"), "admin": _l("Amministrazione")}


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


def header_logo():
    """The header's logo URL (HEADER_LOGO under portal/static), or "" when unset or missing."""
    name = current_app.config.get("HEADER_LOGO", "")
    return static_url(name) if name and (STATIC / name).is_file() else ""


def footer_logos():
    """[(url, alt text)] of FOOTER_LOGOS ("file|alt"), files under portal/static; missing files are left out."""
    logos = []
    for entry in current_app.config.get("FOOTER_LOGOS", []):
        name, _bar, alt = entry.partition("|")
        if (STATIC / name.strip()).is_file():
            logos.append((static_url(name.strip()), alt.strip()))
    return logos


def current_lang():
    return str(get_locale() or "it")


def service_url(service, site):
    """The online service a centre's service points at (its `area` key), or None."""
    tile = areas.tile_for_service(service.area)
    if tile is None:
        return None
    return url_for(tile.endpoint, **({"site": site.slug} if tile.per_site else {}))


def data_value(value, words=None):
    """A value of a person's data export, as a person reads it (`words`: stored codes in words)."""
    from datetime import date, datetime

    from flask_babel import format_date, format_datetime
    from flask_babel import gettext as _

    if value is None or value == "":
        return "—"
    if words and isinstance(value, str) and value in words:
        return str(words[value])
    if isinstance(value, bool):
        return _("sì") if value else _("no")
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/y HH:mm")
    if isinstance(value, date):
        return format_date(value, "dd/MM/y")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def init_app(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["data_value"] = data_value
    from .urls import external_url

    app.jinja_env.globals["external_url"] = external_url  # absolute links, from BASE_URL only
    # Static URLs carry a content hash (static_url), so browsers may keep them a year.
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 365 * 24 * 3600

    @app.context_processor
    def portal_names():
        from .models import Site

        return {
            "static_url": static_url,
            "current_lang": current_lang,
            "header_logo": header_logo,
            "footer_logos": footer_logos,
            "all_sites": lambda: list(Site.ordered()),
            "weekday_name": lambda day: WEEKDAYS[day],
            "role_label": lambda role: ROLE_LABELS.get(role, role),
            "service_url": service_url,
            "area_menu": areas.menu_links,
            "account_links": areas.account_links,
            "find_links": areas.find_links,
        }
