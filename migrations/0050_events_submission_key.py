# Generated from a schema diff on 2026-12-02 07:25.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.add_column('event_series', 'submission_key', CharField(unique=True, null=True, max_length=40)))
    migrator.migrate(migrator.add_column('event', 'submission_key', CharField(unique=True, null=True, max_length=40)))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('event', 'event_submission_key'))
    migrator.migrate(migrator.drop_index('event_series', 'event_series_submission_key'))
    migrator.migrate(migrator.drop_column('event', 'submission_key'))
    migrator.migrate(migrator.drop_column('event_series', 'submission_key'))
