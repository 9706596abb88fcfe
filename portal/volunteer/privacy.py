"""A volunteer's data for the account export, and its erasure when the account is deleted.

The `export` and `erase` slots of the volunteer area (see `portal.areas`). A person's rows
are found by account and by their e-mail and phone (sign-ups they made as a guest, notices
to phone them, with the same contact).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from peewee import Expression

from portal.areas import DataSection
from portal.clock import utcnow
from portal.models import User

from .models import ACTIVE, CANCELLED, WAITLIST, Notice, Opportunity, Profile, Shift, Signup, codes_of
from .services import cancel_signup

ANONYMOUS = "—"


def _contacts(user: User) -> tuple[str | None, str | None]:
    email = (user.email or "").strip().lower() or None
    return email, user.phone or None


def _signups_of(user: User) -> Expression:
    """Sign-ups of the person: by account, or made as a guest with their e-mail or phone."""
    email, phone = _contacts(user)
    condition = Signup.user == user.id
    if email:
        condition |= Signup.email == email
    if phone:
        condition |= Signup.phone == phone
    return condition


def _notices_of(user: User) -> Expression:
    """Notices to phone the person: for one of their sign-ups, or to their phone number."""
    condition = Notice.signup.in_(Signup.select(Signup.id).where(_signups_of(user)))
    if user.phone:
        condition |= Notice.phone == user.phone
    return condition


SIGNUP_STATUSES = {ACTIVE: _l("Iscritta/o"), WAITLIST: _l("In lista d'attesa"), CANCELLED: _l("Annullato")}
SIGNUP_LABELS = {
    "opportunity": _l("Attività"),
    "starts_at": _l("Inizio"),
    "ends_at": _l("Fine"),
    "status": _l("Stato"),
    "places": _l("Posti"),
    "name": _l("Nome"),
    "phone": _l("Cellulare"),
    "email": _l("E-mail"),
    "companions": _l("Accompagnatori"),
    "attended": _l("Presente"),
    "minutes_served": _l("Minuti di servizio"),
    "created_at": _l("Iscrizione del"),
}
PROFILE_LABELS = {
    "skills": _l("Competenze"),
    "languages": _l("Lingue"),
    "availability": _l("Disponibilità"),
    "preferred_site_id": _l("Centro preferito"),
    "notes": _l("Note"),
    "in_directory": _l("Nell'elenco"),
    "updated_at": _l("Aggiornato il"),
}
NOTICE_LABELS = {
    "name": _l("Nome"),
    "phone": _l("Cellulare"),
    "message": _l("Messaggio"),
    "created_at": _l("Scritto il"),
    "done_at": _l("Chiamata fatta il"),
}


def export(user: User) -> list[DataSection]:
    """Profile, every sign-up (also as a guest with the same contact) and the notices to phone them."""
    profile = Profile.get_or_none(Profile.user == user.id)
    profiles: list[dict[str, Any]] = []
    if profile is not None:
        profiles.append(
            {
                "skills": codes_of(profile.skills),
                "languages": codes_of(profile.languages),
                "availability": codes_of(profile.availability),
                "preferred_site_id": profile.site_id,
                "notes": profile.notes,
                "in_directory": profile.in_directory,
                "updated_at": profile.updated_at,
            }
        )
    rows = (
        Signup.select(Signup, Shift, Opportunity)
        .join(Shift)
        .join(Opportunity)
        .where(_signups_of(user))
        .order_by(Shift.starts_at, Signup.id)
    )
    shifts = [
        {
            "opportunity": s.shift.opportunity.title,
            "starts_at": s.shift.starts_at,
            "ends_at": s.shift.ends_at,
            "status": s.status,
            "places": s.party,
            "name": s.name,
            "phone": s.phone,
            "email": s.email,
            "companions": s.companions,
            "attended": s.attended,
            "minutes_served": s.minutes_served,
            "created_at": s.created_at,
        }
        for s in rows
    ]
    notices = [
        {"name": n.name, "phone": n.phone, "message": n.message, "created_at": n.created_at, "done_at": n.done_at}
        for n in Notice.select().where(_notices_of(user)).order_by(Notice.created_at)
    ]
    return [
        DataSection("profile", _l("Profilo da volontaria/o"), profiles, PROFILE_LABELS),
        DataSection("shifts", _l("Turni"), shifts, SIGNUP_LABELS, {"status": SIGNUP_STATUSES}),
        DataSection("calls", _l("Avvisi per telefono"), notices, NOTICE_LABELS),
    ]


def erase(user: User) -> None:
    """Erase a volunteer (inside the account deletion's transaction).

    Coming sign-ups, also guest ones with the person's e-mail or phone, are cancelled (their
    places go to the waitlist, whose promoted people are told); past ones stay, anonymous
    ("—", no contacts, no companions, no account), so the centres' hour totals remain right.
    The notices to phone them, the profile (free text, calendar-feed token) go; a staff
    member's links as coordinator and as the one who made a call are cleared.
    """
    now = utcnow()
    coming = (
        Signup.select(Signup)
        .join(Shift)
        .where(_signups_of(user) & Signup.status.in_([ACTIVE, WAITLIST]) & (Shift.ends_at > now))
    )
    for signup in list(coming):
        cancel_signup(signup)
    Notice.delete().where(_notices_of(user)).execute()
    Signup.update(
        name=ANONYMOUS,
        phone="",
        email="",
        companions="",
        key_user=None,
        key_phone=None,
        key_email=None,
        user=None,
    ).where(_signups_of(user)).execute()
    Profile.delete().where(Profile.user == user.id).execute()
    # Staff: the opportunities they coordinate and the calls they marked keep no link to them.
    Opportunity.update(coordinator=None).where(Opportunity.coordinator == user.id).execute()
    Notice.update(done_by=None).where(Notice.done_by == user.id).execute()


def members_at(site_ids: Sequence[int]) -> Any:
    """Volunteers signed up for shifts at these centres, or with a profile there."""
    ids = list(site_ids)
    signed = (
        Signup.select(Signup.user)
        .join(Shift)
        .join(Opportunity)
        .where(Opportunity.site.in_(ids) & Signup.user.is_null(False))
    )
    profiles = Profile.select(Profile.user).where(Profile.site.in_(ids))
    return signed | profiles
