"""Help desks (sportelli): desks, their operators, weekly schedules, slots and appointments.

Integrity lives in the database. Appointment slots are materialised as `Slot` rows
(UNIQUE desk, starts_at) when staff save a schedule and by the daily job, never by a page
view. One person per slot is held by a partial unique index on `Appointment.slot` over the
active statuses; the per-person limit of open appointments at a desk is a counter row
(`OpenCount`, UNIQUE desk, person) raised with a conditional UPDATE checked by its row count.
"""

import secrets

from flask_babel import lazy_gettext as _l
from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    ModelIndex,
    SmallIntegerField,
    TextField,
    TimeField,
)

from portal.clock import utcnow
from portal.db import BaseModel
from portal.models import Partner, Site, User

MODE_APPOINTMENTS, MODE_DROP_IN = "appointments", "drop_in"
MODES = {MODE_APPOINTMENTS: _l("Su appuntamento"), MODE_DROP_IN: _l("Accesso libero")}

#: Topics a desk helps with (keys are stored, comma-separated, on the desk).
TOPICS = {
    "legal": _l("Legale"),
    "work": _l("Lavoro"),
    "housing": _l("Casa"),
    "financial": _l("Soldi e bollette"),
    "pension": _l("Pensioni e pratiche (patronato)"),
    "social": _l("Aiuto sociale e anziani soli"),
    "youth": _l("Giovani"),
    "elderly": _l("Anziani"),
    "circular": _l("Riuso e riparazione"),
}
#: Languages spoken at a desk, each named in its own language.
LANGUAGES = {
    "it": "Italiano",
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文",
    "ro": "Română",
}

ACTIVE = ("booked", "arrived")
STATUSES = ("booked", "arrived", "no_show", "cancelled")


class Desk(BaseModel):
    """A help desk at a centre, run by a partner organisation."""

    site = ForeignKeyField(Site, backref="help_desks", on_delete="CASCADE")
    partner = ForeignKeyField(Partner, null=True, backref="help_desks", on_delete="SET NULL")
    name = CharField(max_length=120)
    topics = CharField(max_length=200, default="")  # comma-separated keys of TOPICS
    languages = CharField(max_length=60, default="it")  # comma-separated keys of LANGUAGES
    helps_with = TextField(default="")  # in plain words
    what_to_bring = TextField(default="")
    mode = CharField(max_length=16, default=MODE_APPOINTMENTS)
    drop_in_hours = TextField(default="")  # drop-in desks: the hours, as staff write them
    cancel_cutoff_hours = SmallIntegerField(default=24)  # no self-cancel closer than this to the start
    max_open_per_person = SmallIntegerField(default=2)  # open appointments a person may hold here
    advance_days = SmallIntegerField(default=28)  # how far ahead slots are offered
    active = BooleanField(default=True)
    position = SmallIntegerField(default=0)

    class Meta:
        table_name = "desks_desk"
        indexes = ((("site", "active"), False),)

    @property
    def topic_keys(self):
        return [t for t in self.topics.split(",") if t]

    @property
    def language_keys(self):
        return [code for code in self.languages.split(",") if code]

    @property
    def by_appointment(self):
        return self.mode == MODE_APPOINTMENTS


class DeskOperator(BaseModel):
    """A person who runs a desk: reads its notes and its appointments' subjects."""

    desk = ForeignKeyField(Desk, backref="operators", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="desk_roles", on_delete="CASCADE")

    class Meta:
        table_name = "desks_operator"
        indexes = ((("desk", "user"), True), (("user",), False))


class Schedule(BaseModel):
    """A weekly rule: on `weekday` from `starts` to `ends`, slots of `slot_minutes`."""

    desk = ForeignKeyField(Desk, backref="schedules", on_delete="CASCADE")
    weekday = SmallIntegerField()  # 0 = Monday
    starts = TimeField()
    ends = TimeField()
    slot_minutes = SmallIntegerField(default=30)
    operator = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    valid_from = DateField(null=True)
    valid_until = DateField(null=True)

    class Meta:
        table_name = "desks_schedule"


class DeskDay(BaseModel):
    """A one-off day: an extra session (`extra`, with hours) or a blocked day (`blocked`)."""

    desk = ForeignKeyField(Desk, backref="special_days", on_delete="CASCADE")
    day = DateField()
    kind = CharField(max_length=8, default="blocked")  # extra / blocked
    starts = TimeField(null=True)
    ends = TimeField(null=True)
    slot_minutes = SmallIntegerField(default=30)
    reason = CharField(max_length=120, default="")

    class Meta:
        table_name = "desks_day"
        indexes = ((("desk", "day"), False),)


class Slot(BaseModel):
    """One appointment slot of a desk (naive UTC). `blocked` slots are not offered."""

    desk = ForeignKeyField(Desk, backref="slots", on_delete="CASCADE")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    blocked = BooleanField(default=False)

    class Meta:
        table_name = "desks_slot"
        indexes = ((("desk", "starts_at"), True), (("starts_at",), False))


def new_token():
    return secrets.token_urlsafe(18)


class Appointment(BaseModel):
    """A person's appointment at a desk: a member, or a guest with a name and a phone or e-mail.

    `subject` (what it is about) and `note` (the operator's) are private: only the desk's
    operators and admins read them, each read is audited, the retention job empties them.
    """

    slot = ForeignKeyField(Slot, backref="appointments", on_delete="CASCADE")
    desk = ForeignKeyField(Desk, backref="appointments", on_delete="CASCADE")
    # NULL for guests, and once the person deleted their account (the row stays, anonymous).
    user = ForeignKeyField(User, null=True, backref="desk_appointments", on_delete="CASCADE")
    guest_name = CharField(max_length=120, default="")
    guest_phone = CharField(max_length=20, default="")
    guest_email = CharField(max_length=254, default="")
    language = CharField(max_length=8, default="")  # a guest's language at booking: notices follow it
    # "u<user id>" or "c<e-mail or phone>": the per-person limit and the distinct people.
    person_key = CharField(max_length=260, default="")
    subject = TextField(default="")
    note = TextField(default="")
    status = CharField(max_length=12, default="booked")  # booked / arrived / no_show / cancelled
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    changed_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)
    arrived_at = DateTimeField(null=True)
    reminded_at = DateTimeField(null=True)
    purged_at = DateTimeField(null=True)  # subject and note emptied by the retention job
    token = CharField(max_length=40, unique=True, default=new_token)  # the guest's cancel link
    # A notice the person has no e-mail for ("confirmed", "reminder", "moved", "cancelled"): staff phone them.
    phone_reason = CharField(max_length=12, default="")
    phone_since = DateTimeField(null=True)
    phoned_at = DateTimeField(null=True)
    phoned_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "desks_appointment"
        indexes = (
            (("desk", "status"), False),
            (("user", "status"), False),
            (("status", "reminded_at"), False),
            (("person_key",), False),
        )

    @property
    def is_active(self):
        return self.status in ACTIVE

    @property
    def person_name(self):
        if self.user_id:
            return self.user.name
        return self.guest_name

    @property
    def email(self):
        return (self.user.email if self.user_id else self.guest_email) or ""

    @property
    def phone(self):
        return (self.user.phone if self.user_id else self.guest_phone) or ""


# One person per slot, decided by the database: one active appointment per slot.
Appointment.add_index(
    ModelIndex(
        Appointment,
        (Appointment.slot,),
        unique=True,
        where=SQL("status IN ('booked', 'arrived')"),
        name="desks_appointment_one_per_slot",
    )
)


class OpenCount(BaseModel):
    """Open appointments a person holds at a desk: the per-person limit, raised conditionally."""

    desk = ForeignKeyField(Desk, backref="+", on_delete="CASCADE")
    person_key = CharField(max_length=260)
    open_count = SmallIntegerField(default=0)

    class Meta:
        table_name = "desks_open_count"
        indexes = ((("desk", "person_key"), True),)


class WaitEntry(BaseModel):
    """A member waiting for a free slot at a desk on a day (told when one frees up)."""

    desk = ForeignKeyField(Desk, backref="waitlist", on_delete="CASCADE")
    day = DateField()
    user = ForeignKeyField(User, backref="desk_waits", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    offered_at = DateTimeField(null=True)
    # A member without e-mail is phoned about the free time: staff record the call.
    phoned_at = DateTimeField(null=True)
    phoned_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "desks_wait"
        indexes = ((("desk", "day", "user"), True),)


class DeskCalendarToken(BaseModel):
    """The private token of a person's appointments feed (replace it to revoke)."""

    user = ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    token = CharField(max_length=64, unique=True, default=new_token)

    class Meta:
        table_name = "desks_calendar_token"

    @classmethod
    def for_user(cls, user, renew=False):
        row = cls.get_or_none(cls.user == user)
        if row is None:
            row = cls.create(user=user, token=secrets.token_urlsafe(24))
        elif renew:
            row.token = secrets.token_urlsafe(24)
            row.save()
        return row
