# Generated from a schema diff on 2026-12-02 14:04.
# When staff last moved a loan's dates or handed it over early (the ICS feed's DTSTAMP follows it).
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column('bookings_loan', 'moved_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('bookings_loan', 'moved_at'))
