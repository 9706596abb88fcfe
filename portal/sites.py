"""Home page and the page of each centre."""

from flask import Blueprint
from playhouse.flask_utils import get_object_or_404

from . import areas
from .clock import now_local, today_local
from .models import Service, Site, open_status
from .rendering import render

bp = Blueprint("sites", __name__)


@bp.route("/")
def home():
    """Home: the three centres, what they offer, how to reach them, every service."""
    sites = list(Site.ordered())
    services = {}
    for service in Service.select().order_by(Service.position, Service.name):
        services.setdefault(service.site_id, []).append(service)
    return render(
        "sites/home.html", sites=sites, services=services, tiles=areas.tiles(), sections=areas.home_sections()
    )


@bp.route("/sites/<slug>")
def site(slug):
    """One centre: services, opening hours, contacts, how to get there."""
    site = get_object_or_404(Site, Site.slug == slug)
    is_open, change = open_status(site, now_local())
    return render(
        "sites/site.html",
        site=site,
        is_open=is_open,
        change=change,
        today=today_local(),
        sections=areas.site_sections(site),
        services=list(site.services.order_by(Service.position)),
        hours=site.opening_hours_by_day(),
        rooms=list(site.rooms),
    )
