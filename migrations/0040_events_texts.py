# Events in several languages: staff's translation of an event's title and description, one row per
# event and interface language (unique). Readers in that language see it; everyone else the Italian.
from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class Event(Model):
        class Meta:
            database = db
            table_name = 'event'

    class EventText(Model):
        event = ForeignKeyField(Event, on_delete='CASCADE')
        language = CharField(max_length=8)
        title = CharField(max_length=140)
        description = TextField(default='')
        updated_at = DateTimeField()  # the model fills it (portal.clock.utcnow)

        class Meta:
            database = db
            table_name = 'event_text'
            indexes = ((('event', 'language'), True),)

    db.create_tables([EventText])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('event_text'))
