"""Cross-cutting pages: health check, language switch, privacy, site files, error pages."""

from xml.sax.saxutils import escape

from flask import Blueprint, current_app, make_response, redirect, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import areas
from .db import database
from .i18n import remember_language
from .rendering import render
from .validation import safe_next

bp = Blueprint("main", __name__)


@bp.route("/healthz")
def healthz():
    """200 when the database answers (with the worker's heartbeat), 503 when it does not."""
    from .jobs import worker_status

    try:
        database().execute_sql("SELECT 1").fetchone()
    except Exception:  # any database failure means "unhealthy", whatever the driver
        return {"status": "error", "database": "unreachable"}, 503
    try:
        worker = worker_status()
    except Exception:  # e.g. the schema not yet migrated: the web side is still up
        worker = {"worker": "unknown"}
    return {"status": "ok", "database": "ok", **worker}, 200


@bp.route("/language", methods=["POST"])
def language():
    """Switch the interface language (cookie for a year, and the account), then go back where the person was."""
    from .account import language_choice

    form = language_choice()
    response = redirect(safe_next(request.form.get("next"), url_for("sites.home")), 303)
    return remember_language(response, form.lang.data) if form else response


@bp.route("/privacy")
def privacy():
    """What the portal keeps about people, and why."""
    return render("main/privacy.html")


def _absolute(path):
    """An absolute link from the configured public address (BASE_URL), never from the request's Host."""
    return current_app.config["BASE_URL"] + path


def _text_file(body, mimetype):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/robots.txt")
def robots():
    """What search engines may index: the public pages, not staff, account or form addresses."""
    # The login page may be indexed (people search for "Binari accedi"; Lighthouse's SEO audit asks it):
    # its ?next= variants name one canonical address (auth/login.html).
    lines = ["User-agent: *", "Disallow: /staff/", "Disallow: /account", "Disallow: /register"]
    lines += ["Disallow: /password/", "", f"Sitemap: {_absolute(url_for('.sitemap'))}", ""]
    return _text_file("\n".join(lines), "text/plain")


@bp.route("/sitemap.xml")
def sitemap():
    """The public pages (home, centres, privacy, and each area's) for search engines."""
    from .models import Site

    entries = [(url_for("sites.home"), None), (url_for(".privacy"), None)]
    entries += [(url_for("sites.site", slug=site.slug), None) for site in Site.select().order_by(Site.id)]
    entries += areas.sitemap_entries()
    rows = []
    for path, changed in entries:
        lastmod = f"<lastmod>{changed.strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>" if changed else ""
        rows.append(f"<url><loc>{escape(_absolute(path))}</loc>{lastmod}</url>")
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    return _text_file(body + "\n".join(rows) + "\n</urlset>\n", "application/xml")


@bp.route("/favicon.ico")
def favicon():
    """The icon browsers and link previews ask for at the root (pages also link the SVG one)."""
    response = send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=604800"
    return response


def _error(template, status):
    return render(template, status=status)


@bp.app_errorhandler(400)
def bad_request(error):
    return _error("errors/400.html", 400)


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return render(
        "errors/400.html",
        status=400,
        reason=_(
            "Il modulo è scaduto o non è stato inviato da questa pagina. Torna indietro, ricarica la pagina e riprova."
        ),
    )


@bp.app_errorhandler(403)
def forbidden(error):
    return _error("errors/403.html", 403)


@bp.app_errorhandler(404)
def not_found(error):
    return _error("errors/404.html", 404)


@bp.app_errorhandler(413)
def too_large(error):
    return render("errors/400.html", status=413, reason=_("Il file inviato è troppo grande."))


@bp.app_errorhandler(500)
def server_error(error):
    return _error("errors/500.html", 500)


def _error_words(status):
    """A title and an explanation, in the reader's language, for the statuses without a page of their own."""
    words = {
        405: (
            _("Indirizzo da usare con un modulo"),
            _(
                "Questo indirizzo funziona solo inviando un modulo del sito. "
                "Torna alla pagina precedente e usa il pulsante."
            ),
        ),
        413: (_("File troppo grande"), _("Il file inviato è troppo grande.")),
        422: (_("Dati non validi"), _("Alcuni dati inviati non vanno bene. Torna indietro, controlla e riprova.")),
        429: (
            _("Troppi tentativi"),
            _("Hai fatto troppe richieste in poco tempo. Aspetta qualche minuto e riprova."),
        ),
    }
    return words.get(
        status, (_("Richiesta non valida"), _("Qualcosa nella richiesta non va. Torna indietro e riprova."))
    )


@bp.app_errorhandler(HTTPException)
def other_error(error):
    """Every other HTTP error (405, 422, 429, …) gets the portal's own page, not Werkzeug's."""
    status = error.code or 500
    if status < 400:  # redirects raised as exceptions (e.g. RequestRedirect) keep their own answer
        return error
    title, message = _error_words(status)
    response = render("errors/error.html", status=status, title=title, message=message)
    for header in ("Allow", "Retry-After"):
        value = dict(error.get_headers()).get(header)
        if value:
            response.headers[header] = value
    return response
