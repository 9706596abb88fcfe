# Generated from a schema diff on 2026-12-02 07:02.
from peewee import *

# audit_entry.at: its default (utcnow) is set by the application, as for every created_at.

def up(migrator, db):
    class Site(Model):
        class Meta:
            database = db
            table_name = 'site'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class AuditEntry(Model):
        at = DateTimeField(index=True)
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        action = CharField(max_length=60)
        subject_user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        site = ForeignKeyField(Site, null=True, on_delete='SET NULL')
        area = CharField(max_length=40, default='')
        record = CharField(max_length=120, default='')
        detail = CharField(max_length=300, default='')
        class Meta:
            database = db
            table_name = 'audit_entry'
    db.create_tables([AuditEntry])

    migrator.migrate(migrator.add_column('outbox_message', 'kind', CharField(max_length=40, default='notice')))
    migrator.migrate(migrator.add_column('outbox_message', 'language', CharField(max_length=8, default='it')))
    migrator.migrate(migrator.add_column('outbox_message', 'html_body', TextField(default='')))
    migrator.migrate(migrator.add_column('outbox_message', 'site_id', ForeignKeyField(Site, field=Site.id, null=True, on_delete='SET NULL')))
    migrator.migrate(migrator.add_column('outbox_message', 'unsubscribe_url', CharField(max_length=500, default='')))
    migrator.migrate(migrator.add_column('outbox_message', 'message_id', CharField(max_length=200, default='')))
    migrator.migrate(migrator.add_column('outbox_message', 'attempts', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('outbox_message', 'next_attempt_at', DateTimeField(index=True, null=True)))
    migrator.migrate(migrator.add_column('outbox_message', 'failed_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('outbox_message', 'outbox_message_site_id'))
    migrator.migrate(migrator.drop_index('outbox_message', 'outbox_message_next_attempt_at'))
    migrator.migrate(migrator.drop_column('outbox_message', 'failed_at'))
    migrator.migrate(migrator.drop_column('outbox_message', 'next_attempt_at'))
    migrator.migrate(migrator.drop_column('outbox_message', 'attempts'))
    migrator.migrate(migrator.drop_column('outbox_message', 'message_id'))
    migrator.migrate(migrator.drop_column('outbox_message', 'unsubscribe_url'))
    migrator.migrate(migrator.drop_column('outbox_message', 'site_id'))
    migrator.migrate(migrator.drop_column('outbox_message', 'html_body'))
    migrator.migrate(migrator.drop_column('outbox_message', 'language'))
    migrator.migrate(migrator.drop_column('outbox_message', 'kind'))
    migrator.migrate(migrator.drop_table('audit_entry'))
