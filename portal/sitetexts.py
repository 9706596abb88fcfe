"""A centre and its services in several languages: staff write a translation of the centre's
summary and directions (`SiteText`) and of each service's name, description and schedule
(`ServiceText`); the home page and the centre page read in another language show it.

`localize(sites, services)` swaps the text on the loaded instances, for read-only answers (GET
pages); such an instance refuses to be saved, so a translation never overwrites the Italian.
An empty translated field keeps the Italian for that part.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _

from .clock import utcnow
from .db import database
from .models import Service, ServiceText, Site, SiteText
from .refusals import Refusal

SITE_FIELDS = ("summary", "how_to_get_there")
SERVICE_FIELDS = ("name", "description", "schedule")


def other_languages() -> list[str]:
    """The interface languages a translation can be written in (all but Italian, the source)."""
    return [code for code in current_app.config["LANGUAGES"] if code != "it"]


def localize(sites: Iterable[Site], services: Iterable[Service] = (), language: str | None = None) -> None:
    """Show the centres' and services' text in `language` (default: the page's) where staff wrote one."""
    from .i18n import current_lang

    language = language or current_lang()
    if language == "it":
        return
    _swap(sites, SiteText, SiteText.site, "site_id", SITE_FIELDS, language)
    _swap(services, ServiceText, ServiceText.service, "service_id", SERVICE_FIELDS, language)


def _swap(objects, text_model, key_field, key_attr, fields, language):
    by_id: dict[int, list] = {}
    for obj in objects:
        if obj is not None:
            by_id.setdefault(obj.id, []).append(obj)
    if not by_id:
        return
    query = text_model.select().where(key_field.in_(list(by_id)) & (text_model.language == language))
    for text in query:
        for obj in by_id[getattr(text, key_attr)]:
            for name in fields:
                if getattr(text, name):
                    setattr(obj, name, getattr(text, name))
            obj.shown_language = language


def texts_of(site: Site, language: str) -> tuple[SiteText | None, dict[int, ServiceText]]:
    """The centre's translation into `language` and its services' (by service id), as stored."""
    site_text = SiteText.get_or_none((SiteText.site == site.id) & (SiteText.language == language))
    service_texts = {
        text.service_id: text
        for text in ServiceText.select()
        .join(Service)
        .where((Service.site == site.id) & (ServiceText.language == language))
    }
    return site_text, service_texts


def languages_done(site: Site) -> set[str]:
    """The languages in which staff wrote something for the centre or one of its services."""
    done = {text.language for text in SiteText.select(SiteText.language).where(SiteText.site == site.id)}
    done |= {
        text.language for text in ServiceText.select(ServiceText.language).join(Service).where(Service.site == site.id)
    }
    return done


def save_texts(
    site: Site, language: str, site_values: dict[str, str], service_values: dict[int, dict[str, str]]
) -> None:
    """Add, replace or (all fields empty) remove the translation of the centre and its services
    into `language`, all at once. The Italian is never touched."""
    if language not in other_languages():
        raise Refusal(_("Scegli una lingua."), field="language")
    own = {service.id for service in Service.select(Service.id).where(Service.site == site.id)}
    with database().atomic():
        _store(SiteText, {"site": site.id}, language, site_values, SITE_FIELDS)
        for service_id, values in service_values.items():
            if service_id in own:  # another centre's service is never touched from here
                _store(ServiceText, {"service": service_id}, language, values, SERVICE_FIELDS)


def _store(text_model, key, language, values, fields):
    ((field_name, owner_id),) = key.items()
    where = (getattr(text_model, field_name) == owner_id) & (text_model.language == language)
    values = {name: (values.get(name) or "").strip() for name in fields}
    if not any(values.values()):
        text_model.delete().where(where).execute()
        return
    # One statement, so two people saving the same language at once never meet the unique index.
    values["updated_at"] = utcnow()
    owner = getattr(text_model, field_name)
    text_model.insert(language=language, **key, **values).on_conflict(
        conflict_target=[owner, text_model.language], update={getattr(text_model, n): v for n, v in values.items()}
    ).execute()
