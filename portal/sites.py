"""Home page and the page of each centre."""
from flask import Blueprint, abort, current_app

from .models import OpeningHours, Service, Site
from .rendering import render

bp = Blueprint("sites", __name__)


def area_links():
    """Online services that exist in this installation, for the home page and menus."""
    from flask_babel import lazy_gettext as _l

    links = [
        ("events.agenda", _l("Calendario degli eventi"), _l("Cosa succede nei tre centri")),
        ("bookings.coworking", _l("Co-working"), _l("Prenota una postazione in via Visconti")),
        ("bookings.equipment", _l("Prestito audio-video"), _l("Videocamere, microfoni, luci, proiettore")),
        ("library.search", _l("Biblioteca"), _l("Cerca un libro e prenotalo")),
        ("volunteer.index", _l("Volontariato"), _l("Dai una mano nei turni di mutuo aiuto")),
    ]
    return [link for link in links if link[0] in current_app.view_functions]


@bp.route("/")
def home():
    """Home: the three centres, what they offer, how to reach them, every service."""
    sites = list(Site.ordered())
    services = {}
    for service in Service.select().order_by(Service.position, Service.name):
        services.setdefault(service.site_id, []).append(service)
    upcoming = []
    if "events.agenda" in current_app.view_functions:
        from .events.models import upcoming_for_home  # the calendar area provides it
        upcoming = upcoming_for_home()
    return render("sites/home.html", sites=sites, services=services, areas=area_links(), upcoming=upcoming)


@bp.route("/sites/<slug>")
def site(slug):
    """One centre: services, opening hours, contacts, how to get there."""
    site = Site.get_or_none(Site.slug == slug)
    if site is None:
        abort(404)
    return render("sites/site.html", site=site, services=list(site.services.order_by(Service.position)),
                  hours=site.opening_hours_by_day(), rooms=list(site.rooms))
