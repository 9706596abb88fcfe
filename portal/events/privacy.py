"""A person's part of the calendar: the account export, and the erasure when the
account is deleted (the `export` and `erase` slots of the events area)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Expression

from portal.areas import DataSection
from portal.clock import utcnow
from portal.models import Site, User
from portal.privacy import scrub_person

from .models import STATUSES, Event, Registration, Series
from .services import cancel_registration

REGISTRATION_STATUSES = {
    "confirmed": _l("Posto confermato"),
    "waitlist": _l("In lista d'attesa"),
    "cancelled": _l("Annullata"),
}
REGISTRATION_SOURCES = {"online": _l("Online"), "phone": _l("Al telefono"), "walkin": _l("Allo sportello")}
REGISTRATION_LABELS = {
    "event": _l("Evento"),
    "starts_at": _l("Inizio"),
    "status": _l("Stato"),
    "name": _l("Nome"),
    "email": _l("E-mail"),
    "phone": _l("Cellulare"),
    "source": _l("Come"),
    "attended": _l("Presente"),
    "created_at": _l("Iscritta/o il"),
    "promoted_at": _l("Dalla lista d'attesa il"),
    "cancelled_at": _l("Annullata il"),
}
PROPOSAL_LABELS = {
    "title": _l("Titolo"),
    "site": _l("Centro"),
    "starts_at": _l("Inizio"),
    "status": _l("Stato"),
    "description": _l("Descrizione"),
    "moderation_note": _l("Messaggio del personale"),
    "created_at": _l("Proposta il"),
}


def _registrations_of(user: User) -> Expression:
    """The person's registrations: by account, and the guest ones made with their e-mail or phone."""
    condition = Registration.user == user.id
    if user.email:
        condition |= Registration.email == user.email.lower()
    if user.phone:
        condition |= Registration.phone == user.phone
    return condition


def export(user: User) -> list[DataSection]:
    """Registrations (seats and waitlist places) and proposals of `user`."""
    registrations: list[dict[str, Any]] = [
        {
            "event": reg.event.title,
            "starts_at": reg.event.starts_at,
            "status": reg.status,
            "name": reg.name,
            "email": reg.email,
            "phone": reg.phone,
            "source": reg.source,
            "attended": reg.attended,
            "created_at": reg.created_at,
            "promoted_at": reg.promoted_at,
            "cancelled_at": reg.cancelled_at,
        }
        for reg in Registration.select(Registration, Event)
        .join(Event)
        .where(_registrations_of(user))
        .order_by(Event.starts_at, Registration.id)
    ]
    proposals: list[dict[str, Any]] = [
        {
            "title": event.title,
            "site": event.site.name,
            "starts_at": event.starts_at,
            "status": event.status,
            "description": event.description,
            "moderation_note": event.moderation_note,
            "created_at": event.created_at,
        }
        for event in Event.select(Event, Site).join(Site).where(Event.proposed_by == user.id).order_by(Event.created_at)
    ]
    return [
        DataSection(
            "registrations",
            _l("Iscrizioni agli eventi"),
            registrations,
            REGISTRATION_LABELS,
            {"status": REGISTRATION_STATUSES, "source": REGISTRATION_SOURCES},
        ),
        DataSection("proposals", _l("Eventi che hai proposto"), proposals, PROPOSAL_LABELS, {"status": STATUSES}),
    ]


def _without(text: str, user: User) -> str:
    return scrub_person(text, user.name, user.email, user.phone)


def erase(user: User) -> None:
    """Coming seats and waitlist places are cancelled (the waitlist moves up); past
    registrations stay, anonymous, for the centres' figures; a pending proposal is
    withdrawn; no row keeps the person's name, e-mail or phone."""
    now = utcnow()
    mine = Registration.select(Registration.id).where(_registrations_of(user))
    coming = (
        Registration.select(Registration.id)
        .join(Event)
        .where(_registrations_of(user) & (Registration.status != "cancelled") & (Event.starts_at > now))
        .order_by(Registration.status != "waitlist")  # waitlist places first: a freed seat goes to someone else
    )
    for (reg_id,) in list(coming.tuples()):
        cancel_registration(reg_id)
    Registration.update(name="—", email=None, phone=None, user=None, call_reason="").where(
        Registration.id.in_([r.id for r in mine])
    ).execute()
    Registration.update(added_by=None).where(Registration.added_by == user.id).execute()

    for event in Event.select().where(Event.proposed_by == user.id):
        values: dict[str, Any] = {
            "proposed_by": None,
            "title": _without(event.title, user),
            "description": _without(event.description, user),
            "moderation_note": _without(event.moderation_note, user),
            "updated_at": utcnow(),  # flyers, feeds and kept pages built with the name are built again
        }
        if event.status == "pending":
            values["status"] = "rejected"  # withdrawn: nobody is left to run it
        Event.update(**values).where(Event.id == event.id).execute()
    Event.update(created_by=None).where(Event.created_by == user.id).execute()
    Series.update(created_by=None).where(Series.created_by == user.id).execute()


def members_at(site_ids: Sequence[int]) -> Any:
    """Accounts with a registration for an event at these centres (staff see only those)."""
    return (
        Registration.select(Registration.user)
        .join(Event)
        .where(Event.site.in_(list(site_ids)) & Registration.user.is_null(False))
    )
