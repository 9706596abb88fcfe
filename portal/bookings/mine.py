"""The bookings' part of "Le mie cose": co-working and room bookings, equipment loans."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.areas import MyThing, ThingAction
from portal.clock import utcnow
from portal.models import Site, User

from .models import KIND_ROOM, POLICY_DEFAULTS, Booking, Item, Loan, LoanItem, Policy, Resource

BOOKING_NOTES = {"booked": (_l("Prenotata"), "ok"), "checked_in": (_l("Presente"), "ok")}
LOAN_NOTES = {
    "requested": (_l("In attesa di risposta"), ""),
    "approved": (_l("Approvato"), "ok"),
    "out": (_l("In prestito"), ""),
}


def _latest(*moments: datetime | None) -> datetime:
    return max(m for m in moments if m is not None)


def my_things(user: User, since: datetime) -> list[MyThing]:
    """Bookings that end at or after `since`, and every open equipment loan (an overdue one too)."""
    now = utcnow()
    policies = {(p.site_id, p.kind): p for p in Policy.select()}
    things = []
    bookings = (
        Booking.select(Booking, Resource, Site)
        .join(Resource)
        .join(Site)
        .where((Booking.user == user.id) & (Booking.ends_at >= since) & Booking.status.in_(list(BOOKING_NOTES)))
        .order_by(Booking.starts_at)
        .limit(200)
    )
    for booking in bookings:
        resource = booking.resource
        policy = policies.get((resource.site_id, resource.kind)) or Policy(**POLICY_DEFAULTS[resource.kind])
        note, badge = BOOKING_NOTES[booking.status]
        actions = []
        if booking.status == "booked" and booking.starts_at - timedelta(hours=policy.cancel_cutoff_hours) > now:
            actions.append(
                ThingAction(
                    _l("Annulla"),
                    url_for("bookings.cancel", booking_id=booking.id),
                    danger=True,
                    describe=resource.name,
                )
            )
        things.append(
            MyThing(
                key=f"booking-{booking.id}",
                kind=_l("Sala") if resource.kind == KIND_ROOM else _l("Co-working"),
                title=f"{resource.name} – {resource.site.short_name}",
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                changed_at=_latest(booking.created_at, booking.checked_in_at),
                where=f"{resource.site.name}, {resource.site.full_address}",
                note=note,
                badge=badge,
                link=url_for("bookings.my_bookings", _anchor=f"booking-{booking.id}"),
                actions=actions,
            )
        )
    loans = list(
        Loan.select(Loan, Site)
        .join(Site)
        .where(
            (Loan.user == user.id)
            & Loan.status.in_(list(LOAN_NOTES))
            & ((Loan.return_at >= since) | (Loan.status == "out"))
        )
        .order_by(Loan.pickup_at)
        .limit(100)
    )
    names: dict[int, list[str]] = {}
    if loans:
        for line in LoanItem.select(LoanItem, Item).join(Item).where(LoanItem.loan.in_([loan.id for loan in loans])):
            names.setdefault(line.loan_id, []).append(line.item.name)
    for loan in loans:
        note, badge = LOAN_NOTES[loan.status]
        if loan.is_overdue:
            note, badge = _l("In ritardo: riportalo appena puoi"), "full"
        actions = []
        if loan.status in ("requested", "approved") and loan.pickup_at > now:
            actions.append(
                ThingAction(_l("Annulla la richiesta"), url_for("bookings.cancel_loan", loan_id=loan.id), danger=True)
            )
        things.append(
            MyThing(
                key=f"equipment-loan-{loan.id}",
                kind=_l("Prestito di attrezzatura"),
                title=", ".join(names.get(loan.id, [])) or str(_l("Attrezzatura audio-video")),
                starts_at=loan.pickup_at,
                ends_at=loan.return_at,
                changed_at=_latest(loan.created_at, loan.decided_at, loan.checked_out_at),
                where=f"{loan.site.name}, {loan.site.full_address}",
                note=note,
                badge=badge,
                link=url_for("bookings.my_bookings", _anchor=f"loan-{loan.id}"),
                actions=actions,
                in_calendar=loan.status != "requested",  # a request is not an appointment yet
            )
        )
    return things
