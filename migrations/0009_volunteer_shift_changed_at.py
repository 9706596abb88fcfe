# A shift's last change (time, place, places, cancellation): the DTSTAMP of its calendar entries.
# NULL for shifts never changed since creation (then created_at is the last change).
from peewee import DateTimeField


def up(migrator, db):
    migrator.migrate(migrator.add_column('vol_shift', 'changed_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('vol_shift', 'changed_at'))
