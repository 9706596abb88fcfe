"""A volunteer's data for the account export, and its erasure when the account is deleted.

The `export` and `erase` slots of the volunteer area (see `portal.areas`).
"""

from flask_babel import lazy_gettext as _l

from portal.areas import DataSection
from portal.models import utcnow

from .models import ACTIVE, WAITLIST, Notice, Opportunity, Profile, Shift, Signup, codes_of


def export(user):
    """Profile and every sign-up of `user`."""
    profile = Profile.get_or_none(Profile.user == user.id)
    rows = (
        Signup.select(Signup, Shift, Opportunity)
        .join(Shift)
        .join(Opportunity)
        .where(Signup.user == user.id)
        .order_by(Shift.starts_at)
    )
    profiles = (
        []
        if profile is None
        else [
            {
                "skills": codes_of(profile.skills),
                "languages": codes_of(profile.languages),
                "availability": codes_of(profile.availability),
                "preferred_site_id": profile.site_id,
                "notes": profile.notes,
                "in_directory": profile.in_directory,
            }
        ]
    )
    shifts = [
        {
            "opportunity": s.shift.opportunity.title,
            "starts_at": s.shift.starts_at,
            "ends_at": s.shift.ends_at,
            "status": s.status,
            "places": s.party,
            "companions": s.companions,
            "attended": s.attended,
            "minutes_served": s.minutes_served,
        }
        for s in rows
    ]
    return [
        DataSection(
            "profile",
            _l("Profilo da volontaria/o"),
            profiles,
            {
                "skills": _l("Competenze"),
                "languages": _l("Lingue"),
                "availability": _l("Disponibilità"),
                "preferred_site_id": _l("Centro preferito"),
                "notes": _l("Note"),
                "in_directory": _l("Nell'elenco"),
            },
        ),
        DataSection(
            "shifts",
            _l("Turni"),
            shifts,
            {
                "opportunity": _l("Attività"),
                "starts_at": _l("Inizio"),
                "ends_at": _l("Fine"),
                "status": _l("Stato"),
                "places": _l("Posti"),
                "companions": _l("Accompagnatori"),
                "attended": _l("Presente"),
                "minutes_served": _l("Minuti di servizio"),
            },
        ),
    ]


def erase(user):
    """Coming sign-ups are cancelled (places go to the waitlist); past ones stay, anonymous,
    so the centres' hour totals remain right; the profile and the calls list entries go."""
    from .service import cancel_signup

    now = utcnow()
    coming = (
        Signup.select(Signup)
        .join(Shift)
        .where((Signup.user == user.id) & Signup.status.in_([ACTIVE, WAITLIST]) & (Shift.ends_at > now))
    )
    for signup in list(coming):
        cancel_signup(signup)
    mine = Signup.select(Signup.id).where(Signup.user == user.id)
    Notice.delete().where(Notice.signup.in_(mine)).execute()
    Signup.update(
        name="—", phone="", email="", companions="", key_user=None, key_phone=None, key_email=None, user=None
    ).where(Signup.user == user.id).execute()
    Profile.delete().where(Profile.user == user.id).execute()
