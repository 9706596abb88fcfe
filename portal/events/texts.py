"""Events in several languages: staff write a translation of the title and description
(`EventText`); pages, feeds and flyers read in a language other than Italian show it.

`localize(events)` swaps the text on the loaded instances, for read-only answers (GET pages,
feeds, PDFs); such an instance refuses to be saved, so a translation never overwrites the Italian.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _

from portal.clock import utcnow
from portal.db import database
from portal.refusals import Refusal

from .models import Event, EventText


def other_languages() -> list[str]:
    """The interface languages a translation can be written in (all but Italian, the source)."""
    return [code for code in current_app.config["LANGUAGES"] if code != "it"]


def localize(events: Iterable[Event], language: str | None = None) -> list[Event]:
    """The events, with title and description in `language` (default: the page's) where staff wrote one."""
    from portal.i18n import current_lang

    events = list(events)
    language = language or current_lang()
    by_id = {event.id: event for event in events if event is not None}
    if language == "it" or not by_id:
        return events
    query = EventText.select().where(EventText.event.in_(list(by_id)) & (EventText.language == language))
    for text in query:
        event = by_id[text.event_id]
        event.title = text.title
        if text.description:
            event.description = text.description
        event.shown_language = language
    return events


def localize_one(event: Event, language: str | None = None) -> Event:
    return localize([event], language)[0]


def save_text(event: Event, language: str, title: str, description: str) -> EventText:
    """Add or replace the translation of `event` into `language`; the event's stamp moves, so
    flyers, programmes and feeds are rebuilt."""
    if language not in other_languages():
        raise Refusal(_("Scegli una lingua."), field="language")
    with database().atomic():
        text = EventText.get_or_none((EventText.event == event.id) & (EventText.language == language))
        if text is None:
            text = EventText(event=event.id, language=language)
        text.title, text.description, text.updated_at = title, description, utcnow()
        text.save()
        Event.update(updated_at=utcnow()).where(Event.id == event.id).execute()
    return text


def delete_text(event: Event, language: str) -> None:
    with database().atomic():
        EventText.delete().where((EventText.event == event.id) & (EventText.language == language)).execute()
        Event.update(updated_at=utcnow()).where(Event.id == event.id).execute()
