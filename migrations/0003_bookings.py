# Generated from a schema diff on 2026-11-27 14:09.
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

    class Resource(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        kind = CharField(max_length=12, default='desk')
        name = CharField(max_length=80)
        description = TextField(default='')
        seats = SmallIntegerField(default=1)
        active = BooleanField(default=True)
        position = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'bookings_resource'
            indexes = ((('site', 'kind', 'active'), False),)
    db.create_tables([Resource])

    class Booking(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        resource = ForeignKeyField(Resource, on_delete='CASCADE')
        day = DateField()
        slot = CharField(max_length=4)
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        status = CharField(max_length=12, default='booked')
        created_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        checked_in_at = DateTimeField(null=True)
        checked_in_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        released_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'bookings_booking'
            indexes = ((('user', 'day'), False), (('resource', 'day'), False), (('status', 'starts_at'), False))
    db.create_tables([Booking])

    class CalendarToken(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        token = CharField(unique=True, max_length=64)
        class Meta:
            database = db
            table_name = 'bookings_calendar_token'
    db.create_tables([CalendarToken])

    class Item(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        name = CharField(max_length=100)
        category = CharField(max_length=40, default='')
        description = TextField(default='')
        condition = CharField(max_length=200, default='')
        status = CharField(max_length=12, default='available')
        deposit = IntegerField(default=0)
        photo = CharField(max_length=80, default='')
        position = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'bookings_item'
            indexes = ((('site', 'status'), False),)
    db.create_tables([Item])

    class Kit(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        name = CharField(max_length=100)
        description = TextField(default='')
        photo = CharField(max_length=80, default='')
        active = BooleanField(default=True)
        position = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'bookings_kit'
    db.create_tables([Kit])

    class Loan(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        site = ForeignKeyField(Site, on_delete='CASCADE')
        kit = ForeignKeyField(Kit, null=True, on_delete='SET NULL')
        pickup_at = DateTimeField()
        return_at = DateTimeField()
        purpose = TextField(default='')
        status = CharField(max_length=12, default='requested')
        staff_message = TextField(default='')
        deposit_taken = IntegerField(default=0)
        deposit_returned = IntegerField(default=0)
        created_at = DateTimeField()
        decided_at = DateTimeField(null=True)
        decided_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        checked_out_at = DateTimeField(null=True)
        checked_out_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        returned_at = DateTimeField(null=True)
        returned_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        return_notes = TextField(default='')
        claims_until = DateField(null=True)
        class Meta:
            database = db
            table_name = 'bookings_loan'
            indexes = ((('site', 'status', 'pickup_at'), False), (('status', 'return_at'), False), (('user', 'status'), False))
    db.create_tables([Loan])

    class ItemClaim(Model):
        item = ForeignKeyField(Item, on_delete='CASCADE')
        day = DateField()
        loan = ForeignKeyField(Loan, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'bookings_item_claim'
            indexes = ((('item', 'day'), True), (('day', 'item'), False), (('loan',), False))
    db.create_tables([ItemClaim])

    class KitItem(Model):
        kit = ForeignKeyField(Kit, on_delete='CASCADE')
        item = ForeignKeyField(Item, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'bookings_kit_item'
            indexes = ((('kit', 'item'), True),)
    db.create_tables([KitItem])

    class LoanItem(Model):
        loan = ForeignKeyField(Loan, on_delete='CASCADE')
        item = ForeignKeyField(Item, on_delete='CASCADE')
        out_checked = BooleanField(default=False)
        returned_at = DateTimeField(null=True)
        condition_note = TextField(default='')
        damaged = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'bookings_loan_item'
            indexes = ((('loan', 'item'), True), (('item', 'returned_at'), False))
    db.create_tables([LoanItem])

    class Policy(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        kind = CharField(max_length=12)
        advance_days = SmallIntegerField(default=14)
        max_per_week = SmallIntegerField(default=4)
        cancel_cutoff_hours = SmallIntegerField(default=2)
        checkin_minutes = SmallIntegerField(default=30)
        buffer_days = SmallIntegerField(default=0)
        max_loan_days = SmallIntegerField(default=7)
        class Meta:
            database = db
            table_name = 'bookings_policy'
            indexes = ((('site', 'kind'), True),)
    db.create_tables([Policy])

    class SlotClaim(Model):
        resource = ForeignKeyField(Resource, on_delete='CASCADE')
        day = DateField()
        half = CharField(max_length=2)
        booking = ForeignKeyField(Booking, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=12)
        class Meta:
            database = db
            table_name = 'bookings_slot_claim'
            indexes = ((('resource', 'day', 'half'), True), (('user', 'kind', 'day', 'half'), True), (('day', 'resource'), False), (('booking',), False))
    db.create_tables([SlotClaim])

    class WeeklyCount(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        site = ForeignKeyField(Site, on_delete='CASCADE')
        kind = CharField(max_length=12)
        week = DateField()
        taken = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'bookings_weekly_count'
            indexes = ((('user', 'site', 'kind', 'week'), True),)
    db.create_tables([WeeklyCount])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('bookings_weekly_count'))
    migrator.migrate(migrator.drop_table('bookings_slot_claim'))
    migrator.migrate(migrator.drop_table('bookings_policy'))
    migrator.migrate(migrator.drop_table('bookings_loan_item'))
    migrator.migrate(migrator.drop_table('bookings_kit_item'))
    migrator.migrate(migrator.drop_table('bookings_item_claim'))
    migrator.migrate(migrator.drop_table('bookings_loan'))
    migrator.migrate(migrator.drop_table('bookings_kit'))
    migrator.migrate(migrator.drop_table('bookings_item'))
    migrator.migrate(migrator.drop_table('bookings_calendar_token'))
    migrator.migrate(migrator.drop_table('bookings_booking'))
    migrator.migrate(migrator.drop_table('bookings_resource'))
