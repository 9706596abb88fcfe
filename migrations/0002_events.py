# Generated from a schema diff on 2026-11-27 14:57.
from peewee import *

# Python-side defaults (utcnow) are applied by the models at insert time, not by the database.
# The partial unique indexes (one active registration per person and event) are plain SQL
# that SQLite and PostgreSQL both understand.


def up(migrator, db):
    class Partner(Model):
        class Meta:
            database = db
            table_name = 'partner'

    class Room(Model):
        class Meta:
            database = db
            table_name = 'room'

    class Site(Model):
        class Meta:
            database = db
            table_name = 'site'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Series(Model):
        site = ForeignKeyField(Site, field=Site.id, on_delete='CASCADE')
        room = ForeignKeyField(Room, field=Room.id, null=True, on_delete='SET NULL')
        partner = ForeignKeyField(Partner, field=Partner.id, null=True, on_delete='SET NULL')
        title = CharField(max_length=140)
        description = TextField(default='')
        category = CharField(max_length=20, default='comunita')
        audience = CharField(max_length=20, default='tutti')
        is_free = BooleanField(default=True)
        price = CharField(max_length=80, default='')
        capacity = IntegerField(null=True)
        poster = CharField(max_length=80, default='')
        poster_alt = CharField(max_length=250, default='')
        sign_language = BooleanField(default=False)
        subtitles = BooleanField(default=False)
        access_notes = TextField(default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        freq = CharField(max_length=10)
        first_day = DateField()
        start_time = TimeField()
        end_time = TimeField()
        until = DateField(null=True)
        count = SmallIntegerField(null=True)
        skip_dates = TextField(default='')
        pauses = TextField(default='')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'event_series'
    db.create_tables([Series])

    class Event(Model):
        site = ForeignKeyField(Site, field=Site.id, on_delete='CASCADE')
        room = ForeignKeyField(Room, field=Room.id, null=True, on_delete='SET NULL')
        partner = ForeignKeyField(Partner, field=Partner.id, null=True, on_delete='SET NULL')
        title = CharField(max_length=140)
        description = TextField(default='')
        category = CharField(max_length=20, default='comunita')
        audience = CharField(max_length=20, default='tutti')
        is_free = BooleanField(default=True)
        price = CharField(max_length=80, default='')
        capacity = IntegerField(null=True)
        poster = CharField(max_length=80, default='')
        poster_alt = CharField(max_length=250, default='')
        sign_language = BooleanField(default=False)
        subtitles = BooleanField(default=False)
        access_notes = TextField(default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        series = ForeignKeyField(Series, null=True, on_delete='SET NULL')
        occurrence_date = DateField(null=True)
        detached = BooleanField(default=False)
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        status = CharField(max_length=10, default='draft')
        taken = IntegerField(default=0)
        cancel_reason = TextField(default='')
        moderation_note = TextField(default='')
        proposed_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'event'
            indexes = ((('status', 'starts_at'), False), (('site', 'starts_at'), False), (('series', 'occurrence_date'), True))
    db.create_tables([Event])

    class Registration(Model):
        event = ForeignKeyField(Event, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        name = CharField(max_length=120)
        email = CharField(null=True, max_length=254)
        phone = CharField(null=True, max_length=20)
        status = CharField(max_length=10)
        source = CharField(max_length=10, default='online')
        attended = BooleanField(null=True)
        call_reason = CharField(max_length=20, default='')
        language = CharField(max_length=5, default='it')
        created_at = DateTimeField()
        promoted_at = DateTimeField(null=True)
        cancelled_at = DateTimeField(null=True)
        reminded_at = DateTimeField(null=True)
        added_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'event_registration'
            indexes = ((('event', 'status'), False),)
    db.create_tables([Registration])
    for column, name in (("user_id", "user"), ("email", "email"), ("phone", "phone")):
        db.execute_sql(
            f"CREATE UNIQUE INDEX IF NOT EXISTS event_registration_one_per_{name} "
            f"ON event_registration (event_id, {column}) "
            f"WHERE status <> 'cancelled' AND {column} IS NOT NULL")


def down(migrator, db):
    migrator.migrate(migrator.drop_table('event_registration'))
    migrator.migrate(migrator.drop_table('event'))
    migrator.migrate(migrator.drop_table('event_series'))
