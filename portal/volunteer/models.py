"""Volunteer shifts: opportunities, shifts, sign-ups (with waitlist), profiles, notices.

Integrity lives in the database:
- `Shift.taken` counts the places held; a place is reserved only by the conditional
  ``UPDATE shift SET taken = taken + n WHERE id = ? AND taken + n <= capacity`` (row count
  checked) in the same transaction as the sign-up row, so +N sign-ups and concurrent
  requests can never over-fill a shift;
- one person holds a shift once: unique indexes on (shift, key_user), (shift, key_phone)
  and (shift, key_email). The keys are set while a sign-up is live (active or waitlisted)
  and cleared (NULL, which never collides) when it is cancelled, so the person may sign up
  again later.
"""

import secrets
from datetime import timedelta

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
    TextField,
    fn,
)

from portal.clock import utcnow
from portal.db import BaseModel, database
from portal.models import Site, User

ACTIVE, WAITLIST, CANCELLED = "active", "waitlist", "cancelled"


def csv_codes(codes):
    """Codes stored as ',a,b,' so a LIKE '%,a,%' finds one exactly (portable SQL)."""
    codes = [c for c in codes if c]
    return ("," + ",".join(codes) + ",") if codes else ""


def codes_of(value):
    return [c for c in (value or "").split(",") if c]


class Opportunity(BaseModel):
    """A way to help at a centre (food-hub distribution, after-school help, event crew...)."""

    site = ForeignKeyField(Site, backref="volunteer_opportunities", on_delete="CASCADE")
    title = CharField(max_length=140)
    activity = CharField(max_length=30, default="other")
    description = TextField(default="")
    requirements = TextField(default="")
    skills = CharField(max_length=300, default="")  # csv_codes of SKILLS
    languages = CharField(max_length=300, default="")  # csv_codes of LANGUAGES
    coordinator = ForeignKeyField(User, null=True, backref="coordinated_opportunities", on_delete="SET NULL")
    cancel_cutoff_hours = SmallIntegerField(default=12)
    max_party = SmallIntegerField(default=3)  # +N: at most this many companions
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "vol_opportunity"

    @property
    def skill_codes(self):
        return codes_of(self.skills)

    @property
    def language_codes(self):
        return codes_of(self.languages)

    def save(self, *args, **kwargs):
        if getattr(self, "shown_language", None):
            raise RuntimeError("this opportunity shows a translation (volunteer.texts.localize): read only")
        return super().save(*args, **kwargs)


class OpportunityText(BaseModel):
    """Staff's translation of an opportunity's title and description into one interface language."""

    opportunity = ForeignKeyField(Opportunity, backref="texts", on_delete="CASCADE")
    language = CharField(max_length=8)
    title = CharField(max_length=140)
    description = TextField(default="")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "vol_opportunity_text"
        indexes = ((("opportunity", "language"), True),)


class Shift(BaseModel):
    """One dated shift of an opportunity with a number of places."""

    opportunity = ForeignKeyField(Opportunity, backref="shifts", on_delete="CASCADE")
    starts_at = DateTimeField(index=True)  # naive UTC
    ends_at = DateTimeField()
    capacity = SmallIntegerField()
    taken = SmallIntegerField(default=0)  # places held by active sign-ups (incl. companions)
    location = CharField(max_length=140, default="")
    note = CharField(max_length=300, default="")
    series = CharField(max_length=32, default="", index=True)  # shifts created together by a rule
    cancelled_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    changed_at = DateTimeField(null=True)  # last change of time, place, places or cancellation

    class Meta:
        table_name = "vol_shift"

    @property
    def places_left(self):
        return max(self.capacity - self.taken, 0)

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None

    @property
    def has_started(self):
        return self.starts_at <= utcnow()

    @property
    def last_change(self):
        return self.changed_at or self.created_at

    @property
    def minutes(self):
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def cancel_deadline(self):
        return self.starts_at - timedelta(hours=self.opportunity.cancel_cutoff_hours)

    def reserve(self, places):
        """Atomically take `places`; False when they are not there (run inside a transaction)."""
        return (
            Shift.update(taken=Shift.taken + places)
            .where((Shift.id == self.id) & (Shift.taken + places <= Shift.capacity) & Shift.cancelled_at.is_null())
            .execute()
            == 1
        )

    def release(self, places):
        Shift.update(taken=Shift.taken - places).where(Shift.id == self.id).execute()


class Signup(BaseModel):
    """A person (account, guest or walk-in) on a shift, possibly with companions (+N)."""

    shift = ForeignKeyField(Shift, backref="signups", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, backref="volunteer_signups", on_delete="SET NULL")
    name = CharField(max_length=120)
    phone = CharField(max_length=20, default="")  # E.164
    email = CharField(max_length=254, default="")
    party = SmallIntegerField(default=1)  # places: the person plus companions
    companions = CharField(max_length=200, default="")
    status = CharField(max_length=10, default=ACTIVE)
    confirmed = BooleanField(default=False)  # guests confirm by link or the coordinator does
    walk_in = BooleanField(default=False)
    attended = BooleanField(null=True)
    minutes_served = IntegerField(default=0)
    # Uniqueness keys: set while the sign-up is live, NULL once cancelled.
    key_user = IntegerField(null=True)
    key_phone = CharField(max_length=20, null=True)
    key_email = CharField(max_length=254, null=True)
    lang = CharField(max_length=5, default="it")  # language of the messages we send
    nonce = CharField(max_length=16, default=lambda: secrets.token_hex(8))
    created_at = DateTimeField(default=utcnow, index=True)
    cancelled_at = DateTimeField(null=True)
    promoted_at = DateTimeField(null=True)

    class Meta:
        table_name = "vol_signup"
        indexes = (
            (("shift", "key_user"), True),
            (("shift", "key_phone"), True),
            (("shift", "key_email"), True),
            (("shift", "status"), False),
        )


class Profile(BaseModel):
    """A volunteer's skills, languages and availability (kept apart from the core account)."""

    user = ForeignKeyField(User, backref="volunteer_profiles", unique=True, on_delete="CASCADE")
    skills = CharField(max_length=300, default="")
    languages = CharField(max_length=300, default="")
    availability = CharField(max_length=300, default="")
    notes = CharField(max_length=300, default="")
    site = ForeignKeyField(Site, null=True, backref="volunteer_profiles", on_delete="SET NULL")
    in_directory = BooleanField(default=True)  # coordinators may find me by skill/language
    feed_token = CharField(max_length=40, unique=True, default=lambda: secrets.token_urlsafe(24))
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "vol_profile"

    @classmethod
    def for_user(cls, user):
        """The user's profile, created on first use."""
        profile = cls.get_or_none(cls.user == user)
        if profile is None:
            with database().atomic():
                profile, _ = cls.get_or_create(user=user)
        return profile


class Notice(BaseModel):
    """Someone to phone: a change or a promotion for a person without an e-mail address."""

    site = ForeignKeyField(Site, backref="volunteer_notices", on_delete="CASCADE")
    shift = ForeignKeyField(Shift, null=True, backref="notices", on_delete="CASCADE")
    signup = ForeignKeyField(Signup, null=True, backref="notices", on_delete="CASCADE")
    name = CharField(max_length=120)
    phone = CharField(max_length=20, default="")
    message = TextField()
    reason_phrase = TextField(default="")  # the first line as `portal.phrases` JSON: staff read it in their language
    created_at = DateTimeField(default=utcnow, index=True)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "vol_notice"


def hours_served(user):
    minutes = (
        Signup.select(fn.COALESCE(fn.SUM(Signup.minutes_served), 0))
        .where((Signup.user == user) & (Signup.attended == True))  # noqa: E712
        .scalar()
    )
    return (minutes or 0) / 60
