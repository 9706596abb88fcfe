"""Core models: centres, rooms, partners, services, accounts, mail outbox.

Times are stored as naive UTC datetimes (portable between SQLite and
PostgreSQL); templates show them in Europe/Rome through Flask-Babel.
Area modules (events, bookings, library, volunteer) keep their own models in
their packages and import what they need from here.
"""

import secrets
from datetime import date, timedelta

from flask import current_app
from flask_login import UserMixin
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
    TextField,
    TimeField,
    fn,
)
from werkzeug.security import check_password_hash, generate_password_hash

from .clock import utcnow  # noqa: F401  (re-exported: areas import it from here)
from .db import BaseModel

SITE_COLOURS = 6  # how many centre colours the stylesheets define (.c0 … .c5)


class Site(BaseModel):
    """One of the three community centres (more can be added as data)."""

    slug = CharField(max_length=40, unique=True)
    name = CharField(max_length=120)
    short_name = CharField(max_length=60)
    address = CharField(max_length=200)
    postcode = CharField(max_length=10)
    city = CharField(max_length=60, default="Milano")
    municipio = SmallIntegerField()
    latitude = DoubleField()
    longitude = DoubleField()
    phone = CharField(max_length=30, default="")
    email = CharField(max_length=120, default="")
    summary = TextField(default="")
    how_to_get_there = TextField(default="")
    position = SmallIntegerField(default=0)

    class Meta:
        table_name = "site"

    def save(self, *args, **kwargs):
        if getattr(self, "shown_language", None):
            raise RuntimeError("this centre shows a translation (portal.sitetexts.localize): it is for reading only")
        return super().save(*args, **kwargs)

    @classmethod
    def ordered(cls):
        return cls.select().order_by(cls.position, cls.name)

    @property
    def colour_class(self):
        """The centre's colour, the same everywhere (badges, month bars, centre pages, flyers): a class `c0`..`c5`
        whose colours are in style.css and pdf.css (the pages' CSP allows no inline style). Fixed by the id."""
        return f"c{(self.id - 1) % SITE_COLOURS}" if self.id else "c0"

    @property
    def osm_url(self):
        return (
            f"https://www.openstreetmap.org/?mlat={self.latitude:.5f}&mlon={self.longitude:.5f}"
            f"#map=17/{self.latitude:.5f}/{self.longitude:.5f}"
        )

    @property
    def full_address(self):
        return f"{self.address}, {self.postcode} {self.city}"

    def opening_hours_by_day(self):
        """[(weekday, [OpeningHours, ...]), ...] for Monday..Sunday."""
        rows = list(self.opening_hours.order_by(OpeningHours.weekday, OpeningHours.opens))
        return [(day, [r for r in rows if r.weekday == day]) for day in range(7)]

    @property
    def directions_url(self):
        """Walking or transit directions to the centre in the phone's map app (OpenStreetMap's planner)."""
        return f"https://www.openstreetmap.org/directions?to={self.latitude:.5f}%2C{self.longitude:.5f}"

    def closed_days(self, start, end):
        """The dates from `start` to `end` (inclusive) when this centre is closed all day.

        Holidays for every centre (``site`` NULL) and this centre's own closures, in one query.
        """
        return closed_days(self.id, start, end)


def open_status(site, now):
    """Is the centre open at `now` (aware, Milan), and when does that change?

    Returns (is_open, change) where `change` is the aware datetime it closes (when open) or next
    opens (when closed, within a fortnight; None if not), from the opening hours and closures."""
    from datetime import datetime as _datetime

    spans = {}
    for hours in OpeningHours.select().where(OpeningHours.site == site.id):
        spans.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    today = now.date()
    closed = closed_days(site.id, today, today + timedelta(days=15))
    for offset in range(15):
        day = today + timedelta(days=offset)
        if day in closed:
            continue
        for opens, closes in sorted(spans.get(day.weekday(), [])):
            start = _datetime.combine(day, opens, tzinfo=now.tzinfo)
            end = _datetime.combine(day, closes, tzinfo=now.tzinfo)
            if start <= now < end:
                return True, end
            if now < start:
                return False, start
    return False, None


def closed_days(site_id, start, end):
    """The dates from `start` to `end` (inclusive) when centre `site_id` is closed all day."""
    query = SiteClosure.select(SiteClosure.date).where(
        ((SiteClosure.site == site_id) | SiteClosure.site.is_null())
        & (SiteClosure.date >= start)
        & (SiteClosure.date <= end)
    )
    return {_as_date(day) for (day,) in query.tuples()}


def closed_sites_by_day(start, end, site_ids):
    """{date: set of the given centres closed that day} from `start` to `end` inclusive, in one query."""
    wanted = set(site_ids)
    query = SiteClosure.select(SiteClosure.date, SiteClosure.site).where(
        (SiteClosure.date >= start) & (SiteClosure.date <= end)
    )
    result = {}
    for day, site_id in query.tuples():
        closed = wanted if site_id is None else wanted & {site_id}
        if closed:
            result.setdefault(_as_date(day), set()).update(closed)
    return result


def _as_date(value):
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


class OpeningHours(BaseModel):
    """A span during which a centre is open on a weekday (0 = Monday)."""

    site = ForeignKeyField(Site, backref="opening_hours", on_delete="CASCADE")
    weekday = SmallIntegerField()
    opens = TimeField()
    closes = TimeField()

    class Meta:
        table_name = "opening_hours"
        indexes = ((("site", "weekday", "opens"), True),)


class SiteClosure(BaseModel):
    """A day a centre is closed (site NULL: all centres, e.g. a public holiday)."""

    site = ForeignKeyField(Site, null=True, backref="closures", on_delete="CASCADE")
    date = DateField(index=True)
    reason = CharField(max_length=120, default="")

    class Meta:
        table_name = "site_closure"


class Service(BaseModel):
    """Something a centre offers: a help desk, the gym, the library, co-working..."""

    site = ForeignKeyField(Site, backref="services", on_delete="CASCADE")
    name = CharField(max_length=120)
    description = TextField(default="")
    schedule = CharField(max_length=200, default="")
    # Key of the portal area that handles it online ("library", "coworking", ...), if any.
    area = CharField(max_length=30, default="")
    position = SmallIntegerField(default=0)

    class Meta:
        table_name = "service"

    def save(self, *args, **kwargs):
        if getattr(self, "shown_language", None):
            raise RuntimeError("this service shows a translation (portal.sitetexts.localize): it is for reading only")
        return super().save(*args, **kwargs)


class SiteText(BaseModel):
    """Staff's translation of a centre's summary and directions into one interface language.

    Readers in that language see it (home page, centre page); everyone else the Italian. An empty
    field keeps the Italian for that part.
    """

    site = ForeignKeyField(Site, backref="texts", on_delete="CASCADE")
    language = CharField(max_length=8)
    summary = TextField(default="")
    how_to_get_there = TextField(default="")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "site_text"
        indexes = ((("site", "language"), True),)


class ServiceText(BaseModel):
    """Staff's translation of a service's name, description and schedule into one interface
    language (an empty field keeps the Italian for that part)."""

    service = ForeignKeyField(Service, backref="texts", on_delete="CASCADE")
    language = CharField(max_length=8)
    name = CharField(max_length=120, default="")
    description = TextField(default="")
    schedule = CharField(max_length=200, default="")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "service_text"
        indexes = ((("service", "language"), True),)


class Room(BaseModel):
    """A room of a centre; events inherit its accessibility information."""

    site = ForeignKeyField(Site, backref="rooms", on_delete="CASCADE")
    name = CharField(max_length=120)
    capacity = IntegerField(default=0)
    floor = CharField(max_length=40, default="")
    step_free = BooleanField(default=False)
    hearing_loop = BooleanField(default=False)
    accessible_toilet = BooleanField(default=False)
    accessibility_notes = TextField(default="")

    class Meta:
        table_name = "room"


class Partner(BaseModel):
    """A partner organisation: association, cooperative, theatre, health service..."""

    name = CharField(max_length=160, unique=True)
    kind = CharField(max_length=30, default="association")
    website = CharField(max_length=200, default="")
    description = TextField(default="")

    class Meta:
        table_name = "partner"


# Letters and digits that cannot be confused when read aloud or from a card.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_member_code():
    return "BN" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


class User(UserMixin, BaseModel):
    """An account: resident, staff (attached to centres) or admin.

    We keep the minimum: a name, one way to reach the person (e-mail or mobile),
    the password hash, a member code for the card, the language.
    """

    name = CharField(max_length=120)
    email = CharField(max_length=254, null=True, unique=True)
    phone = CharField(max_length=20, null=True, unique=True)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=10, default="resident")
    member_code = CharField(max_length=12, unique=True)
    language = CharField(max_length=5, null=True)
    # The larger-text switch ("normal" or "large"); NULL until the member chooses (the device's cookie applies).
    text_size = CharField(max_length=8, null=True)
    is_active_account = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField("self", null=True, backref="assisted_signups", on_delete="SET NULL")
    # Bumped on logout and password change: every session cookie issued before stops working.
    session_version = IntegerField(default=0)
    # Something staff did to the account that the person is told at their next login ("desk_reset").
    security_notice = CharField(max_length=40, default="")

    class Meta:
        table_name = "user"

    # --- Flask-Login -------------------------------------------------------
    @property
    def is_active(self):
        return self.is_active_account

    def get_id(self):
        # The id carries the session version and a fragment of the password hash: logging out
        # (which bumps the version) or changing the password ends every session issued before.
        return f"{self.id}:{self.session_version}:{self.password_hash[-10:]}"

    @classmethod
    def from_session_id(cls, value):
        try:
            raw_id, version, fragment = value.split(":", 2)
            user = cls.get_by_id(int(raw_id))
        except (ValueError, cls.DoesNotExist):
            return None
        if str(user.session_version) != version or not secrets.compare_digest(user.password_hash[-10:], fragment):
            return None
        return user

    def end_sessions(self):
        """End every session of this account on the server (logout, password change)."""
        type(self).update(session_version=type(self).session_version + 1).where(type(self).id == self.id).execute()
        self.session_version = type(self).get_by_id(self.id).session_version

    # --- passwords ---------------------------------------------------------
    def set_password(self, password):
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    # --- roles -------------------------------------------------------------
    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_staff(self):
        """Staff or admin: may open /staff."""
        return self.role in ("staff", "admin")

    def managed_sites(self):
        """Sites this account may act on (all of them for an admin)."""
        if self.is_admin:
            return Site.ordered()
        if self.role != "staff":
            return Site.select().where(Site.id == 0)
        return Site.select().join(StaffSite).where(StaffSite.user == self).order_by(Site.position, Site.name)

    def can_manage(self, site):
        """True when this account may act on `site` (a Site or its id)."""
        if self.is_admin:
            return True
        if self.role != "staff" or site is None:
            return False
        site_id = site.id if isinstance(site, Site) else site
        return StaffSite.select().where((StaffSite.user == self) & (StaffSite.site == site_id)).exists()

    # --- look-ups ----------------------------------------------------------
    @property
    def contact(self):
        return self.email or self.phone or ""

    @classmethod
    def find_by_login(cls, identifier):
        """Find an account by e-mail, mobile number or member code."""
        from .validation import normalise_phone  # local: avoid import cycle

        identifier = (identifier or "").strip()
        if not identifier:
            return None
        if "@" in identifier:
            return cls.get_or_none(fn.LOWER(cls.email) == identifier.lower())
        code = identifier.upper().replace(" ", "").replace("-", "")
        if code.startswith("BN") and len(code) == 8:
            found = cls.get_or_none(cls.member_code == code)
            if found:
                return found
        phone = normalise_phone(identifier)
        return cls.get_or_none(cls.phone == phone) if phone else None

    @classmethod
    def create_account(cls, name, password, email=None, phone=None, role="resident", language=None, created_by=None):
        """Create an account with a fresh unique member code."""
        user = cls(
            name=name.strip(),
            email=(email or None) and email.strip().lower(),
            phone=phone or None,
            role=role,
            language=language,
            created_by=created_by,
        )
        user.set_password(password)
        for _ in range(10):
            user.member_code = new_member_code()
            if not cls.select().where(cls.member_code == user.member_code).exists():
                break
        user.save()
        return user


class StaffSite(BaseModel):
    """A staff member's attachment to a centre."""

    user = ForeignKeyField(User, backref="staff_sites", on_delete="CASCADE")
    site = ForeignKeyField(Site, backref="staff_links", on_delete="CASCADE")

    class Meta:
        table_name = "staff_site"
        indexes = ((("user", "site"), True),)


class LoginAttempt(BaseModel):
    """One counted attempt (a failed login, a sign-up, a reset mail), kept briefly for throttling.

    Stored in the database (not in process memory) so the limits hold across several gunicorn
    workers and app servers. `portal.throttle` reads and writes it.
    """

    kind = CharField(max_length=10, default="login", index=True)
    identifier = CharField(max_length=254, index=True)
    ip = CharField(max_length=45, index=True)
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "login_attempt"

    @classmethod
    def record_failure(cls, identifier, ip, kind="login"):
        # Old rows are purged by the core job "core-purge" (portal.jobs), not here.
        cls.create(kind=kind, identifier=identifier.lower()[:254], ip=ip[:45])

    @classmethod
    def clear(cls, identifier, kind="login"):
        cls.delete().where((cls.kind == kind) & (cls.identifier == identifier.lower())).execute()


class PendingSignup(BaseModel):
    """A sign-up with an e-mail address, waiting for the link mailed to that address.

    The account is created only when the link is used, so an address cannot be squatted and the
    sign-up page answers the same whether or not the address already has an account.
    """

    token_hash = CharField(max_length=64, unique=True)
    name = CharField(max_length=120)
    email = CharField(max_length=254, index=True)
    phone = CharField(max_length=20, null=True)
    password_hash = CharField(max_length=255)
    language = CharField(max_length=5, null=True)
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "pending_signup"


class OutboxMessage(BaseModel):
    """Every e-mail the portal sends, so staff can see what went out."""

    to_address = CharField(max_length=254)
    subject = CharField(max_length=200)
    body = TextField()
    user = ForeignKeyField(User, null=True, backref="messages", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow, index=True)
    sent_at = DateTimeField(null=True)
    error = TextField(default="")
    sensitive = BooleanField(default=False)
    # Delivery by the job worker (issue 12): a message is written in the same transaction as the
    # change that causes it, and the worker sends it, retrying with back-off.
    kind = CharField(max_length=40, default="notice")  # notice, reminder, account, …
    language = CharField(max_length=8, default="it")  # the recipient's language
    html_body = TextField(default="")  # the simple HTML alternative, empty for text only
    site = ForeignKeyField(Site, null=True, on_delete="SET NULL")  # the centre it is about: scopes staff views
    unsubscribe_url = CharField(max_length=500, default="")  # List-Unsubscribe for reminders
    message_id = CharField(max_length=200, default="")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True, index=True)  # NULL once sent or given up
    failed_at = DateTimeField(null=True)  # gave up: shown to admins

    class Meta:
        table_name = "outbox_message"


class JobRun(BaseModel):
    """When each scheduled job last ran (portal.jobs): decides what is due, and is the worker's
    heartbeat for /healthz (the row named "worker" is touched on every tick)."""

    name = CharField(max_length=80, unique=True)
    started_at = DateTimeField(null=True)  # the last run's start; a run is claimed by moving it
    finished_at = DateTimeField(null=True)
    count = IntegerField(default=0)  # what the last run did
    error = TextField(default="")  # the last run's failure, empty when it went well

    class Meta:
        table_name = "job_run"


class AuditEntry(BaseModel):
    """A staff action on a person's data (a desk password reset, reading a help-desk note, …).

    Written by `portal.audit.record`, shown to admins. Says who did what, to whom, when; never
    the data itself.
    """

    at = DateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, backref="audit_actions", on_delete="SET NULL")
    action = CharField(max_length=60)
    subject_user = ForeignKeyField(User, null=True, backref="audit_subject", on_delete="SET NULL")
    site = ForeignKeyField(Site, null=True, on_delete="SET NULL")
    area = CharField(max_length=40, default="")
    record = CharField(max_length=120, default="")  # what was touched, e.g. "desks.appointment:12"
    detail = CharField(max_length=300, default="")

    class Meta:
        table_name = "audit_entry"


class SentNotice(BaseModel):
    """A scheduled notice (a reminder) that has been dealt with, once: ``key`` is unique.

    The reminder jobs insert the key in the same transaction as the outbox message, so running a
    job twice sends nothing twice. ``channel`` says how: ``mail``, ``phone`` (the person has no
    e-mail: the entry is on the staff phone list until someone phones) or ``none`` (no contact).
    """

    key = CharField(max_length=160, unique=True)
    kind = CharField(max_length=40)
    channel = CharField(max_length=8, default="mail")
    sent_at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    site = ForeignKeyField(Site, null=True, backref="+", on_delete="CASCADE")
    # For the phone list only (channel "phone"); emptied with the account.
    name = CharField(max_length=120, default="")
    phone = CharField(max_length=20, default="")
    reason = CharField(max_length=300, default="")  # the reason in Italian (rows before 0100: only this)
    reason_phrase = TextField(default="")  # the reason as `portal.phrases` JSON, translated when shown
    link = CharField(max_length=300, default="")

    class Meta:
        table_name = "sent_notice"
        indexes = ((("channel", "site"), False),)


class ReminderOptOut(BaseModel):
    """A reminder kind someone does not want (no row: they get it). ``who`` is ``u<user id>`` for
    an account or ``e<lower-case e-mail>`` for a guest who unsubscribed from a message."""

    who = CharField(max_length=260)
    kind = CharField(max_length=40)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "reminder_opt_out"
        indexes = ((("who", "kind"), True),)


class PhoneCallLog(BaseModel):
    """A call made from the staff phone list: which entry (area and the entry's key), who, when."""

    area = CharField(max_length=40)
    record_key = CharField(max_length=160)
    site = ForeignKeyField(Site, null=True, backref="+", on_delete="CASCADE")
    phoned_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    phoned_at = DateTimeField(default=utcnow, index=True)
    outcome = CharField(max_length=20, default="told")  # told, no_answer, message
    # What the entry said when the call was made: the list shows the week's calls even after the
    # area took the entry off (e.g. a registration's "call_reason" is cleared once phoned).
    name = CharField(max_length=120, default="")
    reason = CharField(max_length=300, default="")
    reason_phrase = TextField(default="")  # `portal.phrases` JSON when the reason was one (else only `reason`)

    @property
    def shown_reason(self):
        """The reason in the reader's language (rows written before phrases: as written)."""
        from .phrases import shown

        return shown(self.reason_phrase, self.reason)

    class Meta:
        table_name = "phone_call_log"
        indexes = ((("area", "record_key"), False),)


class CalendarFeedToken(BaseModel):
    """The private token of a person's one calendar feed ("Le mie cose" as .ics, `portal.mythings`).

    Created and replaced only by a POST; replacing or deleting it revokes the old link.
    """

    user = ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
    token = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "calendar_feed_token"
