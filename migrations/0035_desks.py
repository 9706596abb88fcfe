# Generated from a schema diff on 2026-12-02 07:11.
from peewee import *

# Help desks (issue 17). created_at / changed_at and the tokens get their defaults (utcnow,
# new_token) from the application, as every created_at does. One person per slot: the partial
# unique index over the active statuses, below.


def up(migrator, db):
    class Partner(Model):
        class Meta:
            database = db
            table_name = 'partner'

    class Site(Model):
        class Meta:
            database = db
            table_name = 'site'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Desk(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        partner = ForeignKeyField(Partner, null=True, on_delete='SET NULL')
        name = CharField(max_length=120)
        topics = CharField(max_length=200, default='')
        languages = CharField(max_length=60, default='it')
        helps_with = TextField(default='')
        what_to_bring = TextField(default='')
        mode = CharField(max_length=16, default='appointments')
        drop_in_hours = TextField(default='')
        cancel_cutoff_hours = SmallIntegerField(default=24)
        max_open_per_person = SmallIntegerField(default=2)
        advance_days = SmallIntegerField(default=28)
        active = BooleanField(default=True)
        position = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'desks_desk'
            indexes = ((('site', 'active'), False),)
    db.create_tables([Desk])

    class Slot(Model):
        desk = ForeignKeyField(Desk, on_delete='CASCADE')
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        blocked = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'desks_slot'
            indexes = ((('desk', 'starts_at'), True), (('starts_at',), False))
    db.create_tables([Slot])

    class Appointment(Model):
        slot = ForeignKeyField(Slot, on_delete='CASCADE')
        desk = ForeignKeyField(Desk, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='CASCADE')
        guest_name = CharField(max_length=120, default='')
        guest_phone = CharField(max_length=20, default='')
        guest_email = CharField(max_length=254, default='')
        language = CharField(max_length=8, default='')
        person_key = CharField(max_length=260, default='')
        subject = TextField(default='')
        note = TextField(default='')
        status = CharField(max_length=12, default='booked')
        created_at = DateTimeField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        changed_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        arrived_at = DateTimeField(null=True)
        reminded_at = DateTimeField(null=True)
        purged_at = DateTimeField(null=True)
        token = CharField(unique=True, max_length=40)
        phone_reason = CharField(max_length=12, default='')
        phone_since = DateTimeField(null=True)
        phoned_at = DateTimeField(null=True)
        phoned_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'desks_appointment'
            indexes = ((('desk', 'status'), False), (('user', 'status'), False), (('status', 'reminded_at'), False), (('person_key',), False))
    db.create_tables([Appointment])
    db.execute_sql("CREATE UNIQUE INDEX desks_appointment_one_per_slot ON desks_appointment (slot_id) "
                   "WHERE status IN ('booked', 'arrived')")

    class DeskCalendarToken(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        token = CharField(unique=True, max_length=64)
        class Meta:
            database = db
            table_name = 'desks_calendar_token'
    db.create_tables([DeskCalendarToken])

    class DeskDay(Model):
        desk = ForeignKeyField(Desk, on_delete='CASCADE')
        day = DateField()
        kind = CharField(max_length=8, default='blocked')
        starts = TimeField(null=True)
        ends = TimeField(null=True)
        slot_minutes = SmallIntegerField(default=30)
        reason = CharField(max_length=120, default='')
        class Meta:
            database = db
            table_name = 'desks_day'
            indexes = ((('desk', 'day'), False),)
    db.create_tables([DeskDay])

    class DeskOperator(Model):
        desk = ForeignKeyField(Desk, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'desks_operator'
            indexes = ((('desk', 'user'), True), (('user',), False))
    db.create_tables([DeskOperator])

    class OpenCount(Model):
        desk = ForeignKeyField(Desk, on_delete='CASCADE')
        person_key = CharField(max_length=260)
        open_count = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'desks_open_count'
            indexes = ((('desk', 'person_key'), True),)
    db.create_tables([OpenCount])

    class Schedule(Model):
        desk = ForeignKeyField(Desk, on_delete='CASCADE')
        weekday = SmallIntegerField()
        starts = TimeField()
        ends = TimeField()
        slot_minutes = SmallIntegerField(default=30)
        operator = ForeignKeyField(User, null=True, on_delete='SET NULL')
        valid_from = DateField(null=True)
        valid_until = DateField(null=True)
        class Meta:
            database = db
            table_name = 'desks_schedule'
    db.create_tables([Schedule])

    class WaitEntry(Model):
        desk = ForeignKeyField(Desk, on_delete='CASCADE')
        day = DateField()
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        offered_at = DateTimeField(null=True)
        phoned_at = DateTimeField(null=True)
        phoned_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'desks_wait'
            indexes = ((('desk', 'day', 'user'), True),)
    db.create_tables([WaitEntry])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('desks_wait'))
    migrator.migrate(migrator.drop_table('desks_schedule'))
    migrator.migrate(migrator.drop_table('desks_open_count'))
    migrator.migrate(migrator.drop_table('desks_operator'))
    migrator.migrate(migrator.drop_table('desks_day'))
    migrator.migrate(migrator.drop_table('desks_calendar_token'))
    migrator.migrate(migrator.drop_table('desks_appointment'))
    migrator.migrate(migrator.drop_table('desks_slot'))
    migrator.migrate(migrator.drop_table('desks_desk'))
