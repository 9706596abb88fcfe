"""A volunteer's data for the account export, and its erasure when the account is deleted.

Registered in ``app.extensions["binari_personal_data"]`` and
``app.extensions["binari_erase_personal_data"]`` (see portal/account.py).
"""
from portal.models import utcnow

from .models import ACTIVE, WAITLIST, Notice, Opportunity, Profile, Shift, Signup, codes_of


def personal_data(user):
    """Profile and every sign-up of `user` (JSON-able)."""
    profile = Profile.get_or_none(Profile.user == user.id)
    rows = (Signup.select(Signup, Shift, Opportunity).join(Shift).join(Opportunity)
            .where(Signup.user == user.id).order_by(Shift.starts_at))
    return {
        "profile": None if profile is None else {
            "skills": codes_of(profile.skills), "languages": codes_of(profile.languages),
            "availability": codes_of(profile.availability), "preferred_site_id": profile.site_id,
            "notes": profile.notes, "in_directory": profile.in_directory,
        },
        "shifts": [{
            "opportunity": s.shift.opportunity.title, "starts_at": s.shift.starts_at.isoformat() + "Z",
            "ends_at": s.shift.ends_at.isoformat() + "Z", "status": s.status, "places": s.party,
            "companions": s.companions, "attended": s.attended, "minutes_served": s.minutes_served,
        } for s in rows],
    }


def erase(user):
    """Coming sign-ups are cancelled (places go to the waitlist); past ones stay, anonymous,
    so the centres' hour totals remain right; the profile and the calls list entries go."""
    from .service import cancel_signup

    now = utcnow()
    coming = (Signup.select(Signup).join(Shift)
              .where((Signup.user == user.id) & Signup.status.in_([ACTIVE, WAITLIST]) & (Shift.ends_at > now)))
    for signup in list(coming):
        cancel_signup(signup)
    mine = Signup.select(Signup.id).where(Signup.user == user.id)
    Notice.delete().where(Notice.signup.in_(mine)).execute()
    Signup.update(name="—", phone="", email="", companions="", key_user=None, key_phone=None, key_email=None,
                  user=None).where(Signup.user == user.id).execute()
    Profile.delete().where(Profile.user == user.id).execute()

