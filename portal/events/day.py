"""The calendar's part of the staff member's day (`portal.areas.DaySection`)."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from peewee import fn

from portal.areas import DayRow, DaySection
from portal.clock import local_day_bounds, to_local

from .models import Event, Registration


def staff_day(site_id: int, day: date) -> list[DaySection]:
    """The day's events at the centre, with seats taken, waitlists and who to sign in."""
    first, last = local_day_bounds(day)
    events = list(
        Event.select()
        .where((Event.site == site_id) & (Event.starts_at >= first) & (Event.starts_at < last))
        .where(Event.status.in_(["published", "cancelled"]))
        .order_by(Event.starts_at)
    )
    waiting: dict[int, int] = {}
    if events:
        query = (
            Registration.select(Registration.event, fn.COUNT(Registration.id).alias("n"))
            .where(Registration.event.in_([e.id for e in events]) & (Registration.status == "waitlist"))
            .group_by(Registration.event)
        )
        waiting = {row.event_id: row.n for row in query}
    rows = []
    for event in events:
        if event.status == "cancelled":
            note = _("annullato")
        elif event.capacity is None:
            note = _("ingresso libero")
        else:
            note = _("%(taken)d/%(capacity)d iscritti", taken=event.taken, capacity=event.capacity)
            if waiting.get(event.id):
                note += " · " + ngettext("%(num)d in lista d'attesa", "%(num)d in lista d'attesa", waiting[event.id])
        rows.append(
            DayRow(
                time=to_local(event.starts_at).strftime("%H:%M"),
                text=event.title,
                note=note,
                link=url_for("events.staff_registrations", event_id=event.id),
            )
        )
    return [
        DaySection(
            title=_l("Eventi"),
            rows=rows,
            link=url_for("events.staff_list"),
            link_label=_l("Tutti gli eventi"),
            empty=_l("Nessun evento in questo giorno."),
        )
    ]
