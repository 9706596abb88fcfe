"""Library models: a library per centre, titles, copies, loans, holds, readers.

Where a copy is is never stored as a flag that could drift: it follows from the
rows that hold it. A copy is *on loan* while a loan with ``returned_at IS NULL``
exists (an overdue loan is still open, so an overdue copy is never "free"); it is
*on the hold shelf* while a hold with status ``ready`` points at it; otherwise it
is on the shelf (unless withdrawn). The database enforces the invariants:

* one open loan per copy — partial unique index ``loan_one_open_per_copy``;
* one ready hold per copy — partial unique index ``hold_one_ready_per_copy``;
* queue order unique per title — unique index on ``(title, position)``;
* one active hold per person per title — partial unique ``hold_one_active_per_member``.
"""

import re
import unicodedata

from peewee import (
    SQL,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    ModelIndex,
    SmallIntegerField,
    TextField,
)
from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField

from portal.clock import today_local, utcnow
from portal.db import BaseModel, flask_db, is_sqlite
from portal.models import Site, User

LANGUAGES = ("it", "en", "ar", "es", "zh", "fr", "other")
AGE_GROUPS = ("children", "teens", "adults")
ACTIVE_HOLD = ("waiting", "ready")


def fold(text):
    """Lower case, accents removed: what the PostgreSQL search column holds."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.casefold()).strip()


class Library(BaseModel):
    """The library of a centre, with its lending policy."""

    site = ForeignKeyField(Site, unique=True, backref="libraries", on_delete="CASCADE")
    name = CharField(max_length=120)
    loan_days = SmallIntegerField(default=30)
    max_renewals = SmallIntegerField(default=2)
    max_loans = SmallIntegerField(default=5)
    max_holds = SmallIntegerField(default=5)
    pickup_days = SmallIntegerField(default=7)
    due_soon_days = SmallIntegerField(default=3)

    class Meta:
        table_name = "library_library"

    @classmethod
    def for_site(cls, site):
        """The library of `site`, created with the default policy on first use."""
        library = cls.get_or_none(cls.site == site)
        if library is None:
            with flask_db.database.atomic():
                library, _ = cls.get_or_create(site=site, defaults={"name": f"Biblioteca – {site.short_name}"})
        return library


class Title(BaseModel):
    """A bibliographic record: what a reader looks for."""

    library = ForeignKeyField(Library, backref="titles", on_delete="CASCADE")
    title = CharField(max_length=300)
    authors = CharField(max_length=300, default="")
    isbn = CharField(max_length=13, null=True)
    language = CharField(max_length=8, default="it")
    age_group = CharField(max_length=10, default="adults")
    subjects = CharField(max_length=300, default="")
    publisher = CharField(max_length=160, default="")
    year = SmallIntegerField(null=True)
    description = TextField(default="")
    # Accent-free, lower-case copy of the searchable text (PostgreSQL path, LIKE).
    search_text = TextField(default="")
    created_at = DateTimeField(default=utcnow, index=True)  # "just arrived" on the library's home

    class Meta:
        table_name = "library_title"
        indexes = (
            (("library", "isbn"), True),
            (("library", "language", "age_group"), False),
        )

    def searchable(self):
        return " ".join(filter(None, [self.title, self.authors, self.subjects, self.publisher, self.isbn or ""]))

    def save(self, *args, **kwargs):
        self.search_text = fold(self.searchable())
        result = super().save(*args, **kwargs)
        TitleSearch.reindex([self])
        return result


class TitleSearch(FTS5Model):
    """SQLite FTS5 index of titles (rowid = title id); accents and case folded."""

    rowid = RowIDField()
    body = SearchField()

    class Meta:
        database = flask_db.database
        table_name = "library_title_fts"
        options = {"tokenize": "unicode61 remove_diacritics 2"}

    @classmethod
    def reindex(cls, titles):
        if not is_sqlite():
            return
        rows = [{"rowid": t.id, "body": t.searchable()} for t in titles]
        ids = [r["rowid"] for r in rows]
        for start in range(0, len(ids), 500):
            cls.delete().where(cls.rowid.in_(ids[start : start + 500])).execute()
        for start in range(0, len(rows), 500):
            cls.insert_many(rows[start : start + 500]).execute()


class Copy(BaseModel):
    """A physical copy with its barcode."""

    title = ForeignKeyField(Title, backref="copies", on_delete="CASCADE")
    barcode = CharField(max_length=32, unique=True)
    shelf_mark = CharField(max_length=40, default="")
    note = CharField(max_length=200, default="")
    withdrawn = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "library_copy"


class Loan(BaseModel):
    """A loan; open while ``returned_at`` is NULL. ``member`` is cleared on return
    unless the reader keeps a history (privacy: the row stays for the figures)."""

    copy = ForeignKeyField(Copy, backref="loans", on_delete="CASCADE")
    member = ForeignKeyField(User, null=True, backref="library_loans", on_delete="SET NULL")
    library = ForeignKeyField(Library, backref="loans", on_delete="CASCADE")
    language = CharField(max_length=8, default="")
    issued_at = DateTimeField(default=utcnow)
    due_date = DateField()
    returned_at = DateTimeField(null=True)
    renewals = SmallIntegerField(default=0)
    override_reason = CharField(max_length=300, default="")
    # Last e-mail reminder about this overdue loan (so the desk does not send one twice a week).
    reminded_at = DateTimeField(null=True)
    issued_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    # The reader's pseudonymous key (`LibraryMember.reader_key`), kept when ``member`` is cleared
    # (returned without a kept history, or an erased account): it counts distinct readers and
    # never names anyone. "" on loans from before it existed.
    reader_key = CharField(max_length=32, default="")

    class Meta:
        table_name = "library_loan"
        indexes = (
            # Covers the report figures' loan queries (no table reads): period, language, reader.
            (("library", "issued_at", "language", "member", "reader_key"), False),
            (("library", "returned_at"), False),
            (("member", "returned_at"), False),
            (("copy", "issued_at"), False),
        )

    @property
    def is_overdue(self):
        return self.returned_at is None and self.due_date < today_local()

    @property
    def days_overdue(self):
        return max(0, (today_local() - self.due_date).days)


Loan.add_index(
    ModelIndex(Loan, (Loan.copy,), unique=True, where=SQL("returned_at IS NULL"), name="loan_one_open_per_copy")
)


class Hold(BaseModel):
    """A place in the queue for a title.

    status: waiting -> ready (a copy is on the hold shelf for this person, until
    ``expires_at``) -> collected; or cancelled / expired. ``position`` is a ticket
    number, unique per title and never reused; the place in the queue is the
    number of active holds with a smaller ticket, plus one.
    """

    title = ForeignKeyField(Title, backref="holds", on_delete="CASCADE")
    # NULL once the person deleted their account (erase anonymises, accounts are never removed
    # as rows): the closed hold stays for the figures.
    member = ForeignKeyField(User, null=True, backref="library_holds", on_delete="CASCADE")
    position = IntegerField()
    status = CharField(max_length=10, default="waiting")
    copy = ForeignKeyField(Copy, null=True, backref="holds", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    ready_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    # How the reader was told the book is ready: "mail" or "phone" (desk calls them).
    notify_by = CharField(max_length=6, default="")
    phoned_at = DateTimeField(null=True)

    class Meta:
        table_name = "library_hold"
        indexes = (
            (("title", "position"), True),
            (("status", "expires_at"), False),
            (("created_at",), False),  # the report figures: holds placed, collected in a period
            (("status", "closed_at"), False),
        )


Hold.add_index(
    ModelIndex(Hold, (Hold.copy,), unique=True, where=SQL("status = 'ready'"), name="hold_one_ready_per_copy")
)
Hold.add_index(
    ModelIndex(
        Hold,
        (Hold.title, Hold.member),
        unique=True,
        where=SQL("status IN ('waiting', 'ready')"),
        name="hold_one_active_per_member",
    )
)


class LibraryMember(BaseModel):
    """A person who has borrowed at a library (first loan = joined, for the figures).

    ``user`` is NULL once the person deleted their account: the row stays as a number."""

    library = ForeignKeyField(Library, backref="members", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, backref="library_memberships", on_delete="CASCADE")
    joined_at = DateTimeField(default=utcnow)
    # A random key for the person, the same at every library, copied onto their loans: the
    # figures count distinct readers by it. Once the account is deleted nothing links it to them.
    reader_key = CharField(max_length=32, default="")

    class Meta:
        table_name = "library_member"
        indexes = (
            (("library", "user"), True),
            (("library", "joined_at"), False),
            (("library", "reader_key"), False),  # the report traces a loan's key back to its reader
        )


class ReaderSettings(BaseModel):
    """A resident's library choices: keep my loan history (off unless they opt in)."""

    user = ForeignKeyField(User, unique=True, backref="+", on_delete="CASCADE")
    keep_history = BooleanField(default=False)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "library_reader"

    @classmethod
    def keeps_history(cls, user):
        return cls.select().where((cls.user == user) & (cls.keep_history == True)).exists()  # noqa: E712
