# The larger-text switch remembered on the account (NULL: not chosen, the device's cookie applies).
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column('user', 'text_size', CharField(null=True, max_length=8)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('user', 'text_size'))
