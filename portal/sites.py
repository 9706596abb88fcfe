"""Home page and the page of each centre; staff write the centre's texts in other languages."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from playhouse.flask_utils import get_object_or_404

from . import areas
from .auth import require_manage, staff_required
from .clock import now_local, today_local
from .forms import site_texts_form
from .i18n import html_lang, text_direction
from .models import Service, Site, open_status
from .pagecache import public_page
from .refusals import Refusal
from .rendering import render
from .sitetexts import languages_done, localize, other_languages, save_texts, texts_of

bp = Blueprint("sites", __name__)


@bp.route("/")
@public_page
def home():
    """Home: the three centres, what they offer, how to reach them, every service."""
    sites = list(Site.ordered())
    services = {}
    every_service = list(Service.select().order_by(Service.position, Service.name))
    localize(sites, every_service)
    for service in every_service:
        services.setdefault(service.site_id, []).append(service)
    return render(
        "sites/home.html", sites=sites, services=services, tiles=areas.tiles(), sections=areas.home_sections()
    )


@bp.route("/sites/<slug>")
@public_page
def site(slug):
    """One centre: services, opening hours, contacts, how to get there."""
    site = get_object_or_404(Site, Site.slug == slug)
    services = list(site.services.order_by(Service.position))
    localize([site], services)
    is_open, change = open_status(site, now_local())
    return render(
        "sites/site.html",
        site=site,
        is_open=is_open,
        change=change,
        today=today_local(),
        sections=areas.site_sections(site),
        services=services,
        hours=site.opening_hours_by_day(),
        rooms=list(site.rooms),
    )


def _service_values(form, services):
    return {s.id: {n: form[f"s{s.id}_{n}"].data for n in ("name", "description", "schedule")} for s in services}


def _render_texts(site, services, form, language, refusal=None, status=200):
    if language:  # what staff type is in the chosen language (screen readers, right-to-left)
        for f in form:
            if f.type not in ("HiddenField", "CSRFTokenField"):
                f.render_kw = {"lang": html_lang(language), "dir": text_direction(language)}
    return render(
        "sites/texts.html",
        site=site,
        services=services,
        form=form,
        language=language,
        languages=other_languages(),
        done=languages_done(site),
        refusal=refusal,
        status=status,
    )


@bp.route("/staff/sites/<slug>/languages", methods=["GET", "POST"])
@staff_required
def staff_texts(slug):
    """The centre's summary, directions and services in other languages: readers in those languages see them."""
    site = get_object_or_404(Site, Site.slug == slug)
    require_manage(site)
    services = list(site.services.order_by(Service.position, Service.name))
    form_class = site_texts_form(services)
    if request.method == "GET":
        language = request.args.get("language")
        language = language if language in other_languages() else other_languages()[0]
        site_text, service_texts = texts_of(site, language)
        form = form_class(formdata=None, obj=site_text, language=language)
        for service in services:
            text = service_texts.get(service.id)
            for name in ("name", "description", "schedule"):
                form[f"s{service.id}_{name}"].data = getattr(text, name) if text else ""
        return _render_texts(site, services, form, language)
    form = form_class()
    language = form.language.data if form.language.data in other_languages() else None
    if not form.validate():
        return _render_texts(site, services, form, language, status=422)
    site_values = {"summary": form.summary.data, "how_to_get_there": form.how_to_get_there.data}
    try:
        save_texts(site, form.language.data, site_values, _service_values(form, services))
    except Refusal as refusal:
        return _render_texts(site, services, form, language, refusal=refusal, status=refusal.status)
    flash(_("Traduzione salvata."), "success")
    return redirect(url_for(".staff_texts", slug=site.slug, language=form.language.data), 303)
