"""Bookings: co-working desks and rooms by half-day slot, audio-video equipment loans.

Integrity lives in the database. A desk booking is materialised into one
`SlotClaim` row per resource and half day (a whole day claims both halves)
under a UNIQUE (resource, day, half) index; an equipment request into one
`ItemClaim` row per item and calendar day (loan days plus the buffer) under a
UNIQUE (item, day) index. Everything is written in one transaction, so any
overlap — two phones on the same desk, a kit and a single item sharing a
camera — raises IntegrityError and rolls the whole request back. Weekly quotas
are a counter row raised with a conditional UPDATE checked by its row count.
"""

import secrets
from datetime import time, timedelta

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
    TextField,
)

from portal.clock import utcnow
from portal.db import BaseModel
from portal.models import Site, User

# Resource kinds with their own policy. Desks and rooms are booked by slot,
# equipment by days.
KIND_DESK, KIND_ROOM, KIND_EQUIPMENT = "desk", "room", "equipment"
KINDS = (KIND_DESK, KIND_ROOM, KIND_EQUIPMENT)
HALVES = {"am": ("am",), "pm": ("pm",), "day": ("am", "pm")}
# The split between morning and afternoon (local time).
MIDDAY = time(13, 0)

POLICY_DEFAULTS = {
    KIND_DESK: dict(
        advance_days=14, max_per_week=4, cancel_cutoff_hours=2, checkin_minutes=30, buffer_days=0, max_loan_days=0
    ),
    KIND_ROOM: dict(
        advance_days=30, max_per_week=2, cancel_cutoff_hours=24, checkin_minutes=20, buffer_days=0, max_loan_days=0
    ),
    KIND_EQUIPMENT: dict(
        advance_days=60, max_per_week=2, cancel_cutoff_hours=24, checkin_minutes=0, buffer_days=1, max_loan_days=7
    ),
}


def week_start(day):
    return day - timedelta(days=day.weekday())


class Policy(BaseModel):
    """Booking rules of one resource kind at one centre, editable by staff."""

    site = ForeignKeyField(Site, backref="booking_policies", on_delete="CASCADE")
    kind = CharField(max_length=12)
    advance_days = SmallIntegerField(default=14)  # how far ahead one may book
    max_per_week = SmallIntegerField(default=4)  # bookings per person per ISO week
    cancel_cutoff_hours = SmallIntegerField(default=2)  # no self-cancel closer than this to the start
    checkin_minutes = SmallIntegerField(default=30)  # after this, a no-show is released
    buffer_days = SmallIntegerField(default=0)  # equipment: days kept free after a loan
    max_loan_days = SmallIntegerField(default=7)  # equipment: longest loan

    class Meta:
        table_name = "bookings_policy"
        indexes = ((("site", "kind"), True),)

    @classmethod
    def for_site(cls, site, kind):
        """The saved policy, or an unsaved one with the defaults."""
        found = cls.get_or_none((cls.site == site) & (cls.kind == kind))
        return found or cls(site=site, kind=kind, **POLICY_DEFAULTS[kind])


class Resource(BaseModel):
    """A bookable desk or room of a centre."""

    site = ForeignKeyField(Site, backref="booking_resources", on_delete="CASCADE")
    kind = CharField(max_length=12, default=KIND_DESK)
    name = CharField(max_length=80)
    description = TextField(default="")
    seats = SmallIntegerField(default=1)
    active = BooleanField(default=True)
    position = SmallIntegerField(default=0)

    class Meta:
        table_name = "bookings_resource"
        indexes = ((("site", "kind", "active"), False),)


class BookingSeries(BaseModel):
    """A weekly desk or room slot asked for in one step ("every Tuesday morning until …").

    Each week is an ordinary `Booking` (with its claims and quota) pointing here; `outcome` keeps,
    one line per week not booked, "YYYY-MM-DD reason" so the person sees later why.
    """

    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    site = ForeignKeyField(Site, backref="+", on_delete="CASCADE")
    kind = CharField(max_length=12)
    resource = ForeignKeyField(Resource, null=True, backref="+", on_delete="CASCADE")  # a chosen room
    slot = CharField(max_length=4)
    first_day = DateField()
    until = DateField()
    outcome = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "bookings_series"
        indexes = ((("user", "first_day"), False),)


class Booking(BaseModel):
    """A person's desk or room booking for one slot of one day."""

    # NULL once the person deleted their account: the past booking stays, anonymous, for the figures.
    user = ForeignKeyField(User, null=True, backref="desk_bookings", on_delete="CASCADE")
    resource = ForeignKeyField(Resource, backref="bookings", on_delete="CASCADE")
    day = DateField()
    slot = CharField(max_length=4)  # am / pm / day
    starts_at = DateTimeField()  # naive UTC
    ends_at = DateTimeField()
    # booked -> checked_in | cancelled | no_show
    status = CharField(max_length=12, default="booked")
    created_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)
    checked_in_at = DateTimeField(null=True)
    checked_in_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    released_at = DateTimeField(null=True)
    series = ForeignKeyField(BookingSeries, null=True, backref="bookings", on_delete="SET NULL")

    class Meta:
        table_name = "bookings_booking"
        indexes = (
            (("user", "day"), False),
            (("resource", "day"), False),
            (("status", "starts_at"), False),
        )

    @property
    def is_active(self):
        return self.status in ("booked", "checked_in")


class SlotClaim(BaseModel):
    """One half day of one resource taken by a booking: the no-overlap guarantee.

    The second unique index stops one person from holding two desks (or two
    rooms) at the same time, also under concurrent requests.
    """

    resource = ForeignKeyField(Resource, backref="+", on_delete="CASCADE")
    day = DateField()
    half = CharField(max_length=2)  # am / pm
    booking = ForeignKeyField(Booking, backref="claims", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    kind = CharField(max_length=12)

    class Meta:
        table_name = "bookings_slot_claim"
        indexes = (
            (("resource", "day", "half"), True),
            (("user", "kind", "day", "half"), True),
            (("day", "resource"), False),
            (("booking",), False),
        )


class WeeklyCount(BaseModel):
    """Bookings a person holds in one ISO week for one policy: the quota counter."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    site = ForeignKeyField(Site, backref="+", on_delete="CASCADE")
    kind = CharField(max_length=12)
    week = DateField()  # the Monday
    taken = SmallIntegerField(default=0)

    class Meta:
        table_name = "bookings_weekly_count"
        indexes = ((("user", "site", "kind", "week"), True),)


class Item(BaseModel):
    """A piece of audio-video equipment lent by a centre."""

    site = ForeignKeyField(Site, backref="av_items", on_delete="CASCADE")
    name = CharField(max_length=100)
    category = CharField(max_length=40, default="")
    description = TextField(default="")
    condition = CharField(max_length=200, default="")
    # available / maintenance / retired
    status = CharField(max_length=12, default="available")
    deposit = IntegerField(default=0)  # euros
    photo = CharField(max_length=80, default="")
    position = SmallIntegerField(default=0)

    class Meta:
        table_name = "bookings_item"
        indexes = ((("site", "status"), False),)

    @property
    def bookable(self):
        return self.status == "available"


class Kit(BaseModel):
    """Items lent together (e.g. the interview kit); booked all-or-nothing."""

    site = ForeignKeyField(Site, backref="av_kits", on_delete="CASCADE")
    name = CharField(max_length=100)
    description = TextField(default="")
    photo = CharField(max_length=80, default="")
    active = BooleanField(default=True)
    position = SmallIntegerField(default=0)

    class Meta:
        table_name = "bookings_kit"


class KitItem(BaseModel):
    kit = ForeignKeyField(Kit, backref="kit_items", on_delete="CASCADE")
    item = ForeignKeyField(Item, backref="kit_links", on_delete="CASCADE")

    class Meta:
        table_name = "bookings_kit_item"
        indexes = ((("kit", "item"), True),)


class Loan(BaseModel):
    """An equipment request and, once approved, the loan itself."""

    # NULL once the person deleted their account (see `privacy.erase`).
    user = ForeignKeyField(User, null=True, backref="av_loans", on_delete="CASCADE")
    site = ForeignKeyField(Site, backref="+", on_delete="CASCADE")
    kit = ForeignKeyField(Kit, null=True, backref="loans", on_delete="SET NULL")
    pickup_at = DateTimeField()  # naive UTC
    return_at = DateTimeField()
    purpose = TextField(default="")
    # requested -> approved -> out -> returned; or declined / cancelled
    status = CharField(max_length=12, default="requested")
    staff_message = TextField(default="")
    deposit_taken = IntegerField(default=0)
    deposit_returned = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    checked_out_at = DateTimeField(null=True)
    checked_out_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    returned_at = DateTimeField(null=True)
    returned_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    return_notes = TextField(default="")
    # Staff last moved its dates or handed it over early (the ICS feed's last change; who: the audit log).
    moved_at = DateTimeField(null=True)
    # Last day an overdue loan's items have been claimed for (extended lazily).
    claims_until = DateField(null=True)
    # A notice the borrower has no e-mail for ("approved", "declined", "overdue"): staff phone them.
    phone_notice = CharField(max_length=12, default="")
    phone_notice_at = DateTimeField(null=True)
    phoned_at = DateTimeField(null=True)
    phoned_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        table_name = "bookings_loan"
        indexes = (
            (("site", "status", "pickup_at"), False),
            (("status", "return_at"), False),
            (("user", "status"), False),
            # The report figures: loans handed over / brought back in a period.
            (("checked_out_at",), False),
            (("returned_at",), False),
        )

    @property
    def is_overdue(self):
        return self.status == "out" and self.return_at < utcnow()

    @property
    def open(self):
        return self.status in ("requested", "approved", "out")


class LoanItem(BaseModel):
    """An item of a loan with its check-out and check-in checklist."""

    loan = ForeignKeyField(Loan, backref="loan_items", on_delete="CASCADE")
    item = ForeignKeyField(Item, backref="loan_links", on_delete="CASCADE")
    out_checked = BooleanField(default=False)
    returned_at = DateTimeField(null=True)
    condition_note = TextField(default="")
    damaged = BooleanField(default=False)

    class Meta:
        table_name = "bookings_loan_item"
        indexes = ((("loan", "item"), True), (("item", "returned_at"), False))


class ItemClaim(BaseModel):
    """One calendar day of one item held by a loan (loan days plus buffer days)."""

    item = ForeignKeyField(Item, backref="+", on_delete="CASCADE")
    day = DateField()
    loan = ForeignKeyField(Loan, backref="claims", on_delete="CASCADE")

    class Meta:
        table_name = "bookings_item_claim"
        indexes = ((("item", "day"), True), (("day", "item"), False), (("loan",), False))


class CalendarToken(BaseModel):
    """The private token of a person's ICS feed (can be replaced to revoke it)."""

    user = ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    token = CharField(max_length=64, unique=True)

    class Meta:
        table_name = "bookings_calendar_token"

    @classmethod
    def for_user(cls, user, renew=False):
        row = cls.get_or_none(cls.user == user)
        if row is None:
            row = cls.create(user=user, token=secrets.token_urlsafe(24))
        elif renew:
            row.token = secrets.token_urlsafe(24)
            row.save()
        return row
