"""Cross-cutting pages: health check, language switch, privacy, error pages."""

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .db import database
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
    """Switch the interface language, then go back where the person was."""
    from .account import language_choice

    language_choice()
    return redirect(safe_next(request.form.get("next"), url_for("sites.home")))


@bp.route("/privacy")
def privacy():
    """What the portal keeps about people, and why."""
    return render("main/privacy.html")


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
