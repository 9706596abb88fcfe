# "Le mie cose": the private token of a person's one calendar feed (every area's commitments as
# .ics), one per account, made and replaced by a POST, deleted on revocation and on erasure.
from peewee import CharField, DateTimeField, ForeignKeyField, Model


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class CalendarFeedToken(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        token = CharField(unique=True, max_length=64)
        created_at = DateTimeField()  # the model fills it (portal.clock.utcnow)

        class Meta:
            database = db
            table_name = 'calendar_feed_token'

    db.create_tables([CalendarFeedToken])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('calendar_feed_token'))
