"""The event calendar: agenda, recurring activities, registration with waitlist,
feeds, flyers and monthly programmes (issue 3)."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

bp = Blueprint("events", __name__)


def init_app(app):
    from . import feeds, staff_views, views  # noqa: F401  (the modules register their routes on bp)

    app.register_blueprint(bp)
    from flask_babel import format_date

    # "novembre 2026": the month's stand-alone name (the calendar's headings).
    app.jinja_env.filters["format_month"] = lambda d: format_date(d, "LLLL y") if d else ""
    app.jinja_env.filters["month_abbr"] = lambda d: format_date(d, "LLL") if d else ""
    app.extensions.setdefault("binari_account_links", []).append(
        ("events.my_registrations", _l("Le mie iscrizioni agli eventi")))
    links = app.extensions.setdefault("binari_staff_links", [])
    links.append(("events.staff_list", _l("Calendario: eventi e iscrizioni")))
    links.append(("events.staff_moderation", _l("Proposte di eventi da approvare")))
    links.append(("events.staff_calls", _l("Persone da chiamare (eventi)")))
