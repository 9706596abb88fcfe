# Generated from a schema diff on 2026-12-02 07:14.
from peewee import *

# guest_action.created_at: its default (utcnow) is set by the application, as for every created_at.
# event_registration.confirm_by: NULL for every existing row (they are all confirmed places).

def up(migrator, db):
    class GuestAction(Model):
        kind = CharField(max_length=20)
        target = IntegerField()
        client = CharField(max_length=64)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'guest_action'
            indexes = ((('client', 'created_at'), False), (('kind', 'target', 'created_at'), False), (('created_at',), False))
    db.create_tables([GuestAction])

    migrator.migrate(migrator.add_column('event_registration', 'confirm_by', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('event_registration', 'confirm_by'))
    db.drop_tables([type('GuestAction', (Model,), {'Meta': type('Meta', (), {'database': db, 'table_name': 'guest_action'})})])
