# Generated from a schema diff on 2026-12-02 07:06.
# The defaults of sent_at, created_at and phoned_at (utcnow) are set by the application.
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

    class PhoneCallLog(Model):
        area = CharField(max_length=40)
        record_key = CharField(max_length=160)
        site = ForeignKeyField(Site, null=True, on_delete='CASCADE')
        phoned_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        phoned_at = DateTimeField(index=True)
        outcome = CharField(max_length=20, default='told')
        name = CharField(max_length=120, default='')
        reason = CharField(max_length=300, default='')
        class Meta:
            database = db
            table_name = 'phone_call_log'
            indexes = ((('area', 'record_key'), False),)
    db.create_tables([PhoneCallLog])

    class ReminderOptOut(Model):
        who = CharField(max_length=260)
        kind = CharField(max_length=40)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'reminder_opt_out'
            indexes = ((('who', 'kind'), True),)
    db.create_tables([ReminderOptOut])

    class SentNotice(Model):
        key = CharField(unique=True, max_length=160)
        kind = CharField(max_length=40)
        channel = CharField(max_length=8, default='mail')
        sent_at = DateTimeField(index=True)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        site = ForeignKeyField(Site, null=True, on_delete='CASCADE')
        name = CharField(max_length=120, default='')
        phone = CharField(max_length=20, default='')
        reason = CharField(max_length=300, default='')
        link = CharField(max_length=300, default='')
        class Meta:
            database = db
            table_name = 'sent_notice'
            indexes = ((('channel', 'site'), False),)
    db.create_tables([SentNotice])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sent_notice'))
    migrator.migrate(migrator.drop_table('reminder_opt_out'))
    migrator.migrate(migrator.drop_table('phone_call_log'))
