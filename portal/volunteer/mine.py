"""The volunteering's part of "Le mie cose": the person's coming shifts (a place or the waiting list)."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.areas import MyThing, ThingAction
from portal.clock import utcnow
from portal.models import Site, User

from .models import CANCELLED, WAITLIST, Opportunity, Shift, Signup
from .services import may_cancel
from .texts import localize


def my_things(user: User, since: datetime) -> list[MyThing]:
    """Sign-ups (not withdrawn) to shifts that end at or after `since`."""
    now = utcnow()
    signups = list(
        Signup.select(Signup, Shift, Opportunity, Site)
        .join(Shift)
        .join(Opportunity)
        .join(Site)
        .where((Signup.user == user.id) & (Signup.status != CANCELLED) & (Shift.ends_at >= since))
        .order_by(Shift.starts_at)
        .limit(200)
    )
    localize([s.shift.opportunity for s in signups])
    things = []
    for signup in signups:
        shift, opp = signup.shift, signup.shift.opportunity
        if shift.is_cancelled:
            note, badge = _l("Turno annullato"), "full"
        elif signup.status == WAITLIST:
            note, badge = _l("In lista d'attesa"), ""
        else:
            note, badge = _l("Sei nel turno"), "ok"
        actions = []
        if not shift.is_cancelled and may_cancel(signup, now):
            actions.append(
                ThingAction(
                    _l("Disdici"),
                    url_for("volunteer.mine_cancel", signup_id=signup.id),
                    danger=True,
                    describe=opp.title,
                )
            )
        changes = [shift.last_change, signup.created_at, signup.promoted_at]
        things.append(
            MyThing(
                key=f"vol-signup-{signup.id}",
                kind=_l("Turno di volontariato"),
                title=opp.title,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                changed_at=max(c for c in changes if c is not None),
                where=", ".join(x for x in (shift.location, opp.site.name, opp.site.full_address) if x),
                note=note,
                badge=badge,
                link=url_for("volunteer.shift", shift_id=shift.id),
                actions=actions,
                in_calendar=not shift.is_cancelled,
            )
        )
    return things
