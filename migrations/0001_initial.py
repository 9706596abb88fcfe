# Generated from a schema diff on 2026-11-27 14:03.
# Python-side defaults (utcnow) are applied by the models at insert time, not by the database.
from peewee import *


def up(migrator, db):
    class LoginAttempt(Model):
        identifier = CharField(index=True, max_length=254)
        ip = CharField(index=True, max_length=45)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'login_attempt'
    db.create_tables([LoginAttempt])

    class Site(Model):
        slug = CharField(unique=True, max_length=40)
        name = CharField(max_length=120)
        short_name = CharField(max_length=60)
        address = CharField(max_length=200)
        postcode = CharField(max_length=10)
        city = CharField(max_length=60, default='Milano')
        municipio = SmallIntegerField()
        latitude = DoubleField()
        longitude = DoubleField()
        phone = CharField(max_length=30, default='')
        email = CharField(max_length=120, default='')
        summary = TextField(default='')
        how_to_get_there = TextField(default='')
        position = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'site'
    db.create_tables([Site])

    class OpeningHours(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        weekday = SmallIntegerField()
        opens = TimeField()
        closes = TimeField()
        class Meta:
            database = db
            table_name = 'opening_hours'
            indexes = ((('site', 'weekday', 'opens'), True),)
    db.create_tables([OpeningHours])

    class User(Model):
        name = CharField(max_length=120)
        email = CharField(unique=True, null=True, max_length=254)
        phone = CharField(unique=True, null=True, max_length=20)
        password_hash = CharField()
        role = CharField(max_length=10, default='resident')
        member_code = CharField(unique=True, max_length=12)
        language = CharField(null=True, max_length=5)
        is_active_account = BooleanField(default=True)
        created_at = DateTimeField()
        created_by = ForeignKeyField('self', null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class OutboxMessage(Model):
        to_address = CharField(max_length=254)
        subject = CharField(max_length=200)
        body = TextField()
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField(index=True)
        sent_at = DateTimeField(null=True)
        error = TextField(default='')
        sensitive = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'outbox_message'
    db.create_tables([OutboxMessage])

    class Partner(Model):
        name = CharField(unique=True, max_length=160)
        kind = CharField(max_length=30, default='association')
        website = CharField(max_length=200, default='')
        description = TextField(default='')
        class Meta:
            database = db
            table_name = 'partner'
    db.create_tables([Partner])

    class Room(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        name = CharField(max_length=120)
        capacity = IntegerField(default=0)
        floor = CharField(max_length=40, default='')
        step_free = BooleanField(default=False)
        hearing_loop = BooleanField(default=False)
        accessible_toilet = BooleanField(default=False)
        accessibility_notes = TextField(default='')
        class Meta:
            database = db
            table_name = 'room'
    db.create_tables([Room])

    class Service(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        name = CharField(max_length=120)
        description = TextField(default='')
        schedule = CharField(max_length=200, default='')
        area = CharField(max_length=30, default='')
        position = SmallIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'service'
    db.create_tables([Service])

    class SiteClosure(Model):
        site = ForeignKeyField(Site, null=True, on_delete='CASCADE')
        date = DateField(index=True)
        reason = CharField(max_length=120, default='')
        class Meta:
            database = db
            table_name = 'site_closure'
    db.create_tables([SiteClosure])

    class StaffSite(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        site = ForeignKeyField(Site, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'staff_site'
            indexes = ((('user', 'site'), True),)
    db.create_tables([StaffSite])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('staff_site'))
    migrator.migrate(migrator.drop_table('site_closure'))
    migrator.migrate(migrator.drop_table('service'))
    migrator.migrate(migrator.drop_table('room'))
    migrator.migrate(migrator.drop_table('partner'))
    migrator.migrate(migrator.drop_table('outbox_message'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('opening_hours'))
    migrator.migrate(migrator.drop_table('site'))
    migrator.migrate(migrator.drop_table('login_attempt'))
