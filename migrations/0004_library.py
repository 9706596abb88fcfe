# Generated from a schema diff on 2026-11-27 14:06; partial indexes and the FTS5 table by hand.
# Python-side defaults (utcnow) are applied by the models at insert time, not by the database.
from peewee import *


def up(migrator, db):
    class Site(Model):
        class Meta:
            database = db
            table_name = 'site'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Library(Model):
        site = ForeignKeyField(Site, unique=True, on_delete='CASCADE')
        name = CharField(max_length=120)
        loan_days = SmallIntegerField(default=30)
        max_renewals = SmallIntegerField(default=2)
        max_loans = SmallIntegerField(default=5)
        max_holds = SmallIntegerField(default=5)
        pickup_days = SmallIntegerField(default=7)
        due_soon_days = SmallIntegerField(default=3)
        class Meta:
            database = db
            table_name = 'library_library'
    db.create_tables([Library])

    class Title(Model):
        library = ForeignKeyField(Library, on_delete='CASCADE')
        title = CharField(max_length=300)
        authors = CharField(max_length=300, default='')
        isbn = CharField(null=True, max_length=13)
        language = CharField(max_length=8, default='it')
        age_group = CharField(max_length=10, default='adults')
        subjects = CharField(max_length=300, default='')
        publisher = CharField(max_length=160, default='')
        year = SmallIntegerField(null=True)
        description = TextField(default='')
        search_text = TextField(default='')
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'library_title'
            indexes = ((('library', 'isbn'), True), (('library', 'language', 'age_group'), False))
    db.create_tables([Title])

    class Copy(Model):
        title = ForeignKeyField(Title, on_delete='CASCADE')
        barcode = CharField(unique=True, max_length=32)
        shelf_mark = CharField(max_length=40, default='')
        note = CharField(max_length=200, default='')
        withdrawn = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'library_copy'
    db.create_tables([Copy])

    class Hold(Model):
        title = ForeignKeyField(Title, on_delete='CASCADE')
        member = ForeignKeyField(User, on_delete='CASCADE')
        position = IntegerField()
        status = CharField(max_length=10, default='waiting')
        copy = ForeignKeyField(Copy, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        ready_at = DateTimeField(null=True)
        expires_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        notify_by = CharField(max_length=6, default='')
        phoned_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'library_hold'
            indexes = ((('title', 'position'), True), (('status', 'expires_at'), False))
    db.create_tables([Hold])

    class LibraryMember(Model):
        library = ForeignKeyField(Library, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        joined_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'library_member'
            indexes = ((('library', 'user'), True), (('library', 'joined_at'), False))
    db.create_tables([LibraryMember])

    class Loan(Model):
        copy = ForeignKeyField(Copy, on_delete='CASCADE')
        member = ForeignKeyField(User, null=True, on_delete='SET NULL')
        library = ForeignKeyField(Library, on_delete='CASCADE')
        language = CharField(max_length=8, default='')
        issued_at = DateTimeField()
        due_date = DateField()
        returned_at = DateTimeField(null=True)
        renewals = SmallIntegerField(default=0)
        override_reason = CharField(max_length=300, default='')
        reminded_at = DateTimeField(null=True)
        issued_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'library_loan'
            indexes = ((('library', 'issued_at'), False), (('library', 'returned_at'), False), (('member', 'returned_at'), False), (('copy', 'issued_at'), False))
    db.create_tables([Loan])

    class ReaderSettings(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        keep_history = BooleanField(default=False)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'library_reader'
    db.create_tables([ReaderSettings])

    # The integrity rules of the library, enforced by the database (SQLite and PostgreSQL).
    db.execute_sql("CREATE UNIQUE INDEX loan_one_open_per_copy ON library_loan (copy_id) "
                   "WHERE returned_at IS NULL")
    db.execute_sql("CREATE UNIQUE INDEX hold_one_ready_per_copy ON library_hold (copy_id) "
                   "WHERE status = 'ready'")
    db.execute_sql("CREATE UNIQUE INDEX hold_one_active_per_member ON library_hold (title_id, member_id) "
                   "WHERE status IN ('waiting', 'ready')")
    if isinstance(db, SqliteDatabase):
        # Full-text search, accents and case folded ("perche" finds "perché"); the
        # schema diff ignores virtual tables. PostgreSQL searches library_title.search_text.
        db.execute_sql("CREATE VIRTUAL TABLE library_title_fts USING fts5("
                       "body, tokenize='unicode61 remove_diacritics 2')")


def down(migrator, db):
    if isinstance(db, SqliteDatabase):
        db.execute_sql("DROP TABLE IF EXISTS library_title_fts")
    migrator.migrate(migrator.drop_table('library_reader'))
    migrator.migrate(migrator.drop_table('library_loan'))
    migrator.migrate(migrator.drop_table('library_member'))
    migrator.migrate(migrator.drop_table('library_hold'))
    migrator.migrate(migrator.drop_table('library_copy'))
    migrator.migrate(migrator.drop_table('library_title'))
    migrator.migrate(migrator.drop_table('library_library'))
