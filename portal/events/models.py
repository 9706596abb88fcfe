"""Event calendar models: recurring series, events (occurrences), registrations.

A recurring activity is a `Series` (the rule and the template of its fields);
its occurrences are materialised as `Event` rows, so the agenda, the feeds and
the PDFs read one table with plain indexed range queries, and every occurrence
has its own seats, registrations and, when edited on its own, its own text.

Capacity lives in `Event.taken`, changed only by conditional UPDATEs inside a
transaction; a person holds at most one active registration per event
(partial unique indexes on user, e-mail and phone).
"""

from flask_babel import lazy_gettext as _l
from peewee import (
    JOIN,
    SQL,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    SmallIntegerField,
    TextField,
    TimeField,
)

from portal.clock import month_bounds_utc, to_local, utcnow
from portal.db import BaseModel, CompiledSelect
from portal.models import Partner, Room, Site, User
from portal.recurrence import occurrence_dates, parse_dates, parse_periods
from portal.text import fold, slugify, sql_fold

CATEGORIES = {
    "cultura": _l("Cultura e spettacolo"),
    "sport": _l("Sport e movimento"),
    "formazione": _l("Corsi e formazione"),
    "lavoro": _l("Lavoro e casa"),
    "bambini": _l("Bambini e famiglie"),
    "anziani": _l("Anziani"),
    "cibo": _l("Cibo e mutuo aiuto"),
    "salute": _l("Salute e benessere"),
    "sportelli": _l("Sportelli e consulenze"),
    "comunita": _l("Vita di quartiere"),
}
AUDIENCES = {
    "tutti": _l("Per tutte e tutti"),
    "bambini": _l("Bambine e bambini"),
    "ragazzi": _l("Ragazze e ragazzi"),
    "adulti": _l("Adulti"),
    "anziani": _l("Over 65"),
    "famiglie": _l("Famiglie"),
    "donne": _l("Donne"),
}
STATUSES = {
    "draft": _l("Bozza"),
    "pending": _l("Proposta da approvare"),
    "published": _l("Pubblicato"),
    "rejected": _l("Proposta non accolta"),
    "cancelled": _l("Annullato"),
}
FREQUENCIES = {
    "": _l("Non si ripete"),
    "weekly": _l("Ogni settimana"),
    "biweekly": _l("Ogni due settimane"),
    "monthly": _l("Ogni mese, stesso giorno della settimana (es. 2° martedì)"),
}
# Public statuses: what the agenda and the feeds show.
PUBLIC = ("published", "cancelled")


# --- models ------------------------------------------------------------------------
class EventFields(BaseModel):
    """What a series and its occurrences share (abstract)."""

    site = ForeignKeyField(Site, on_delete="CASCADE")
    room = ForeignKeyField(Room, null=True, on_delete="SET NULL")
    partner = ForeignKeyField(Partner, null=True, on_delete="SET NULL")
    title = CharField(max_length=140)
    description = TextField(default="")
    category = CharField(max_length=20, default="comunita")
    audience = CharField(max_length=20, default="tutti")
    is_free = BooleanField(default=True)
    price = CharField(max_length=80, default="")
    capacity = IntegerField(null=True)  # NULL: free entry, no registration
    poster = CharField(max_length=80, default="")
    poster_alt = CharField(max_length=250, default="")
    sign_language = BooleanField(default=False)
    subtitles = BooleanField(default=False)
    access_notes = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        abstract = True

    SHARED = (
        "site",
        "room",
        "partner",
        "title",
        "description",
        "category",
        "audience",
        "is_free",
        "price",
        "capacity",
        "poster",
        "poster_alt",
        "sign_language",
        "subtitles",
        "access_notes",
    )

    def save(self, *args, **kwargs):
        if getattr(self, "shown_language", None):
            raise RuntimeError("this event shows a translation (events.texts.localize): it is for reading only")
        self.updated_at = utcnow()  # the flyers' and programmes' ETags follow it
        return super().save(*args, **kwargs)

    @property
    def category_label(self):
        return CATEGORIES.get(self.category, self.category)

    @property
    def audience_label(self):
        return AUDIENCES.get(self.audience, self.audience)


class Series(EventFields):
    """A recurring activity: the rule, and the fields its occurrences copy."""

    freq = CharField(max_length=10)
    first_day = DateField()
    start_time = TimeField()  # Europe/Rome wall clock: 18:00 stays 18:00 across DST
    end_time = TimeField()
    until = DateField(null=True)
    count = SmallIntegerField(null=True)
    skip_dates = TextField(default="")  # dd/mm/yyyy lines
    pauses = TextField(default="")  # "dd/mm/yyyy - dd/mm/yyyy" lines
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    # The staff form's one-time key: a form sent twice (double tap, resend) makes one series.
    submission_key = CharField(max_length=40, null=True, unique=True)
    # Staff allow registering for every remaining date in one step (`events.course`).
    whole_course = BooleanField(default=False)

    class Meta:
        table_name = "event_series"
        abstract = False  # peewee passes Meta.abstract down to subclasses

    def dates(self, closed=()):
        """The rule's dates; `closed` days are skipped like the rule's own skips (a count still gives
        that many meetings)."""
        skip, _bad = parse_dates(self.skip_dates)
        pauses, _bad = parse_periods(self.pauses)
        return occurrence_dates(self.freq, self.first_day, self.until, self.count, list(skip) + list(closed), pauses)

    @property
    def rule_label(self):
        return FREQUENCIES.get(self.freq, self.freq)


class Event(EventFields):
    """One event, or one occurrence of a series."""

    series = ForeignKeyField(Series, null=True, backref="occurrences", on_delete="SET NULL")
    occurrence_date = DateField(null=True)  # the series date this row stands for
    detached = BooleanField(default=False)  # edited on its own: series edits leave it alone
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    status = CharField(max_length=10, default="draft")
    taken = IntegerField(default=0)
    cancel_reason = TextField(default="")
    moderation_note = TextField(default="")
    proposed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="event_proposals")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    submission_key = CharField(max_length=40, null=True, unique=True)  # as Series.submission_key

    class Meta:
        table_name = "event"
        abstract = False
        indexes = (
            (("status", "starts_at"), False),
            (("site", "starts_at"), False),
            (("series", "occurrence_date"), True),
        )

    other_dates = 0  # set by the agenda's search: more dates of the same course

    @property
    def slug(self):
        return slugify(self.title, fallback="evento")

    @property
    def seats_left(self):  # unconfirmed guests hold their seat until they confirm or it expires
        if self.capacity is None:
            return None
        return max(self.capacity - self.taken, 0)

    @property
    def is_full(self):
        return self.capacity is not None and self.taken >= self.capacity

    @property
    def is_past(self):
        return self.ends_at < utcnow()

    @property
    def is_cancelled(self):
        return self.status == "cancelled"

    @property
    def registration_open(self):
        return self.capacity is not None and self.status == "published" and self.starts_at > utcnow()

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def local_start(self):
        """The start in Milan (aware)."""
        return to_local(self.starts_at)

    @property
    def local_end(self):
        """The end in Milan (aware)."""
        return to_local(self.ends_at)

    def accessibility(self):
        """[(key, label)] of what the room offers plus what the event adds."""
        items = []
        room = self.room
        if room is not None:
            if room.step_free:
                items.append(("step_free", _l("Accesso senza gradini")))
            if room.hearing_loop:
                items.append(("hearing_loop", _l("Anello a induzione per apparecchi acustici")))
            if room.accessible_toilet:
                items.append(("toilet", _l("Bagno accessibile")))
        if self.sign_language:
            items.append(("sign_language", _l("Interprete LIS (lingua dei segni)")))
        if self.subtitles:
            items.append(("subtitles", _l("Sottotitoli")))
        return items

    def access_note_lines(self):
        notes = []
        if self.room is not None and self.room.accessibility_notes:
            notes.append(self.room.accessibility_notes)
        if self.access_notes:
            notes.append(self.access_notes)
        return notes

    # --- queries -----------------------------------------------------------
    @classmethod
    def with_place(cls):
        """Events joined with their centre, room and partner: one query for a list."""
        return (
            cls.select(cls, Site, Room, Partner)
            .join(Site)
            .switch(cls)
            .join(Room, join_type=JOIN.LEFT_OUTER)
            .switch(cls)
            .join(Partner, join_type=JOIN.LEFT_OUTER)
            .switch(cls)
        )

    @classmethod
    def public(cls):
        return cls.with_place().where(cls.status.in_(PUBLIC))

    @classmethod
    def filtered(cls, site=None, category=None, audience=None, price=None, q=None, start=None, end=None):
        """Public events by centre, category, audience, price, words (accents and case ignored) and
        a period (`start`/`end`: naive UTC bounds)."""
        query = cls.public()
        if start:
            query = query.where(cls.ends_at >= start)
        if end:
            query = query.where(cls.starts_at < end)
        if site:
            query = query.where(Site.slug == site)
        if category:
            query = query.where(cls.category == category)
        if audience:
            query = query.where(cls.audience == audience)
        if price == "free":
            query = query.where(cls.is_free == True)  # noqa: E712
        elif price == "paid":
            query = query.where(cls.is_free == False)  # noqa: E712
        if q:
            # "caffe" finds "Caffè", "CAFFÈ" and "caffè": both sides folded.
            for word in fold(q).split()[:6]:
                query = query.where(
                    sql_fold(cls.title).contains(word)
                    | sql_fold(cls.description).contains(word)
                    | sql_fold(Partner.name).contains(word)
                )
        return query

    @classmethod
    def upcoming(cls, **filters):
        return cls.filtered(**filters).where(cls.ends_at >= utcnow()).order_by(cls.starts_at, cls.id)

    @classmethod
    def in_month(cls, year, month, site=None, statuses=PUBLIC):
        start, end = month_bounds_utc(year, month)
        query = (
            cls.with_place()
            .where(cls.status.in_(statuses) & (cls.starts_at >= start) & (cls.starts_at < end))
            .order_by(cls.starts_at, cls.id)
        )
        if site:
            query = query.where(Site.slug == site)
        return query


class EventText(BaseModel):
    """Staff's translation of an event's title and description into one interface language.

    Readers in that language see it (agenda, event page, feeds, flyers); everyone else the Italian.
    """

    event = ForeignKeyField(Event, backref="texts", on_delete="CASCADE")
    language = CharField(max_length=8)
    title = CharField(max_length=140)
    description = TextField(default="")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "event_text"
        indexes = ((("event", "language"), True),)


class Registration(BaseModel):
    """A seat (or a place on the waitlist) for one person at one event."""

    event = ForeignKeyField(Event, backref="registrations", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, backref="event_registrations", on_delete="SET NULL")
    name = CharField(max_length=120)
    email = CharField(max_length=254, null=True)
    phone = CharField(max_length=20, null=True)
    status = CharField(max_length=10)  # confirmed | waitlist | cancelled
    source = CharField(max_length=10, default="online")  # online | phone | walkin
    attended = BooleanField(null=True)
    call_reason = CharField(max_length=20, default="")  # promoted | cancelled: staff must phone
    language = CharField(max_length=5, default="it")  # for the messages we send later
    created_at = DateTimeField(default=utcnow)
    promoted_at = DateTimeField(null=True)
    cancelled_at = DateTimeField(null=True)
    reminded_at = DateTimeField(null=True)  # the e-mail reminder the day before went out
    # A guest's place not confirmed yet (mailed link, or staff after a call): held until then, then freed.
    confirm_by = DateTimeField(null=True)
    added_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    # The registrations made in one step for a whole course share this random key: one mail, one
    # link to confirm or cancel them all, one entry on the phone list.
    course_key = CharField(max_length=32, null=True, index=True)

    class Meta:
        table_name = "event_registration"
        indexes = ((("event", "status"), False),)

    @property
    def unconfirmed(self):
        """A guest's live place that nobody has confirmed yet (it expires at `confirm_by`)."""
        return self.confirm_by is not None and self.status != "cancelled"


# At most one active registration per person per event, decided by the database.
_ACTIVE = SQL("status <> 'cancelled'")
Registration.add_index(
    Registration.index(
        Registration.event,
        Registration.user,
        unique=True,
        where=_ACTIVE & SQL("user_id IS NOT NULL"),
        name="event_registration_one_per_user",
    )
)
Registration.add_index(
    Registration.index(
        Registration.event,
        Registration.email,
        unique=True,
        where=_ACTIVE & SQL("email IS NOT NULL"),
        name="event_registration_one_per_email",
    )
)
Registration.add_index(
    Registration.index(
        Registration.event,
        Registration.phone,
        unique=True,
        where=_ACTIVE & SQL("phone IS NOT NULL"),
        name="event_registration_one_per_phone",
    )
)


def upcoming_for_home(limit=5, site_id=None):
    """The next few public events across the centres (or at one), for the home and centre pages."""
    query = Event.with_place().where((Event.status == "published") & (Event.ends_at >= utcnow()))
    if site_id:
        query = query.where(Event.site == site_id)
    return list(query.order_by(Event.starts_at, Event.id).limit(limit))


_PAGE_STAMP = CompiledSelect(
    lambda event_id: (
        Event.select(
            Event.updated_at,
            Event.taken,
            Event.capacity,
            Event.status,
            Event.starts_at,
            Event.ends_at,
            Series.updated_at,
            Series.whole_course,
        )
        .join(Series, JOIN.LEFT_OUTER)
        .where(Event.id == event_id)
        .tuples()
    )
)
_WITH_PLACE = CompiledSelect(lambda event_id: Event.with_place().where(Event.id == event_id))


def event_with_place(event_id: int) -> Event | None:
    """One event with its centre, room and partner (one query, its SQL built once), or None."""
    return _WITH_PLACE.first(event_id)


def event_page_stamp(event_id: int, slug: str | None = None) -> str | None:
    """What an anonymous visitor's event page depends on that can change, in one small query (the disk
    tier of the page cache, portal/pagecache.py): the event's stamp (moved by every edit, translation
    and series edit, as the flyers' ETags need), its seats and status, whether it has started or ended
    (registration closes), and its series' stamp and whole-course choice. None for an event that is not
    public: its answer is a 404, or a preview for its managers, never kept."""
    row = _PAGE_STAMP.first(event_id)
    if row is None or row[3] not in PUBLIC:
        return None
    updated, taken, capacity, status, starts, ends, series_updated, whole_course = row
    now = utcnow()
    return f"{updated}|{taken}|{capacity}|{status}|{starts <= now}|{ends < now}|{series_updated}|{whole_course}"
