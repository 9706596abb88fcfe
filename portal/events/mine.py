"""The events' part of "Le mie cose": the person's coming registrations and waiting-list places."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.areas import MyThing, ThingAction
from portal.models import Site, User

from .models import Event, Registration
from .texts import localize


def my_things(user: User, since: datetime) -> list[MyThing]:
    """Registrations (a seat or the waiting list) to events that end at or after `since`."""
    regs = list(
        Registration.select(Registration, Event, Site)
        .join(Event)
        .join(Site)
        .where(
            (Registration.user == user.id)
            & (Registration.status != "cancelled")
            & (Event.ends_at >= since)
            & (Event.status.in_(["published", "cancelled"]))
        )
        .order_by(Event.starts_at)
        .limit(200)
    )
    localize([reg.event for reg in regs])
    things = []
    for reg in regs:
        event = reg.event
        if event.is_cancelled:
            note, badge = _l("Evento annullato"), "full"
        elif reg.status == "confirmed":
            note, badge = _l("Hai un posto"), "ok"
        else:
            note, badge = _l("In lista d'attesa"), ""
        changes = [event.updated_at, reg.created_at, reg.promoted_at]
        things.append(
            MyThing(
                key=f"event-registration-{reg.id}",
                kind=_l("Evento"),
                title=event.title,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                changed_at=max(c for c in changes if c is not None),
                where=f"{event.site.name}, {event.site.full_address}",
                note=note,
                badge=badge,
                link=url_for("events.event_page", event_id=event.id, slug=event.slug),
                actions=[
                    ThingAction(
                        _l("Annulla l'iscrizione"),
                        url_for("events.my_cancel", reg_id=reg.id),
                        danger=True,
                        describe=event.title,
                    )
                ],
                in_calendar=not event.is_cancelled,
            )
        )
    return things
