"""Drafts and whole series: a draft is deleted, never cancelled (cancelling would make it public as
"Annullato"); a series is published or cancelled in one step; a form sent twice makes one series."""

from __future__ import annotations

from flask_babel import gettext as _
from peewee import IntegrityError

from portal.clock import utcnow
from portal.db import database
from portal.refusals import Refusal

from .models import Event, Registration, Series
from .services import cancel_event


class DraftRefused(Refusal):
    """The rules say no to deleting or cancelling (a published event, people registered)."""


def delete_draft(event: Event, whole_series: bool = False) -> int:
    """Delete a draft (or every draft date of its series, and the series once none is left).

    Returns how many dates were deleted. Only drafts nobody is registered for can go."""
    if event.status != "draft":
        raise DraftRefused(_("Si possono eliminare solo le bozze: un evento pubblicato si annulla."), status=400)
    with database().atomic():
        if whole_series and event.series_id:
            doomed = Event.select(Event.id).where((Event.series == event.series_id) & (Event.status == "draft"))
        else:
            doomed = Event.select(Event.id).where(Event.id == event.id)
        ids = [e.id for e in doomed]
        if Registration.select().where(Registration.event.in_(ids)).exists():
            raise DraftRefused(_("Qualcuno è già iscritto a questa bozza: annulla le iscrizioni prima."), status=409)
        Event.delete().where(Event.id.in_(ids)).execute()
        series_id = event.series_id
        if series_id and not Event.select().where(Event.series == series_id).exists():
            Series.delete().where(Series.id == series_id).execute()
    return len(ids)


def publish_series(series: Series) -> int:
    """Publish every draft date of a series; returns how many."""
    with database().atomic():
        return (
            Event.update(status="published", updated_at=utcnow())
            .where((Event.series == series.id) & (Event.status == "draft"))
            .execute()
        )


def cancel_series(series: Series, reason: str) -> tuple[int, int, list[Registration]]:
    """Stop a whole series from now on: published future dates are cancelled and the people told,
    future drafts are deleted. Returns (cancelled, deleted, people told)."""
    now = utcnow()
    future = list(Event.select().where((Event.series == series.id) & (Event.starts_at > now)).order_by(Event.starts_at))
    cancelled, told = 0, []
    with database().atomic():
        drafts = [e.id for e in future if e.status == "draft"]
        if drafts:
            Event.delete().where(Event.id.in_(drafts) & (Event.status == "draft")).execute()
        for event in future:
            if event.status == "published":
                told += cancel_event(event, reason)
                cancelled += 1
    return cancelled, len(drafts), told


def existing_submission(key: str | None) -> Series | Event | None:
    """The series or event already made by this form submission (a double tap, a resent form)."""
    if not key:
        return None
    return (
        Series.select().where(Series.submission_key == key).first()
        or Event.select().where(Event.submission_key == key).first()
    )


def is_duplicate_submission(error: IntegrityError) -> bool:
    return "submission_key" in str(error)
