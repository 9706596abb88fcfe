"""The help desks' part of "Le mie cose": appointments, and the days on which the person waits
for a free time."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.areas import MyThing, ThingAction
from portal.clock import start_of_local_day, utcnow
from portal.models import Site, User

from .models import Appointment, Desk, Slot
from .services import cutoff, my_waits

NOTES = {"booked": (_l("Prenotato"), "ok"), "arrived": (_l("Arrivata/o"), "ok")}


def my_things(user: User, since: datetime) -> list[MyThing]:
    """Appointments (not cancelled) that end at or after `since`; the wait list from today on."""
    now = utcnow()
    appointments = (
        Appointment.select(Appointment, Slot, Desk, Site)
        .join(Slot)
        .switch(Appointment)
        .join(Desk)
        .join(Site)
        .where((Appointment.user == user.id) & Appointment.status.in_(list(NOTES)) & (Slot.ends_at >= since))
        .order_by(Slot.starts_at)
        .limit(200)
    )
    things = []
    for appointment in appointments:
        desk = appointment.desk
        note, badge = NOTES[appointment.status]
        actions = []
        if appointment.status == "booked" and cutoff(appointment) > now:
            actions.append(
                ThingAction(
                    _l("Annulla"),
                    url_for("desks.cancel", appointment_id=appointment.id),
                    danger=True,
                    describe=desk.name,
                )
            )
        things.append(
            MyThing(
                key=f"desk-appointment-{appointment.id}",
                kind=_l("Appuntamento allo sportello"),
                title=desk.name,
                starts_at=appointment.slot.starts_at,
                ends_at=appointment.slot.ends_at,
                changed_at=appointment.changed_at,
                where=f"{desk.site.name}, {desk.site.full_address}",
                note=_l("Da portare: %(what)s", what=desk.what_to_bring) if desk.what_to_bring else note,
                badge="" if desk.what_to_bring else badge,
                link=url_for("desks.my_appointments", _anchor=f"appuntamento-{appointment.id}"),
                actions=actions,
            )
        )
    for wait in my_waits(user):
        things.append(
            MyThing(
                key=f"desk-wait-{wait.id}",
                kind=_l("Attesa di un orario libero"),
                title=wait.desk.name,
                starts_at=start_of_local_day(wait.day),
                ends_at=start_of_local_day(wait.day + timedelta(days=1)),
                changed_at=wait.created_at,
                all_day=True,
                note=_l("Ti avvisiamo se si libera un orario"),
                link=url_for("desks.detail", desk_id=wait.desk_id),
                actions=[
                    ThingAction(_l("Togli"), url_for("desks.leave_wait", entry_id=wait.id), describe=wait.desk.name)
                ],
                in_calendar=False,
            )
        )
    return things
