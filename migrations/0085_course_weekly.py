# Generated from a schema diff on 2026-12-02 13:00.
from peewee import *

# Issue 14, weekly activities as one thing: a series may allow registering for the whole course
# (event_series.whole_course; the registrations made in one step share event_registration.course_key),
# and a desk or room slot booked every week (bookings_series; each week's booking points to it).
# created_at gets its default (utcnow) from the application, as every created_at does.

def up(migrator, db):
    class Resource(Model):
        class Meta:
            database = db
            table_name = 'bookings_resource'

    class Site(Model):
        class Meta:
            database = db
            table_name = 'site'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class BookingSeries(Model):
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        site = ForeignKeyField(Site, on_delete='CASCADE')
        kind = CharField(max_length=12)
        resource = ForeignKeyField(Resource, null=True, on_delete='CASCADE')
        slot = CharField(max_length=4)
        first_day = DateField()
        until = DateField()
        outcome = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'bookings_series'
            indexes = ((('user', 'first_day'), False),)
    db.create_tables([BookingSeries])

    migrator.migrate(migrator.add_column('bookings_booking', 'series_id', ForeignKeyField(BookingSeries, field=BookingSeries.id, null=True, on_delete='SET NULL')))
    migrator.migrate(migrator.add_column('event_series', 'whole_course', BooleanField(default=False)))
    migrator.migrate(migrator.add_column('event_registration', 'course_key', CharField(index=True, null=True, max_length=32)))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('event_registration', 'event_registration_course_key'))
    migrator.migrate(migrator.drop_index('bookings_booking', 'bookings_booking_series_id'))
    migrator.migrate(migrator.drop_column('event_registration', 'course_key'))
    migrator.migrate(migrator.drop_column('event_series', 'whole_course'))
    migrator.migrate(migrator.drop_column('bookings_booking', 'series_id'))
    migrator.migrate(migrator.drop_table('bookings_series'))
