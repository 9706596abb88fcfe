# Generated from a schema diff on 2026-11-27 14:08.
# Python-side defaults (utcnow, random tokens) are applied by the models at insert time.
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

    class Opportunity(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        title = CharField(max_length=140)
        activity = CharField(max_length=30, default='other')
        description = TextField(default='')
        requirements = TextField(default='')
        skills = CharField(max_length=300, default='')
        languages = CharField(max_length=300, default='')
        coordinator = ForeignKeyField(User, null=True, on_delete='SET NULL')
        cancel_cutoff_hours = SmallIntegerField(default=12)
        max_party = SmallIntegerField(default=3)
        is_active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'vol_opportunity'
    db.create_tables([Opportunity])

    class Shift(Model):
        opportunity = ForeignKeyField(Opportunity, on_delete='CASCADE')
        starts_at = DateTimeField(index=True)
        ends_at = DateTimeField()
        capacity = SmallIntegerField()
        taken = SmallIntegerField(default=0)
        location = CharField(max_length=140, default='')
        note = CharField(max_length=300, default='')
        series = CharField(index=True, max_length=32, default='')
        cancelled_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'vol_shift'
    db.create_tables([Shift])

    class Signup(Model):
        shift = ForeignKeyField(Shift, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        name = CharField(max_length=120)
        phone = CharField(max_length=20, default='')
        email = CharField(max_length=254, default='')
        party = SmallIntegerField(default=1)
        companions = CharField(max_length=200, default='')
        status = CharField(max_length=10, default='active')
        confirmed = BooleanField(default=False)
        walk_in = BooleanField(default=False)
        attended = BooleanField(null=True)
        minutes_served = IntegerField(default=0)
        key_user = IntegerField(null=True)
        key_phone = CharField(null=True, max_length=20)
        key_email = CharField(null=True, max_length=254)
        lang = CharField(max_length=5, default='it')
        nonce = CharField(max_length=16)
        created_at = DateTimeField(index=True)
        cancelled_at = DateTimeField(null=True)
        promoted_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'vol_signup'
            indexes = ((('shift', 'key_user'), True), (('shift', 'key_phone'), True), (('shift', 'key_email'), True), (('shift', 'status'), False))
    db.create_tables([Signup])

    class Notice(Model):
        site = ForeignKeyField(Site, on_delete='CASCADE')
        shift = ForeignKeyField(Shift, null=True, on_delete='CASCADE')
        signup = ForeignKeyField(Signup, null=True, on_delete='CASCADE')
        name = CharField(max_length=120)
        phone = CharField(max_length=20, default='')
        message = TextField()
        created_at = DateTimeField(index=True)
        done_at = DateTimeField(null=True)
        done_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'vol_notice'
    db.create_tables([Notice])

    class Profile(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        skills = CharField(max_length=300, default='')
        languages = CharField(max_length=300, default='')
        availability = CharField(max_length=300, default='')
        notes = CharField(max_length=300, default='')
        site = ForeignKeyField(Site, null=True, on_delete='SET NULL')
        in_directory = BooleanField(default=True)
        feed_token = CharField(unique=True, max_length=40)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'vol_profile'
    db.create_tables([Profile])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('vol_profile'))
    migrator.migrate(migrator.drop_table('vol_notice'))
    migrator.migrate(migrator.drop_table('vol_signup'))
    migrator.migrate(migrator.drop_table('vol_shift'))
    migrator.migrate(migrator.drop_table('vol_opportunity'))
